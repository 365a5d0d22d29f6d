"""The rows and near-duplicate pairs the leakage checks share (read and joined once per run).

A *row* is one (image, synset, split, release) the audit sees: the items of the
audited release (or the catalog's accepted candidates), plus the ``train``
items of the releases it is compared against. Images are numbered in id order,
so "smallest number" is "smallest id" everywhere below.

Near-duplicate pairs come from :class:`synsetdb.imaging.NearDuplicateIndex`
(multi-index hashing) over the *distinct* pHashes in view; images sharing one
pHash are expanded here, so a crowd of identical hashes (blank pictures) costs
one index entry, not a quadratic self-join inside the index.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import null, select

from ...catalog import schema
from ...errors import ConfigError
from ...imaging import NearDuplicateIndex
from ..context import AuditContext

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
TRAIN = "train"
NO_SPLIT = -1
#: Images sharing one pHash with more than this many others are not paired with
#: one another (a blank or uniform picture hashes alike whatever it shows; the
#: images family reports those); their links to other hashes are kept.
CROWDED_HASH = 1_000


@dataclass(frozen=True, slots=True)
class Rows:
    """The rows in view, sorted by image id, and the distinct images behind them.

    Attributes:
        image: per row, the image's number (index into ``ids``).
        synset: per row, the catalog's synset id.
        split: per row, the index of its split in ``splits`` (``NO_SPLIT`` for the catalog).
        release: per row, 0 for the audited scope, ``k`` for ``releases[k - 1]``.
        ids: image ids, sorted, as ASCII bytes (``id_of`` gives one as text).
        phash: per image, its pHash (signed); meaningful where ``hashed``.
        hashed: per image, whether it has a pHash.
        splits: split names.
        releases: names of the releases compared against.
    """

    image: I64
    synset: I64
    split: I64
    release: I64
    ids: npt.NDArray[np.bytes_]
    phash: I64
    hashed: npt.NDArray[np.bool_]
    splits: tuple[str, ...]
    releases: tuple[str, ...]

    def id_of(self, image: int) -> str:
        """The id of image number ``image``."""
        return bytes(self.ids[image]).decode("ascii")

    @property
    def train(self) -> int:
        """The index of ``train`` in ``splits`` (-2 when no row is in train)."""
        return self.splits.index(TRAIN) if TRAIN in self.splits else -2

    def starts(self) -> I64:
        """Row offsets of each image: rows of image i are ``starts[i]:starts[i + 1]``."""
        return np.searchsorted(self.image, np.arange(len(self.ids) + 1)).astype(np.int64)


@dataclass(frozen=True, slots=True)
class RowPairs:
    """Ordered pairs of rows (x, y) whose images are near duplicates, or the same image.

    Both orders of each pair are present; ``x == y`` never is.
    """

    x: I64
    y: I64
    distance: npt.NDArray[np.int64]


def other_releases(ctx: AuditContext, against: Sequence[str] | None) -> tuple[str, ...]:
    """The releases to compare with: ``against``, or every release but the audited one."""
    r = schema.release.c
    with ctx.catalog.engine.connect() as conn:
        names = [str(n) for n in conn.execute(select(r.name).order_by(r.name)).scalars()]
    mine = ctx.release.name if ctx.release is not None else None
    if against is None:
        return tuple(n for n in names if n != mine)
    unknown = sorted(set(against) - set(names))
    if unknown:
        raise ConfigError(
            f"LEK006.against names no release {', '.join(unknown)}: "
            "`synsetdb release list` shows them",
            code="E_CONFIG",
        )
    return tuple(sorted(set(against) - {mine}))


def read_rows(ctx: AuditContext, others: tuple[str, ...]) -> Rows:
    """The audited scope's rows and the ``train`` rows of ``others`` (memoised per run)."""
    return ctx.memo(f"leakage:rows:{ctx.scope}:{'|'.join(others)}", lambda: _read(ctx, others))


def _read(ctx: AuditContext, others: tuple[str, ...]) -> Rows:
    img, ri, rel = schema.image.c, schema.release_item.c, schema.release.c
    queries: list[Any] = []
    if ctx.release is not None:
        queries.append(
            select(ri.image_id, img.phash, ri.synset_id, ri.split, ri.release_id)
            .join_from(schema.release_item, schema.image, img.id == ri.image_id)
            .where(ri.release_id == ctx.release.id)
            .order_by(ri.image_id)
        )
    else:
        c = schema.candidate.c
        queries.append(
            select(c.image_id, img.phash, c.synset_id, null(), null())
            .join_from(schema.candidate, schema.image, img.id == c.image_id)
            .where(c.status == "accepted")
            .order_by(c.image_id)
        )
    if others:
        ids_of = select(rel.id).where(rel.name.in_(others)).scalar_subquery()
        queries.append(
            select(ri.image_id, img.phash, ri.synset_id, ri.split, ri.release_id)
            .join_from(schema.release_item, schema.image, img.id == ri.image_id)
            .where(ri.release_id.in_(ids_of), ri.split == TRAIN)
            .order_by(ri.image_id)
        )
    parts: list[_Part] = []
    with ctx.catalog.engine.connect() as conn:
        numbers = dict(conn.execute(select(rel.id, rel.name).where(rel.name.in_(others))).all())
        release_number = {i: others.index(name) + 1 for i, name in numbers.items()}
        for k, query in enumerate(queries):
            result = conn.execution_options(stream_results=True, yield_per=50_000).execute(query)
            parts.extend(_part(part, release_number if k else None) for part in result.partitions())
    return _arrays(parts, others)


@dataclass(frozen=True, slots=True)
class _Part:
    """One fetched partition of rows, column-wise: no Python object per row kept."""

    ids: npt.NDArray[np.bytes_]
    phash: I64
    hashed: npt.NDArray[np.bool_]
    synset: I64
    split: list[Any]
    release: I64


def _part(rows: Sequence[Any], release_number: dict[int, int] | None) -> _Part:
    image_ids, phashes, synsets, splits, releases = zip(*rows, strict=True)
    hashed = np.array([h is not None for h in phashes], dtype=bool)
    phash = np.array([0 if h is None else h for h in phashes], dtype=np.int64)
    if release_number is None:
        release = np.zeros(len(rows), np.int64)
    else:
        release = np.array([release_number.get(r, 0) for r in releases], dtype=np.int64)
    return _Part(
        np.array(image_ids, dtype=np.bytes_),  # sha256 hex ids: one byte a character
        phash,
        hashed,
        np.array(synsets, dtype=np.int64),
        list(splits),
        release,
    )


def _arrays(parts: list[_Part], others: tuple[str, ...]) -> Rows:
    """The fetched partitions as arrays sorted by image id (each query came sorted)."""
    if not parts:
        empty = np.zeros(0, np.int64)
        return Rows(
            empty, empty, empty, empty, np.zeros(0, "S1"), empty, np.zeros(0, bool), (), others
        )
    image_ids = np.concatenate([p.ids for p in parts])
    names = sorted({s for p in parts for s in set(p.split) if s is not None})
    split_number: dict[Any, int] = {name: k for k, name in enumerate(names)}
    split_number[None] = NO_SPLIT
    split = np.array([split_number[s] for p in parts for s in p.split], dtype=np.int64)
    # Each query's rows come sorted by id; several queries (the compared releases), or a
    # database collation other than bytewise, are put in byte order by a stable sort.
    in_order = bool(np.all(image_ids[1:] >= image_ids[:-1]))
    order = None if in_order else np.argsort(image_ids, kind="stable")

    def column(values: Any) -> Any:
        return values if order is None else values[order]

    image_ids = column(image_ids)
    first = np.r_[True, image_ids[1:] != image_ids[:-1]] if len(image_ids) else np.zeros(0, bool)
    image = np.cumsum(first).astype(np.int64) - 1
    phash = column(np.concatenate([p.phash for p in parts]))
    hashed = column(np.concatenate([p.hashed for p in parts]))
    return Rows(
        image=image,
        synset=column(np.concatenate([p.synset for p in parts])),
        split=column(split),
        release=column(np.concatenate([p.release for p in parts])),
        ids=image_ids[first],
        phash=phash[first],
        hashed=hashed[first],
        splits=tuple(names),
        releases=others,
    )


def row_pairs(ctx: AuditContext, rows: Rows, radius: int, key: str) -> RowPairs:
    """Every ordered pair of rows of near-duplicate or identical images (memoised per run)."""
    return ctx.memo(f"leakage:pairs:{key}:{radius}", lambda: _row_pairs(rows, radius))


def _row_pairs(rows: Rows, radius: int) -> RowPairs:
    a, b, d = image_pairs(rows, radius)
    # The same image twice (two synsets, or two releases): distance 0.
    starts = rows.starts()
    multi = np.flatnonzero(np.diff(starts) > 1)
    a, b, d = np.r_[a, multi], np.r_[b, multi], np.r_[d, np.zeros(len(multi), np.int64)]
    x, y, which = _products(starts[a], starts[a + 1], starts[b], starts[b + 1])
    keep = x != y
    return RowPairs(x[keep], y[keep], d[which][keep])


def image_pairs(rows: Rows, radius: int) -> tuple[I64, I64, npt.NDArray[np.int64]]:
    """Ordered pairs of distinct images within ``radius`` bits, both orders, with distances."""
    hashed = np.flatnonzero(rows.hashed)
    if len(hashed) < 2:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    uniq, inverse = np.unique(rows.phash[hashed], return_inverse=True)
    members = hashed[np.argsort(inverse, kind="stable")]
    counts = np.bincount(inverse.ravel(), minlength=len(uniq))
    starts = np.r_[0, np.cumsum(counts)].astype(np.int64)
    index = NearDuplicateIndex([""] * len(uniq), uniq, radius)
    hu, hv, hd = index.pair_positions()  # the hashes are distinct: positions are hashes
    # Pairs of distinct hashes, both orders; then each shared hash with itself.
    shared = np.flatnonzero((counts > 1) & (counts <= CROWDED_HASH))
    if np.any(counts > CROWDED_HASH):
        log.warning(
            "leakage: %d pHash(es) shared by over %d images are not paired within themselves",
            int(np.count_nonzero(counts > CROWDED_HASH)),
            CROWDED_HASH,
        )
    hu, hv = np.r_[hu, hv, shared], np.r_[hv, hu, shared]
    hd = np.r_[hd, hd, np.zeros(len(shared), np.int64)]
    pa, pb, which = _products(starts[hu], starts[hu + 1], starts[hv], starts[hv + 1])
    a, b = members[pa], members[pb]
    keep = a != b
    return a[keep], b[keep], hd[which][keep]


def _products(lo_a: I64, hi_a: I64, lo_b: I64, hi_b: I64) -> tuple[I64, I64, I64]:
    """Every (i, j) with i in ``[lo_a, hi_a)`` and j in ``[lo_b, hi_b)`` of each range pair,
    and which pair it came from."""
    na, nb = hi_a - lo_a, hi_b - lo_b
    sizes = na * nb
    which = np.repeat(np.arange(len(sizes), dtype=np.int64), sizes)
    offset = np.arange(len(which), dtype=np.int64) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    width = nb[which]
    return lo_a[which] + offset // width, lo_b[which] + offset % width, which


def nearest(group: Sequence[I64], partner: I64, distance: npt.NDArray[np.int64]) -> I64:
    """Positions of the nearest pair of each group (ties: the smallest partner), sorted by group.

    ``group`` holds the columns that name a group (the first varies slowest).
    """
    if not len(partner):
        return np.zeros(0, np.int64)
    order = np.lexsort((partner, distance, *reversed(group)))
    keys = np.stack([g[order] for g in group])
    first = np.r_[True, np.any(keys[:, 1:] != keys[:, :-1], axis=0)]
    return order[first]


def count_per_group(group: Sequence[I64], chosen: I64, partner: I64) -> I64:
    """How many distinct partners each chosen pair's group has."""
    table = np.stack([*group, partner], axis=1)
    distinct = np.unique(table, axis=0)
    groups, counts = np.unique(distinct[:, :-1], axis=0, return_counts=True)
    at = {tuple(g): int(n) for g, n in zip(groups.tolist(), counts.tolist(), strict=True)}
    return np.array([at[tuple(int(g[i]) for g in group)] for i in chosen.tolist()], dtype=np.int64)
