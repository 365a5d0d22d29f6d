"""The near-duplicate index (synsetdb.ingest.dups) against brute force over all pairs."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
import pytest

from synsetdb.errors import ConfigError
from synsetdb.ingest._mih import popcount, popcount_bytes
from synsetdb.ingest.dups import (
    DuplicateGroup,
    NearDuplicateIndex,
    as_unsigned,
    duplicate_groups,
)

RADII = [0, 4, 8, 10]
Pair = tuple[int, int, int]


def _flip(rng: np.random.Generator, h: int, k: int) -> int:
    """``h`` with exactly ``k`` distinct random bits flipped."""
    for bit in rng.choice(64, size=k, replace=False).tolist():
        h ^= 1 << bit
    return h


def _hashes(radius: int, *, seed: int = 0, random: int = 2000, centres: int = 60) -> list[int]:
    """Random hashes, clusters (copies of a centre with 0..radius+2 bits flipped), exact
    copies (blank images' zero hash among them) and a few near-zero hashes; unsigned."""
    rng = np.random.default_rng(seed)
    out = rng.integers(0, 2**64, size=random, dtype=np.uint64).tolist()
    for centre in rng.integers(0, 2**64, size=centres, dtype=np.uint64).tolist():
        out.append(centre)
        out.extend(_flip(rng, centre, k) for k in range(radius + 3))
    out += [0] * 7 + [out[5]] * 3 + [_flip(rng, 0, k) for k in (1, 2, 3, 5, 9, 11)]
    return [out[i] for i in rng.permutation(len(out)).tolist()]


def _ids(n: int) -> list[str]:
    return [f"img{i:05d}" for i in range(n)]


def _brute_pairs(hashes: Iterable[int], radius: int) -> set[Pair]:
    """All pairs (i < j) within the radius, comparing every pair."""
    h = as_unsigned(list(hashes))
    found: set[Pair] = set()
    for i in range(len(h) - 1):
        dist = popcount(h[i] ^ h[i + 1 :])
        for j in np.flatnonzero(dist <= radius).tolist():
            found.add((i, i + 1 + j, int(dist[j])))
    return found


def _brute_components(n: int, pairs: Iterable[Pair]) -> list[list[int]]:
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, _ in pairs:
        parent[root(a)] = root(b)
    comps: dict[int, list[int]] = {}
    for i in range(n):
        comps.setdefault(root(i), []).append(i)
    return [c for c in comps.values() if len(c) >= 2]


def _as_groups(ids: list[str], comps: list[list[int]]) -> list[list[str]]:
    groups = [sorted(ids[i] for i in c) for c in comps]
    return sorted(groups, key=lambda g: (-len(g), g[0]))


def _index_pairs(index: NearDuplicateIndex, ids: list[str]) -> list[Pair]:
    at = {name: i for i, name in enumerate(ids)}
    return [(at[a], at[b], d) for a, b, d in index.pairs()]


# ------------------------------------------------------------------ recall and precision


@pytest.mark.parametrize("radius", RADII)
def test_pairs_equal_brute_force(radius: int) -> None:
    hashes = _hashes(radius)
    ids = _ids(len(hashes))
    found = _index_pairs(NearDuplicateIndex(ids, hashes, radius), ids)
    expected = _brute_pairs(hashes, radius)
    assert len(found) == len(set(found)), "a pair was reported twice"
    assert all(a < b for a, b, _ in found)
    assert set(found) == expected  # recall 1.0 and precision 1.0
    assert any(d == 0 for *_, d in expected)  # exact copies are in
    if radius:
        assert any(d == radius for *_, d in expected)  # the boundary is in


@pytest.mark.parametrize("radius", RADII)
def test_groups_equal_brute_force_components(radius: int) -> None:
    hashes = _hashes(radius, seed=1)
    ids = _ids(len(hashes))
    groups = NearDuplicateIndex(ids, hashes, radius).groups()
    expected = _as_groups(ids, _brute_components(len(ids), _brute_pairs(hashes, radius)))
    assert groups == expected
    assert len(groups) > 10


@pytest.mark.parametrize(
    ("radius", "substrings"), [(6, m) for m in range(2, 8)] + [(10, m) for m in range(3, 12)]
)
def test_every_substring_split_is_exact(radius: int, substrings: int) -> None:
    """Splits with per-substring radii 0..3 (and unsearched substrings) all agree."""
    hashes = _hashes(radius, seed=substrings, random=800, centres=30)
    ids = _ids(len(hashes))
    index = NearDuplicateIndex(ids, hashes, radius, substrings=substrings)
    assert len(index.stats.substring_bits) == substrings
    assert set(_index_pairs(index, ids)) == _brute_pairs(hashes, radius)


@pytest.mark.parametrize("radius", RADII)
def test_query_equals_brute_force(radius: int) -> None:
    hashes = _hashes(radius, seed=2)
    ids = _ids(len(hashes))
    index = NearDuplicateIndex(ids, hashes, radius)
    rng = np.random.default_rng(3)
    queries = [hashes[i] for i in range(0, len(hashes), 97)] + [0, 2**64 - 1]
    queries += [_flip(rng, hashes[i], radius // 2) for i in range(0, len(hashes), 101)]
    h = as_unsigned(hashes)
    for q in queries:
        dist = popcount(h ^ np.uint64(q))
        near = sorted((int(dist[i]), i) for i in np.flatnonzero(dist <= radius).tolist())
        assert index.query(q) == [(ids[i], d) for d, i in near]


def test_distances_and_max_distance_are_right() -> None:
    hashes = _hashes(8, seed=4)
    ids = _ids(len(hashes))
    pairs = _brute_pairs(hashes, 8)
    for group in duplicate_groups(ids, hashes, 8):
        members = {int(name[3:]) for name in group.ids}
        links = [d for a, b, d in pairs if a in members and b in members]
        assert group.max_distance == max(links)
        assert group.labels == ()


# ------------------------------------------------------------------ inputs


def test_signed_and_unsigned_inputs_give_the_same_results() -> None:
    unsigned = _hashes(6, seed=5)
    signed = [h - 2**64 if h >= 2**63 else h for h in unsigned]
    mixed = [s if i % 2 else u for i, (s, u) in enumerate(zip(signed, unsigned, strict=True))]
    ids = _ids(len(unsigned))
    reference = NearDuplicateIndex(ids, unsigned, 6)
    inputs: list[Any] = [signed, mixed, np.array(signed, np.int64), np.array(unsigned, np.uint64)]
    for hashes in inputs:
        index = NearDuplicateIndex(ids, hashes, 6)
        assert list(index.pairs()) == list(reference.pairs())
        assert index.groups() == reference.groups()
    assert any(s < 0 for s in signed) and any(u >= 2**63 for u in unsigned)
    for s, u in list(zip(signed, unsigned, strict=True))[:50]:
        assert reference.query(s) == reference.query(u)


def test_hash_range_is_checked() -> None:
    assert as_unsigned([-(2**63), 2**64 - 1, -1, 0]).tolist() == [2**63, 2**64 - 1, 2**64 - 1, 0]
    for bad in (2**64, -(2**63) - 1, 2**70):
        with pytest.raises(ValueError, match="does not fit in 64 bits"):
            NearDuplicateIndex(["a", "b"], [1, bad])
    with pytest.raises(ValueError, match="does not fit in 64 bits"):
        NearDuplicateIndex(["a"], [1]).query(2**64)
    for bad_type in ([1.0, 2], [True, False], ["7", 2]):
        with pytest.raises(TypeError, match="not an integer"):
            NearDuplicateIndex(["a", "b"], bad_type)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float64"):
        NearDuplicateIndex(["a"], np.array([1.0]))


def test_lengths_must_match() -> None:
    with pytest.raises(ValueError, match="2 ids but 3 hashes"):
        NearDuplicateIndex(["a", "b"], [1, 2, 3])
    with pytest.raises(ValueError, match="2 ids but 1 hashes"):
        duplicate_groups(["a", "b"], [1])
    with pytest.raises(ValueError, match="2 ids but 1 labels"):
        duplicate_groups(["a", "b"], [1, 2], labels=["x"])
    with pytest.raises(ValueError, match="needs labels"):
        duplicate_groups(["a", "b"], [1, 2], within_label=True)


@pytest.mark.parametrize("radius", [-1, 21, 64, True, 2.5, "6"])
def test_radius_out_of_range_is_a_config_error(radius: object) -> None:
    for build in (NearDuplicateIndex, duplicate_groups):
        with pytest.raises(ConfigError, match=r"radius must be an integer in 0\.\.20") as err:
            build(["a", "b"], [1, 2], radius)  # type: ignore[arg-type]
        assert err.value.code == "E_RADIUS"
        assert isinstance(err.value, ValueError)


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError) as err:
        NearDuplicateIndex(["a"], [1], max_bucket=0)
    assert err.value.code == "E_MAX_BUCKET"
    for substrings in (0, 8):
        with pytest.raises(ConfigError) as err:
            NearDuplicateIndex(["a"], [1], 6, substrings=substrings)
        assert err.value.code == "E_SUBSTRINGS"
    with pytest.raises(ConfigError, match="probes per hash") as err:
        NearDuplicateIndex(["a"], [1], 10, substrings=1)
    assert err.value.code == "E_SUBSTRINGS"


def test_tiny_inputs() -> None:
    empty = NearDuplicateIndex([], [], 6)
    assert (list(empty.pairs()), empty.groups(), empty.query(5), len(empty)) == ([], [], [], 0)
    one = NearDuplicateIndex(["a"], [5], 6)
    assert (list(one.pairs()), one.groups(), one.query(4)) == ([], [], [("a", 1)])
    assert duplicate_groups([], [], labels=[], within_label=True) == []


def test_repeated_ids_are_separate_items() -> None:
    index = NearDuplicateIndex(["a", "a", "b"], [0, 0, 1], 1)
    assert list(index.pairs()) == [("a", "a", 0), ("a", "b", 1), ("a", "b", 1)]
    assert index.groups() == [["a", "a", "b"]]


# ------------------------------------------------------------------ labels


def test_within_label_never_mixes_labels_and_equals_per_label_brute_force() -> None:
    hashes = _hashes(6, seed=6)
    ids = _ids(len(hashes))
    rng = np.random.default_rng(7)
    labels = [f"n0{i}" for i in rng.integers(0, 3, size=len(ids)).tolist()]
    groups = duplicate_groups(ids, hashes, 6, labels=labels, within_label=True)
    assert groups and all(len(set(g.labels)) == 1 for g in groups)
    expected: list[DuplicateGroup] = []
    for label in sorted(set(labels)):
        where = [i for i, lab in enumerate(labels) if lab == label]
        pairs = _brute_pairs([hashes[i] for i in where], 6)
        for comp in _brute_components(len(where), pairs):
            members = sorted(ids[where[i]] for i in comp)
            dist = max(d for a, b, d in pairs if a in comp and b in comp)
            expected.append(DuplicateGroup(tuple(members), (label,) * len(members), dist))
    assert groups == sorted(expected, key=lambda g: (-g.size, g.ids[0]))


def test_across_labels_links_everything_and_keeps_labels_aligned() -> None:
    hashes = _hashes(6, seed=8)
    ids = _ids(len(hashes))
    labels = [f"n0{i % 4}" for i in range(len(ids))]
    groups = duplicate_groups(ids, hashes, 6, labels=labels)
    assert [list(g.ids) for g in groups] == NearDuplicateIndex(ids, hashes, 6).groups()
    assert any(len(set(g.labels)) > 1 for g in groups)
    label_of = dict(zip(ids, labels, strict=True))
    assert all(g.labels == tuple(label_of[i] for i in g.ids) for g in groups)


# ------------------------------------------------------------------ scale guards


@pytest.mark.parametrize("radius", [6, 10])
def test_candidates_stay_far_below_all_pairs(radius: int) -> None:
    n = 30_000
    hashes = np.random.default_rng(9).integers(0, 2**64, size=n, dtype=np.uint64)
    stats = NearDuplicateIndex(_ids(n), hashes, radius).stats
    assert stats.candidates < n * n / 2 / 20
    assert stats.candidates < 1.5 * stats.expected_candidates
    assert stats.distinct == n and stats.skipped_buckets == 0


def test_identical_hashes_cost_no_candidates() -> None:
    """Blank images all hash to 0: one exact group, found without comparing them."""
    rng = np.random.default_rng(10)
    hashes = [0] * 5_000 + rng.integers(0, 2**64, size=1_000, dtype=np.uint64).tolist()
    ids = _ids(len(hashes))
    index = NearDuplicateIndex(ids, hashes, 6)
    assert index.groups()[0] == ids[:5_000]
    assert index.stats.distinct == 1_001
    assert index.stats.candidates < 10_000
    assert sum(1 for _ in index.pairs()) == 5_000 * 4_999 // 2
    group = duplicate_groups(ids, hashes, 6)[0]
    assert (group.size, group.max_distance) == (5_000, 0)


def test_oversized_buckets_are_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    """Many different hashes sharing their high bits fill one bucket per substring."""
    rng = np.random.default_rng(11)
    low = rng.integers(0, 2**20, size=3_000).tolist()
    hashes = [int(x) for x in dict.fromkeys(low)]  # distinct, all below 2**20
    ids = _ids(len(hashes))
    expected = _brute_pairs(hashes, 4)
    with caplog.at_level(logging.WARNING, logger="synsetdb.ingest.dups"):
        capped = NearDuplicateIndex(ids, hashes, 4, max_bucket=500)
        found = set(_index_pairs(capped, ids))
    stats = capped.stats
    assert stats.skipped_buckets > 0
    assert "over max_bucket=500" in caplog.text
    # Precision stays 1.0; a pair is missed only when every substring that could
    # find it has its bucket skipped.
    h = as_unsigned(hashes)
    a_idx = np.array([a for a, _, _ in sorted(expected)], dtype=np.int64)
    b_idx = np.array([b for _, b, _ in sorted(expected)], dtype=np.int64)
    reachable = np.zeros(len(a_idx), dtype=bool)
    shift = 64
    for bits, radius in zip(stats.substring_bits, stats.substring_radii, strict=True):
        shift -= bits
        key = (h >> np.uint64(shift)) & np.uint64((1 << bits) - 1)
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        bucket = counts[inverse]  # distinct hashes sharing each hash's key
        near = popcount(key[a_idx] ^ key[b_idx]) <= radius
        larger = np.where(key[a_idx] >= key[b_idx], a_idx, b_idx)
        reachable |= near & (bucket[larger] <= 500)
    assert found == {p for p, ok in zip(sorted(expected), reachable, strict=True) if ok}
    assert 0 < len(found) < len(expected)  # some recall was traded for time
    exact = NearDuplicateIndex(ids, hashes, 4, max_bucket=None)
    assert set(_index_pairs(exact, ids)) == expected
    assert exact.stats.skipped_buckets == 0
    assert capped.query(hashes[0]) == exact.query(hashes[0])  # queries never skip


def test_popcount_fallback_matches() -> None:
    x = np.random.default_rng(12).integers(0, 2**64, size=1_000, dtype=np.uint64)
    x[:3] = [0, 2**64 - 1, 2**63]
    expected = [bin(v).count("1") for v in x.tolist()]
    assert popcount_bytes(x).tolist() == expected
    assert popcount(x).tolist() == expected
