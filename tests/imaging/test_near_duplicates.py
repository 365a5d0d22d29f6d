"""Variant hashes and the groups that link pHashes to them, on real photographs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from synsetdb.errors import ConfigError
from synsetdb.imaging import (
    VARIANT_COUNT,
    VIEWS,
    NearDuplicateIndex,
    duplicate_groups,
    variant_groups,
)
from synsetdb.imaging._mih import as_unsigned, popcount
from synsetdb.imaging.linking import VARIANT_MARGIN
from synsetdb.imaging.variants import pack, packed_variants, unpack, variant_hashes
from synsetdb.ingest.phash import hamming, phash
from synsetdb.ingest.validate import ValidationConfig, inspect_image
from tests.fixtures.photos import COLOUR_PHOTOS, PHOTO_NAMES, encode, photo
from tests.imaging.copies import crop, mirror, recompress, rescale, straighten

Copy = Callable[[Image.Image], Image.Image]
COPIES: dict[str, Copy] = {
    "left 12%": lambda im: crop(im, 0.12, 0, 0, 0),
    "bottom 18%": lambda im: crop(im, 0, 0, 0, 0.18),
    "top-right corner 9%": lambda im: crop(im, 0, 0.09, 0.09, 0),
    "centre 85%": lambda im: crop(im, 0.075, 0.075, 0.075, 0.075),
    "turned 4 degrees": lambda im: straighten(im, 4),
    "turned -8 degrees": lambda im: straighten(im, -8),
    "mirrored": mirror,
    "half size": lambda im: rescale(im, 0.5),
    "JPEG quality 35": lambda im: recompress(im, 35),
}


def _record(image: Image.Image) -> tuple[int, np.ndarray]:
    """What ingest and the backfill compute: the pHash, and variant hashes from the thumbnail."""
    inspected = inspect_image(encode(image, "JPEG", quality=92), ValidationConfig())
    assert not hasattr(inspected, "code")
    assert inspected.thumbnail is not None  # type: ignore[union-attr]
    packed = packed_variants(inspected.thumbnail)  # type: ignore[union-attr]
    return inspected.phash, unpack(packed)  # type: ignore[union-attr]


def test_one_hash_per_view_deterministic_and_packed_losslessly() -> None:
    image = photo("chelsea")
    hashes = variant_hashes(image)
    assert hashes.shape == (VARIANT_COUNT,) == (len(VIEWS),) and hashes.dtype == np.int64
    assert np.array_equal(hashes, variant_hashes(photo("chelsea")))
    assert np.array_equal(unpack(pack(hashes)), hashes)
    assert len(set(hashes.tolist())) > VARIANT_COUNT // 2  # views differ from one another


def test_the_mirror_view_is_the_phash_of_the_mirror_image() -> None:
    for name in COLOUR_PHOTOS:
        image = photo(name)
        mirrored = variant_hashes(image)[VIEWS.index("mirror")]
        assert hamming(int(mirrored), phash(mirror(image))) <= 4, name
        assert hamming(phash(image), phash(mirror(image))) > 16, name


def test_undecodable_bytes_give_no_variants() -> None:
    assert packed_variants(b"not an image") == b""
    assert unpack(b"").shape == (0,)


@pytest.mark.parametrize("kind", list(COPIES))
def test_copies_of_real_photos_group_with_their_original(kind: str) -> None:
    """Each copy is grouped with its original for (nearly) every photo; today's pHash alone
    groups only rescales and recompressions."""
    make = COPIES[kind]
    new = old = 0
    names = PHOTO_NAMES[:10]
    for name in names:
        original = photo(name)
        (key, variants), (copy_key, copy_variants) = _record(original), _record(make(original))
        found = variant_groups(["original", "copy"], [key, copy_key], [variants, copy_variants], 6)
        new += [g.ids for g in found] == [("copy", "original")]
        old += bool(duplicate_groups(["original", "copy"], [key, copy_key], 6))
    assert new >= len(names) - 1, (kind, new)
    if kind not in ("half size", "JPEG quality 35"):
        assert old <= 3, (kind, old)


def _quadrants(image: Image.Image) -> list[Image.Image]:
    w, h = image.size
    return [image.crop((x * w // 2, y * h // 2, (x + 1) * w // 2, (y + 1) * h // 2)) for x, y in
            ((0, 0), (1, 0), (0, 1), (1, 1))]  # fmt: skip


def test_distinct_real_photos_are_not_grouped() -> None:
    """The photos and the quarters of each (distinct pictures; the retina's, a disc on black,
    mirror one another and are left out), compared all with all: 1,830 pairs."""
    images = [photo(name) for name in PHOTO_NAMES]
    images += [q for name in PHOTO_NAMES if name != "retina" for q in _quadrants(photo(name))]
    records = [_record(image) for image in images]
    ids = [f"img{i:02d}" for i in range(len(records))]
    keys = [k for k, _ in records]
    groups = variant_groups(ids, keys, [v for _, v in records], 6)
    assert groups == []


def _brute(keys: list[int], variants: list[list[int]], radius: int) -> list[list[int]]:
    """Components of the link graph, comparing every key with every key and variant."""
    n = len(keys)
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    k = as_unsigned(keys)
    for a in range(n):
        for b in range(n):
            targets = as_unsigned([keys[b], *variants[b]])
            if a != b and int(popcount(targets ^ k[a]).min()) <= radius:
                parent[find(a)] = find(b)
    comps: dict[int, list[int]] = {}
    for i in range(n):
        comps.setdefault(find(i), []).append(i)
    return sorted((c for c in comps.values() if len(c) > 1), key=lambda c: (-len(c), c[0]))


@pytest.mark.parametrize("radius", [0, 3, 6, 9])
def test_groups_match_brute_force(radius: int) -> None:
    rng = np.random.default_rng(radius)
    n = 300
    keys = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    variants = rng.integers(0, 2**64, size=(n, 5), dtype=np.uint64)
    for a in rng.choice(n, size=60, replace=False).tolist():  # copies near another's variant
        b, view = int(rng.integers(n)), int(rng.integers(5))
        flips = rng.choice(64, size=int(rng.integers(0, radius + 3)), replace=False)
        keys[a] = variants[b, view] ^ np.uint64(sum(1 << int(f) for f in flips))
    keys[:5] = keys[5]  # exact copies
    listed = [v.tolist() for v in variants]
    listed[7] = []  # an item without variants links by its key alone
    ids = [f"{i:03d}" for i in range(n)]
    variants_ = [np.array(v, dtype=np.uint64) for v in listed]
    found = variant_groups(ids, keys, variants_, radius, variant_radius=radius)
    expected = _brute([int(k) for k in keys], listed, radius)
    assert sorted(g.ids for g in found) == sorted(tuple(ids[i] for i in c) for c in expected)
    assert all(0 <= g.max_distance <= radius for g in found)


def test_without_variants_it_is_the_key_only_grouping() -> None:
    rng = np.random.default_rng(1)
    keys = rng.integers(0, 2**64, size=500, dtype=np.uint64)
    keys[100:110] = keys[0] ^ np.uint64(0b1011)
    ids = [str(i) for i in range(500)]
    assert variant_groups(ids, keys, [None] * 500, 4) == duplicate_groups(ids, keys, 4)


def test_within_label_and_bad_arguments() -> None:
    keys = [0, 1, 2**40]
    variants = [None, None, [3]]
    groups = variant_groups(["a", "b", "c"], keys, variants, 2, labels="xyx", within_label=True)
    assert [g.ids for g in groups] == [("a", "c")] and groups[0].labels == ("x", "x")
    with pytest.raises(ValueError, match="variant lists"):
        variant_groups(["a"], [0], [], 2)
    with pytest.raises(ValueError, match="needs labels"):
        variant_groups(["a"], [0], [None], 2, within_label=True)
    with pytest.raises(ConfigError):
        variant_groups(["a"], [0], [None], 21)


def test_a_variant_link_is_stricter_than_a_key_link() -> None:
    """Keys link within the radius, keys to variants within radius - VARIANT_MARGIN: some 45
    views per picture would otherwise link unrelated flat artwork."""
    base = 0
    near_key = (1 << 6) - 1  # 6 bits from the base key
    variant = 0xFFFF_FFFF_0000_0000  # far from every key
    near_variant = variant ^ ((1 << 5) - 1)  # 5 bits from the base's variant
    ids, keys = ["a", "b", "c"], [base, near_key, near_variant]
    variants = [np.array([variant], dtype=np.uint64), None, None]
    assert VARIANT_MARGIN == 2
    assert [g.ids for g in variant_groups(ids, keys, variants, 6)] == [("a", "b")]
    found = variant_groups(ids, keys, variants, 6, variant_radius=5)
    assert [g.ids for g in found] == [("a", "b", "c")]


def test_pair_positions_are_the_pairs_by_position() -> None:
    rng = np.random.default_rng(7)
    base = rng.integers(0, 2**63, size=40, dtype=np.int64)
    # Near copies (a few bits flipped) and exact copies (the same hash twice or three times).
    flips = base[:15] ^ (np.int64(1) << rng.integers(0, 63, size=15)).astype(np.int64)
    hashes = np.concatenate((base, flips, base[:5], base[:2]))
    ids = [f"i{n:03d}" for n in range(len(hashes))]
    index = NearDuplicateIndex(ids, hashes, radius=3)
    a, b, d = index.pair_positions()
    assert np.all(a < b)
    firsts, seconds = [ids[i] for i in a.tolist()], [ids[i] for i in b.tolist()]
    by_position = sorted(zip(firsts, seconds, d.tolist(), strict=True))
    assert by_position == sorted(index.pairs())
    assert len(by_position) == len(set(by_position)) > 20


def test_pair_positions_of_no_pairs_are_empty() -> None:
    a, b, d = NearDuplicateIndex(["a", "b"], [0, -1], radius=2).pair_positions()
    assert len(a) == len(b) == len(d) == 0
