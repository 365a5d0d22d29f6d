"""Near-duplicate groups that catch crops, turns and mirror images: pHashes against variant hashes.

Each item has its own 64-bit pHash (its *key*) and, when known, the variant
hashes of :mod:`synsetdb.imaging.variants` (the pHashes of its mirror image,
of trimmed, centred and straightened views). Item ``a`` links to item ``b``
when ``a``'s key lies within ``radius`` bits of ``b``'s key, or within the
stricter ``variant_radius`` (default ``radius - 2``) of one of ``b``'s
variant hashes: a copy cut, turned or mirrored from ``b`` has a key near the
variant of ``b`` that shows the same view. The variant links are stricter
because each item offers some 40 more hashes to land near: at radius 6 for
both, flat artwork (the demo's emoji) linked ten times as many distinct
pictures as the keys alone; at 4 for the variants, twice as many, while
93% of the copies of real photos are still found (``bench/near_duplicates.py``).
Groups are the connected components of those links, as with
:func:`synsetdb.imaging.dups.duplicate_groups` (which compares keys only, and
is what this does for items without variants).

The join is multi-index hashing (see :mod:`synsetdb.imaging.dups`) with the
roles split: every key and variant hash (about 40 per item) is indexed once,
by distinct value, and only keys probe the index. Probing with the ~n keys
rather than the ~40·n variants keeps the bucket probes at the key-only
self-join's count; the candidates verified grow with the index, about 40
times the key-only self-join's, which ``bench/near_duplicates.py`` measures.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ._mih import (
    CAND_CHUNK,
    I64,
    PROBE_CHUNK,
    U8,
    U64,
    Hashes,
    Table,
    as_unsigned,
    plan,
    popcount,
    ranges,
)
from .dups import DEFAULT_MAX_BUCKET, DEFAULT_RADIUS, DuplicateGroup, _union_find, _validate

__all__ = ["VARIANT_MARGIN", "LinkStats", "variant_groups"]

Variants = Sequence[Hashes | None]
#: How much stricter a key-to-variant link is than a key-to-key one, in bits.
VARIANT_MARGIN = 2


@dataclass(frozen=True, slots=True)
class LinkStats:
    """What one join cost: items, indexed distinct hashes, candidates verified, links found."""

    items: int
    indexed: int
    candidates: int
    links: int


def variant_groups(
    ids: Sequence[str],
    keys: Hashes,
    variants: Variants,
    radius: int = DEFAULT_RADIUS,
    *,
    variant_radius: int | None = None,
    labels: Sequence[str] | None = None,
    within_label: bool = False,
    max_bucket: int | None = DEFAULT_MAX_BUCKET,
) -> list[DuplicateGroup]:
    """Groups of items linked by key-to-key or key-to-variant hashes within ``radius`` bits.

    Args:
        ids: one id per item (an image's sha256, say).
        keys: each item's own 64-bit pHash, signed or unsigned.
        variants: each item's variant hashes (an empty sequence or None when
            unknown: the item then links by its key alone).
        radius: the largest Hamming distance of a key-to-key link (0..20).
        variant_radius: the largest distance of a key-to-variant link
            (default: ``radius - VARIANT_MARGIN``, at least 0).
        labels: one label per item, reported with each member.
        within_label: link only items with the same label.
        max_bucket: buckets holding more distinct hashes are left out (see
            :class:`~synsetdb.imaging.dups.NearDuplicateIndex`); None keeps all.

    Returns:
        Groups of two or more, largest first, then by first id. ``max_distance``
        is the largest distance of a link in the group.

    Raises:
        ValueError: lengths differ, or ``within_label`` without ``labels``.
        ConfigError: ``radius`` is out of range (code ``E_RADIUS``).

    Example:
        >>> variant_groups(["a", "b", "c"], [0, 2**40, -1], [[2**40 + 1], None, None], 1)
        [DuplicateGroup(ids=('a', 'b'), labels=(), max_distance=1)]
    """
    _validate(ids, keys, radius, max_bucket)
    if len(variants) != len(ids):
        raise ValueError(f"{len(ids)} ids but {len(variants)} variant lists: give one per id")
    if labels is not None and len(labels) != len(ids):
        raise ValueError(f"{len(ids)} ids but {len(labels)} labels: give one label per id")
    if within_label and labels is None:
        raise ValueError("within_label=True needs labels")
    values = as_unsigned(keys)
    groups: list[DuplicateGroup] = []
    if variant_radius is None:
        variant_radius = max(0, radius - VARIANT_MARGIN)
    for part in _parts(len(ids), labels if within_label else None):
        keys_only = VariantJoin(values[part], [None] * len(part), radius, max_bucket)
        with_variants = VariantJoin(
            values[part], [variants[i] for i in part.tolist()], variant_radius, max_bucket
        )
        (ku, kv, kd), (vu, vv, vd) = keys_only.links(), with_variants.links()
        links = (np.concatenate((ku, vu)), np.concatenate((kv, vv)), np.concatenate((kd, vd)))
        for members, distance in _components(len(part), *links):
            items = sorted((ids[i], i) for i in part[members].tolist())
            found = tuple(labels[i] for _, i in items) if labels is not None else ()
            groups.append(DuplicateGroup(tuple(i for i, _ in items), found, distance))
    return sorted(groups, key=lambda g: (-g.size, g.ids[0]))


def _parts(n: int, labels: Sequence[str] | None) -> list[I64]:
    if labels is None:
        return [np.arange(n, dtype=np.int64)]
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    return [np.array(p, dtype=np.int64) for p in by_label.values()]


class VariantJoin:
    """The links among items: each key probes an index of every key and variant hash.

    Args:
        keys: the items' own hashes, unsigned.
        variants: each item's variant hashes (None or empty: none).
        radius: the largest Hamming distance of a link.
        max_bucket: see :func:`variant_groups`.
    """

    def __init__(self, keys: U64, variants: Variants, radius: int, max_bucket: int | None) -> None:
        self.radius = radius
        self.keys = keys
        entries, owners = _entries(keys, variants)
        order = np.argsort(entries, kind="stable")
        entries, owners = entries[order], owners[order]
        first = np.r_[True, entries[1:] != entries[:-1]] if len(entries) else np.zeros(0, bool)
        self.uniq = entries[first]
        self.owners = owners  # owners of distinct hash u: owners[starts[u]:starts[u + 1]]
        self.starts = np.r_[np.flatnonzero(first), len(entries)].astype(np.int64)
        self.plan = plan(len(self.uniq), radius)
        shifts = np.cumsum((0, *self.plan.bits))[1:]
        self.tables = [
            Table.build(self.uniq, 64 - int(shift), bits, r, max_bucket)
            for shift, bits, r in zip(shifts, self.plan.bits, self.plan.radii, strict=True)
        ]
        self.candidates = 0
        self._links: tuple[I64, I64, U8] | None = None

    @property
    def stats(self) -> LinkStats:
        return LinkStats(len(self.keys), len(self.uniq), self.candidates, len(self.links()[0]))

    def links(self) -> tuple[I64, I64, U8]:
        """Each item linked to another: (item, item, distance), from the hits of every key."""
        if self._links is None:
            hits = [h for j, t in enumerate(self.tables) if t.radius >= 0 for h in self._probe(j)]
            probe, entry, dist = (np.concatenate([h[i] for h in hits]) for i in range(3))
            # One link per (key, distinct hash), the nearest, whichever substring found it.
            order = np.lexsort((dist, entry, probe))
            probe, entry, dist = probe[order], entry[order], dist[order]
            first = np.r_[True, (probe[1:] != probe[:-1]) | (entry[1:] != entry[:-1])]
            probe, entry, dist = probe[first], entry[first], dist[first]
            # The key links to every owner of the hash it hit: to the first, and the
            # owners to one another (a chain), which makes the same components.
            head = self.owners[self.starts[entry]]
            chain_u, chain_v, chain_d = self._chains(entry, dist)
            us = np.concatenate((probe, chain_u))
            vs = np.concatenate((head, chain_v))
            ds = np.concatenate((dist, chain_d)).astype(np.uint8)
            keep = us != vs
            self._links = (us[keep], vs[keep], ds[keep])
        return self._links

    def components(self) -> list[tuple[list[int], int]]:
        """Item positions and largest link distance of each component of two or more."""
        return _components(len(self.keys), *self.links())

    def _chains(self, entry: I64, dist: U8) -> tuple[I64, I64, U8]:
        """Links between consecutive owners of each distinct hash that a key hit."""
        hit, at = np.unique(entry, return_index=True)
        nearest = np.minimum.reduceat(dist, at) if len(at) else dist[:0]
        lo, hi = self.starts[hit], self.starts[hit + 1]
        many = hi - lo > 1
        lo, hi, nearest = lo[many], hi[many], nearest[many]
        pos = ranges(lo, hi - 1)[0]
        return self.owners[pos], self.owners[pos + 1], np.repeat(nearest, hi - lo - 1)

    def _probe(self, j: int) -> Iterator[tuple[I64, I64, U8]]:
        """Every (key, distinct hash, distance) within the radius found through substring ``j``."""
        table = self.tables[j]
        yield np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint8)
        masks = np.concatenate((np.zeros(1, np.uint64), table.masks))
        step = max(1, PROBE_CHUNK // len(masks))
        for start in range(0, len(self.keys), step):
            probe = np.arange(start, min(len(self.keys), start + step), dtype=np.int64)
            targets = (table.key(self.keys[probe])[:, None] ^ masks[None, :]).ravel()
            lo, hi = table.bounds(targets)
            owner = np.repeat(probe, len(masks))
            keep = hi > lo
            yield from self._verify(table, owner[keep], lo[keep], hi[keep])

    def _verify(self, table: Table, owner: I64, lo: I64, hi: I64) -> Iterator[tuple[I64, I64, U8]]:
        ends = np.cumsum(hi - lo)
        total = int(ends[-1]) if len(ends) else 0
        self.candidates += total
        cuts = np.unique(np.searchsorted(ends, np.arange(CAND_CHUNK, total, CAND_CHUNK)))
        for part in np.split(np.arange(len(lo)), cuts):
            pos, stop = ranges(lo[part], hi[part])
            xor = table.hashes[pos] ^ np.repeat(self.keys[owner[part]], hi[part] - lo[part])
            dist = popcount(xor)
            hit = np.flatnonzero(dist <= self.radius)
            mine = owner[part][np.searchsorted(stop, hit, "right")]
            yield mine, table.order[pos[hit]], dist[hit]


def _components(n: int, us: I64, vs: I64, ds: U8) -> list[tuple[list[int], int]]:
    """Item positions and largest link distance of each component of two or more."""
    root = _union_find(n, us, vs)
    max_dist = np.zeros(n, dtype=np.int64)
    np.maximum.at(max_dist, root[us], ds.astype(np.int64))
    chosen = np.flatnonzero(np.bincount(root, minlength=n)[root] >= 2)
    chosen = chosen[np.argsort(root[chosen], kind="stable")]
    parts = np.split(chosen, np.flatnonzero(np.diff(root[chosen])) + 1) if len(chosen) else []
    return [(part.tolist(), int(max_dist[root[part[0]]])) for part in parts]


def _entries(keys: U64, variants: Variants) -> tuple[U64, I64]:
    """Every key and variant hash, with the item each belongs to."""
    n = len(keys)
    lists = [as_unsigned(v) for v in variants if v is not None and len(v)]
    owned = [i for i, v in enumerate(variants) if v is not None and len(v)]
    counts = np.array([len(v) for v in lists], dtype=np.int64)
    entries = np.concatenate([keys, *lists])
    owners = np.concatenate(
        (np.arange(n, dtype=np.int64), np.repeat(np.array(owned, dtype=np.int64), counts))
    )
    return entries, owners
