"""Near-duplicate images: multi-index hashing over 64-bit perceptual hashes.

Two images are near duplicates when their 64-bit DCT hashes differ in at most
``radius`` bits. Rather than compare all ``n²/2`` pairs, this implements
multi-index hashing (Norouzi, Punjani and Fleet, *Fast Exact Search in Hamming
Space with Multi-Index Hashing*, TPAMI 2014). The 64 bits are cut into ``m``
disjoint substrings; with ``r = s·m + a`` (``0 ≤ a < m``), two hashes within
``r`` are within ``s`` on one of the first ``a + 1`` substrings or within
``s − 1`` on one of the others (``m = r + 1`` is plain pigeonhole: one
substring matches exactly). Each substring buckets the distinct hashes by its
value; candidates are the members of buckets whose key is within the
substring's radius of the prober's, and each is verified on all 64 bits with a
vectorised popcount. A pair is probed only from its smaller key and kept only
by the first substring that finds it, so it is reported once.

``m`` comes from a cost model: for ``n`` random distinct hashes the expected
candidates are ``n²/2 · Σ_j V(b_j, s_j) / 2^b_j`` (``b_j`` bits, ``V(b, s)``
keys within ``s`` of a ``b``-bit key), traded against ``n/2 · Σ_j V(b_j, s_j)``
bucket probes; substrings end up about ``log2 n`` bits wide. Measured, radius
6 verifies 0.08 % of all pairs for both 10⁵ and 10⁶ hashes (4·10⁶ and 4·10⁸
candidates); radius 10 verifies 2 % and 0.65 %. Substrings of a 64-bit code
cannot keep widening, so past ~10⁶ hashes this is a large constant factor
below ``n²/2``, not a better exponent. ``NearDuplicateIndex.stats`` gives the
estimate and the actual count.

Pathological inputs (blank images all hash to 0) are guarded twice. Identical
hashes are collapsed first: each distinct hash is indexed once, and items
sharing one are exact duplicates at no candidate cost. A bucket holding more
than ``max_bucket`` distinct hashes is left out of the self-join with a logged
warning; a pair is then missed only if no other substring finds it
(``max_bucket=None`` keeps every bucket; ``query`` never skips one).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from ..errors import ConfigError
from ._mih import (
    CAND_CHUNK,
    I64,
    PROBE_CHUNK,
    U64,
    Hashes,
    Pairs,
    Table,
    as_unsigned,
    plan,
    popcount,
    ranges,
)

__all__ = [
    "DEFAULT_MAX_BUCKET",
    "DEFAULT_RADIUS",
    "MAX_RADIUS",
    "DuplicateGroup",
    "IndexStats",
    "NearDuplicateIndex",
    "as_unsigned",
    "duplicate_groups",
]

log = logging.getLogger(__name__)

DEFAULT_RADIUS = 6
MAX_RADIUS = 20
DEFAULT_MAX_BUCKET = 20_000


@dataclass(frozen=True, slots=True)
class IndexStats:
    """What a self-join cost and found.

    Attributes:
        items: hashes given.
        distinct: distinct hashes (the index holds each once).
        substring_bits: width of each substring.
        substring_radii: radius searched in each substring (-1: not searched).
        expected_candidates: the cost model's estimate for random hashes.
        candidates: candidate pairs of distinct hashes actually verified.
        pairs: pairs of distinct hashes found within the radius.
        skipped_buckets: buckets over ``max_bucket`` left out of the self-join.
    """

    items: int
    distinct: int
    substring_bits: tuple[int, ...]
    substring_radii: tuple[int, ...]
    expected_candidates: float
    candidates: int
    pairs: int
    skipped_buckets: int


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    """Items linked by chains of within-radius hashes.

    Attributes:
        ids: the members, sorted.
        labels: each member's label (its synset, say), aligned with ``ids``;
            empty when no labels were given.
        max_distance: the largest distance of a within-radius link in the group
            (0: all members share one hash). A chain can put two members
            further apart than the radius.
    """

    ids: tuple[str, ...]
    labels: tuple[str, ...]
    max_distance: int

    @property
    def size(self) -> int:
        return len(self.ids)


class NearDuplicateIndex:
    """Pairs, groups and queries of hashes within a fixed Hamming radius.

    The radius is fixed when the index is built, since the substring split
    depends on it: build another index for another radius. The self-join behind
    ``pairs``, ``groups`` and ``stats`` runs on first use and is cached;
    ``query`` does not need it. Items are known by position; ``ids`` may repeat.

    Args:
        ids: one id per item (an image's sha256, say).
        hashes: one 64-bit hash per item, signed (SQL ``BIGINT``) or unsigned.
        radius: the largest Hamming distance that counts as a near duplicate.
        max_bucket: see the module docstring; ``None`` never skips a bucket.
        substrings: force the number of substrings ``m`` (1..radius + 1)
            instead of the cost model's choice; for tests and benchmarks.

    Raises:
        ValueError: ``ids`` and ``hashes`` differ in length, or a hash does not
            fit in 64 bits.
        ConfigError: ``radius`` is outside 0..20 (code ``E_RADIUS``) or
            ``max_bucket`` is below 1 (code ``E_MAX_BUCKET``), or ``substrings``
            is out of range or needs too many probes (code ``E_SUBSTRINGS``).

    Example:
        >>> index = NearDuplicateIndex(["a", "b", "c"], [0b1011, 0b0011, -1], radius=2)
        >>> list(index.pairs())
        [('a', 'b', 1)]
        >>> index.query(0b0001)
        [('b', 1), ('a', 2)]
    """

    def __init__(
        self,
        ids: Sequence[str],
        hashes: Hashes,
        radius: int = DEFAULT_RADIUS,
        *,
        max_bucket: int | None = DEFAULT_MAX_BUCKET,
        substrings: int | None = None,
    ) -> None:
        _validate(ids, hashes, radius, max_bucket)
        self.radius = radius
        self._ids = list(ids)
        self._uniq, inverse = np.unique(as_unsigned(hashes), return_inverse=True)
        self._inverse = inverse.astype(np.int64).ravel()
        # Members of distinct hash u, by position: _members[_starts[u] : _starts[u + 1]].
        self._members = np.argsort(self._inverse, kind="stable").astype(np.int64)
        counts = np.bincount(self._inverse, minlength=len(self._uniq))
        self._starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        self._plan = plan(len(self._uniq), radius, substrings)
        shifts = np.cumsum((0, *self._plan.bits))[1:]
        self._tables = [
            Table.build(self._uniq, 64 - int(shift), bits, r, max_bucket)
            for shift, bits, r in zip(shifts, self._plan.bits, self._plan.radii, strict=True)
        ]
        self._edges: Pairs | None = None
        self._candidates = 0

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def stats(self) -> IndexStats:
        """The substring plan, expected and actual candidates (runs the self-join)."""
        return IndexStats(
            items=len(self._ids),
            distinct=len(self._uniq),
            substring_bits=self._plan.bits,
            substring_radii=self._plan.radii,
            expected_candidates=self._plan.expected_candidates,
            candidates=self._candidates,
            pairs=len(self._join()[0]),
            skipped_buckets=sum(t.oversized[0] for t in self._tables),
        )

    def pairs(self) -> Iterator[tuple[str, str, int]]:
        """Every unordered pair within the radius, once, as ``(id_a, id_b, distance)``.

        ``a`` comes before ``b`` in the input. Exact copies come first (grouped by
        hash), then pairs of different hashes in the order of their smaller hash.
        """
        ids = self._ids
        for u in np.flatnonzero(np.diff(self._starts) > 1).tolist():
            for a, b in combinations(self._member_list(u), 2):
                yield ids[a], ids[b], 0
        us, vs, ds = self._join()
        for u, v, d in zip(us.tolist(), vs.tolist(), ds.tolist(), strict=True):
            for a in self._member_list(u):
                for b in self._member_list(v):
                    yield (ids[a], ids[b], d) if a < b else (ids[b], ids[a], d)

    def pair_positions(self) -> tuple[I64, I64, I64]:
        """The pairs of ``pairs`` as arrays of item positions ``(a, b, distance)``, ``a < b``.

        The same pairs, in no particular order, without a Python tuple per pair:
        for callers that number their items themselves (the audit's leakage
        checks join a million hashes this way).
        """
        counts = np.diff(self._starts)
        # Items sharing one hash: every pair within each group (distance 0).
        shared = np.flatnonzero(counts > 1)
        sa, sb, _ = _range_products(
            self._starts[shared],
            self._starts[shared + 1],
            self._starts[shared],
            self._starts[shared + 1],
        )
        keep = sa < sb
        us, vs, ds = self._join()
        pa, pb, which = _range_products(
            self._starts[us], self._starts[us + 1], self._starts[vs], self._starts[vs + 1]
        )
        a = np.concatenate((self._members[sa[keep]], self._members[pa]))
        b = np.concatenate((self._members[sb[keep]], self._members[pb]))
        d = np.concatenate((np.zeros(int(keep.sum()), np.int64), ds.astype(np.int64)[which]))
        return np.minimum(a, b), np.maximum(a, b), d

    def query(self, h: int) -> list[tuple[str, int]]:
        """Ids within the radius of hash ``h``, nearest first (ties in input order)."""
        q = as_unsigned([h])
        found = [np.zeros(0, dtype=np.int64)]
        for table in (t for t in self._tables if t.radius >= 0):
            probes = table.key(q) ^ np.concatenate((np.zeros(1, np.uint64), table.masks))
            found.append(table.order[ranges(*table.bounds(probes, capped=False))[0]])
        uniq = np.unique(np.concatenate(found))
        dist = popcount(self._uniq[uniq] ^ q)
        uniq, dist = uniq[dist <= self.radius], dist[dist <= self.radius]
        pos, ends = ranges(self._starts[uniq], self._starts[uniq + 1])
        members = self._members[pos]
        dist = dist[np.searchsorted(ends, np.arange(len(pos)), "right")]
        order = np.lexsort((members, dist))
        ids = [self._ids[i] for i in members[order].tolist()]
        return list(zip(ids, dist[order].tolist(), strict=True))

    def groups(self) -> list[list[str]]:
        """Connected components of the within-radius graph with two or more members.

        Each is sorted; the list is sorted by size (largest first), then first id.
        """
        found = [sorted(self._ids[i] for i in members) for members, _ in self._components()]
        return sorted(found, key=lambda g: (-len(g), g[0]))

    def _member_list(self, u: int) -> list[int]:
        return list(self._members[self._starts[u] : self._starts[u + 1]].tolist())

    def _components(self) -> list[tuple[list[int], int]]:
        """Member positions and largest link distance of each component of two or more."""
        us, vs, ds = self._join()
        root = _union_find(len(self._uniq), us, vs)
        max_dist = np.zeros(len(self._uniq), dtype=np.int64)
        np.maximum.at(max_dist, root[us], ds.astype(np.int64))
        comp = root[self._inverse]
        chosen = np.flatnonzero(np.bincount(comp, minlength=len(self._uniq))[comp] >= 2)
        chosen = chosen[np.argsort(comp[chosen], kind="stable")]
        parts = np.split(chosen, np.flatnonzero(np.diff(comp[chosen])) + 1) if len(chosen) else []
        return [(part.tolist(), int(max_dist[comp[part[0]]])) for part in parts]

    def _join(self) -> Pairs:
        """Every pair of distinct hashes within the radius, once: (u, v, distance), u < v."""
        if self._edges is None:
            self._candidates = 0
            found = [p for j, t in enumerate(self._tables) if t.radius >= 0 for p in self._probe(j)]
            us, vs, ds = (np.concatenate([f[i] for f in found]) for i in range(3))
            u, v = np.minimum(us, vs), np.maximum(us, vs)
            order = np.lexsort((v, u))
            self._edges = (u[order], v[order], ds[order])
        return self._edges

    def _probe(self, j: int) -> Iterator[Pairs]:
        """Self-join through substring ``j``: its own buckets, then flipped keys."""
        table, n = self._tables[j], len(self._tables[j].keys)
        yield np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint8)
        if table.oversized[0]:
            log.warning(
                "near-duplicate index: substring %d has %d buckets over max_bucket=%s "
                "(%d distinct hashes); pairs that only they would find are missed",
                j, table.oversized[0], table.cap, table.oversized[1],
            )  # fmt: skip
        for start in range(0, n, PROBE_CHUNK):
            pos = np.arange(start, min(n, start + PROBE_CHUNK), dtype=np.int64)
            _, hi = table.bounds(table.keys[pos])  # the rest of the owner's own bucket
            yield from self._verify(j, pos, pos + 1, np.maximum(hi, pos + 1))
        step = max(1, PROBE_CHUNK // max(1, len(table.masks)))
        for start in range(0, n if len(table.masks) else 0, step):
            pos = np.arange(start, min(n, start + step), dtype=np.int64)
            keys = table.keys[pos]
            targets = keys[:, None] ^ table.masks[None, :]
            up = targets > keys[:, None]  # probe upwards only: each pair is found once
            lo, hi = table.bounds(targets[up])
            yield from self._verify(j, np.broadcast_to(pos[:, None], up.shape)[up], lo, hi)

    def _verify(self, j: int, owner: I64, lo: I64, hi: I64) -> Iterator[Pairs]:
        """Check each candidate (owner, member of ``[lo, hi)``) on all 64 bits, in chunks."""
        table = self._tables[j]
        keep = hi > lo
        owner, lo, hi = owner[keep], lo[keep], hi[keep]
        ends = np.cumsum(hi - lo)
        total = int(ends[-1]) if len(ends) else 0
        self._candidates += total
        cuts = np.unique(np.searchsorted(ends, np.arange(CAND_CHUNK, total, CAND_CHUNK)))
        for part in np.split(np.arange(len(lo)), cuts):
            pos, stop = ranges(lo[part], hi[part])
            xor = table.hashes[pos]
            xor ^= np.repeat(table.hashes[owner[part]], hi[part] - lo[part])
            dist = popcount(xor)
            hit = np.flatnonzero(dist <= self.radius)
            mine, pos, dist = owner[part][np.searchsorted(stop, hit, "right")], pos[hit], dist[hit]
            first = self._first_table(table.hashes[mine], table.hashes[pos]) == j
            yield table.order[mine[first]], table.order[pos[first]], dist[first]

    def _first_table(self, a: U64, b: U64) -> I64:
        """The first substring whose self-join finds each pair; the others drop it."""
        first = np.full(len(a), len(self._tables), dtype=np.int64)
        for j in reversed(range(len(self._tables))):
            table = self._tables[j]
            if table.radius < 0:
                continue
            ka, kb = table.key(a), table.key(b)
            found = popcount(ka ^ kb) <= table.radius
            if table.oversized[0]:  # a skipped bucket finds nothing
                lo, hi = table.bounds(np.maximum(ka, kb))
                found &= hi > lo
            first[found] = j
        return first


def _validate(ids: Sequence[str], hashes: Hashes, radius: int, max_bucket: int | None) -> None:
    if isinstance(radius, bool) or not isinstance(radius, int) or not 0 <= radius <= MAX_RADIUS:
        raise ConfigError(
            f"radius must be an integer in 0..{MAX_RADIUS}, got {radius!r}", code="E_RADIUS"
        )
    if max_bucket is not None and max_bucket < 1:
        raise ConfigError(f"max_bucket must be at least 1, got {max_bucket}", code="E_MAX_BUCKET")
    if len(ids) != len(hashes):
        raise ValueError(f"{len(ids)} ids but {len(hashes)} hashes: give one hash per id")


def _range_products(lo_a: I64, hi_a: I64, lo_b: I64, hi_b: I64) -> tuple[I64, I64, I64]:
    """Every (i, j), i in ``[lo_a, hi_a)`` and j in ``[lo_b, hi_b)``, of each pair of ranges,
    and the index of the pair of ranges it came from."""
    nb = hi_b - lo_b
    sizes = (hi_a - lo_a) * nb
    which = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    offset = np.arange(len(which), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    width = nb[which]
    return lo_a[which] + offset // width, lo_b[which] + offset % width, which


def _union_find(n: int, u: I64, v: I64) -> I64:
    """Root (smallest member) of each node's component: vectorised hook and compress."""
    parent = np.arange(n, dtype=np.int64)
    while len(u):
        pu, pv = parent[u], parent[v]
        differ = pu != pv
        u, v, pu, pv = u[differ], v[differ], pu[differ], pv[differ]
        # Roots hook onto smaller roots only, so no cycle can form.
        np.minimum.at(parent, np.maximum(pu, pv), np.minimum(pu, pv))
        while not np.array_equal(grand := parent[parent], parent):
            parent = grand
    return parent


def duplicate_groups(
    ids: Sequence[str],
    hashes: Hashes,
    radius: int = DEFAULT_RADIUS,
    *,
    labels: Sequence[str] | None = None,
    within_label: bool = False,
    max_bucket: int | None = DEFAULT_MAX_BUCKET,
) -> list[DuplicateGroup]:
    """Groups of near-duplicate items, across the catalog or within each label.

    Args:
        ids: one id per item.
        hashes: one 64-bit hash per item, signed or unsigned.
        radius: the largest Hamming distance that links two items (0..20).
        labels: one label per item (its synset, say), reported with each member.
        within_label: link only items with the same label (one index per
            label); otherwise items link across labels too.
        max_bucket: see :class:`NearDuplicateIndex`.

    Returns:
        Groups of two or more, largest first, then by first id.

    Raises:
        ValueError: lengths differ, or ``within_label`` without ``labels``.
        ConfigError: ``radius`` is out of range (code ``E_RADIUS``).

    Example:
        >>> duplicate_groups(["a", "b", "c"], [1, 3, 3], 1, labels="xyx", within_label=True)
        [DuplicateGroup(ids=('a', 'c'), labels=('x', 'x'), max_distance=1)]
    """
    _validate(ids, hashes, radius, max_bucket)
    if labels is not None and len(labels) != len(ids):
        raise ValueError(f"{len(ids)} ids but {len(labels)} labels: give one label per id")
    if within_label and labels is None:
        raise ValueError("within_label=True needs labels")
    values = as_unsigned(hashes)
    parts = [np.arange(len(ids), dtype=np.int64)]
    if within_label and labels is not None:
        by_label: dict[str, list[int]] = {}
        for i, label in enumerate(labels):
            by_label.setdefault(label, []).append(i)
        parts = [np.array(p, dtype=np.int64) for p in by_label.values()]
    groups = []
    for part in parts:
        index = NearDuplicateIndex(
            [ids[i] for i in part.tolist()], values[part], radius, max_bucket=max_bucket
        )
        for members, max_dist in index._components():
            items = sorted((ids[i], i) for i in part[members].tolist())
            found = tuple(labels[i] for _, i in items) if labels is not None else ()
            groups.append(DuplicateGroup(tuple(i for i, _ in items), found, max_dist))
    return sorted(groups, key=lambda g: (-g.size, g.ids[0]))
