"""Splits: exact per-class targets, determinism, and no near-duplicate group across two splits."""

from __future__ import annotations

import random
from collections import Counter
from itertools import combinations

import pytest

from synsetdb.release import SplitConfig, SplitEntry, assign_splits
from synsetdb.release.splits import split_key

CLASSES = ("n01000001", "n01000002", "n01000003")


def _flip(h: int, bits: int, rng: random.Random) -> int:
    for b in rng.sample(range(64), bits):
        h ^= 1 << b
    return h


def _entries(seed: int = 7) -> list[SplitEntry]:
    """600 items: clusters of near duplicates (chains too), cross-class copies, shared images."""
    rng = random.Random(seed)
    entries = []
    for c, wnid in enumerate(CLASSES):
        for i in range(200):
            entries.append(SplitEntry(f"img-{c}-{i}", wnid, rng.getrandbits(64)))
    # 40 clusters of 2-6 near duplicates, members in random classes, some as chains
    for k in range(40):
        base = rng.getrandbits(64)
        h = base
        for m in range(rng.randint(2, 6)):
            h = _flip(h if k % 2 else base, rng.randint(0, 3), rng)
            entries.append(SplitEntry(f"dup-{k}-{m}", rng.choice(CLASSES), h))
    # the same picture labelled with two classes
    for k in range(10):
        h = rng.getrandbits(64)
        entries.append(SplitEntry(f"shared-{k}", CLASSES[0], h))
        entries.append(SplitEntry(f"shared-{k}", CLASSES[1], h))
    # images without a hash tie only by identity
    entries.extend(SplitEntry(f"nohash-{i}", CLASSES[2], None) for i in range(5))
    return entries


def _brute_force_groups(entries: list[SplitEntry], radius: int) -> list[set[int]]:
    """Connected components by checking every pair: the reference the test trusts."""
    parent = list(range(len(entries)))

    def find(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for a, b in combinations(range(len(entries)), 2):
        ea, eb = entries[a], entries[b]
        tied = ea.image == eb.image or (
            ea.phash is not None
            and eb.phash is not None
            and bin((ea.phash ^ eb.phash) & ((1 << 64) - 1)).count("1") <= radius
        )
        if tied:
            parent[find(a)] = find(b)
    groups: dict[int, set[int]] = {}
    for i in range(len(entries)):
        groups.setdefault(find(i), set()).add(i)
    return list(groups.values())


@pytest.mark.parametrize("radius", [0, 4, 6])
def test_no_near_duplicate_group_straddles_two_splits(radius: int) -> None:
    entries = _entries()
    config = SplitConfig((("test", 0.1), ("val", 20)), "keep", radius)
    splits, report = assign_splits(entries, config, seed=3)
    groups = [g for g in _brute_force_groups(entries, radius) if len(g) > 1]
    assert groups, "the test data must hold groups"
    for group in groups:
        assert len({splits[i] for i in group}) == 1, [(entries[i], splits[i]) for i in group]
    assert report.groups == len(groups)
    assert report.grouped_items == sum(len(g) for g in groups)
    # an image-by-image split would have cut some of these groups: they were moved
    assert report.groups_moved > 0
    assert report.groups_moved <= report.groups


def test_counts_and_fractions_per_class() -> None:
    rng = random.Random(1)
    entries = [
        SplitEntry(f"{w}-{i}", w, rng.getrandbits(64))
        for w, n in zip(CLASSES, (100, 57, 10), strict=True)
        for i in range(n)
    ]
    config = SplitConfig((("test", 0.1), ("val", 12)), "keep", 6)
    splits, report = assign_splits(entries, config, seed=0)
    counts = Counter((e.wnid, s) for e, s in zip(entries, splits, strict=True))
    assert counts[(CLASSES[0], "test")] == 10 and counts[(CLASSES[0], "val")] == 12
    assert counts[(CLASSES[0], "train")] == 78
    assert counts[(CLASSES[1], "test")] == 6  # 5.7 rounds half up
    assert counts[(CLASSES[1], "val")] == 12 and counts[(CLASSES[1], "train")] == 39
    # a class smaller than its targets: test gets its share, val the rest, train nothing
    assert counts[(CLASSES[2], "test")] == 1 and counts[(CLASSES[2], "val")] == 9
    assert counts[(CLASSES[2], "train")] == 0
    assert report.shortfalls == {CLASSES[2]: {"val": 3}}


def test_deterministic_for_a_seed_in_any_input_order() -> None:
    entries = _entries()
    config = SplitConfig((("val", 25),), "keep", 6)
    splits, report = assign_splits(entries, config, seed=11)
    by_item = {(e.image, e.wnid): s for e, s in zip(entries, splits, strict=True)}
    shuffled = entries[:]
    random.Random(5).shuffle(shuffled)
    again, report_again = assign_splits(shuffled, config, seed=11)
    assert {(e.image, e.wnid): s for e, s in zip(shuffled, again, strict=True)} == by_item
    assert report_again == report
    other, _ = assign_splits(entries, config, seed=12)
    assert other != splits


def test_official_splits_are_kept_and_cross_split_duplicates_reported() -> None:
    rng = random.Random(2)
    h, g = rng.getrandbits(64), rng.getrandbits(64)
    entries = [SplitEntry(f"t{i}", CLASSES[0], rng.getrandbits(64), "train") for i in range(40)]
    entries += [SplitEntry(f"v{i}", CLASSES[0], rng.getrandbits(64), "val") for i in range(5)]
    entries += [
        SplitEntry("leak-train", CLASSES[0], h, "train"),  # the source's own leak:
        SplitEntry("leak-val", CLASSES[0], h ^ 1, "val"),  # a near duplicate across its splits
        SplitEntry("leak-new", CLASSES[0], h ^ 3, None),  # and a new image tied to both
        SplitEntry("follow", CLASSES[0], g, None),
        SplitEntry("follow-val", CLASSES[0], g ^ 2, "val"),
    ]
    entries += [SplitEntry(f"new{i}", CLASSES[0], rng.getrandbits(64)) for i in range(20)]
    config = SplitConfig((("val", 10),), "keep", 6)
    splits, report = assign_splits(entries, config, seed=0)
    by_image = {e.image: s for e, s in zip(entries, splits, strict=True)}
    for e in entries:
        if e.official is not None:
            assert by_image[e.image] == e.official  # never moved
    assert by_image["follow"] == "val"  # drawn into its official partner's split
    assert report.official_kept == 48
    assert report.official_cross_split == 1
    (example,) = report.cross_split_examples
    assert {m[0] for m in example} == {"leak-train", "leak-val"}
    # val holds 7 official items (5 + leak-val + follow-val); follow and 2 new ones fill it to 10
    assert Counter(splits)["val"] == 10

    ignored, report_ignored = assign_splits(entries, SplitConfig((("val", 10),), "ignore", 6), 0)
    assert report_ignored.official_kept == 0 and report_ignored.official_cross_split == 0
    assert Counter(ignored)["val"] == 10


def test_a_group_that_fits_nowhere_goes_to_train() -> None:
    h = random.Random(4).getrandbits(64)
    entries = [SplitEntry(f"copy{i}", CLASSES[0], h) for i in range(8)]
    entries += [
        SplitEntry(f"other{i}", CLASSES[0], random.Random(i).getrandbits(64)) for i in range(4)
    ]
    splits, report = assign_splits(entries, SplitConfig((("val", 5),), "keep", 6), seed=0)
    assert {splits[i] for i in range(8)} == {"train"}
    assert report.shortfalls == {CLASSES[0]: {"val": 1}}
    assert report.to_dict()["shortfalls"] == {CLASSES[0]: {"val": 1}}


def test_split_keys_are_stable() -> None:
    # a keyed hash, not Python's salted hash(): the same on every run and machine
    assert split_key(0, "split", "abc", "n01000001") == split_key(0, "split", "abc", "n01000001")
    assert split_key(0, "a") != split_key(1, "a")
    assert split_key(2012, "split", "x", "y") == 0xCA94F03B612B9BBC
