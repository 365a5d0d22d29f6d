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
from sqlalchemy import select

from ...catalog import schema
from ...errors import ConfigError
from ...imaging import NearDuplicateIndex
from .. import _reads
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
    """The rows read by sequential scans (the scope's, the other releases' train items),
    joined to the image table's pHashes on sorted ids here, not by the database."""
    ri, rel = schema.release_item.c, schema.release.c
    table = _reads.image_table(ctx)
    mine = _reads.scope_rows(ctx)
    images, synsets, splits = [mine.image], [mine.synset], list(mine.split)
    releases = [np.zeros(len(mine.image), np.int64)]
    if others:
        query = (
            select(ri.image_id, ri.synset_id, ri.split, rel.name)
            .join_from(schema.release_item, schema.release, rel.id == ri.release_id)
            .where(rel.name.in_(others), ri.split == TRAIN)
        )
        for part in _reads.partitions(ctx, query):
            i, s, sp, r = zip(*part, strict=True)
            images.append(table.positions(np.array(i, dtype=np.bytes_)))
            synsets.append(np.array(s, dtype=np.int64))
            releases.append(np.array([others.index(n) + 1 for n in r], dtype=np.int64))
            splits.extend(sp)
    return _arrays(
        table,
        np.concatenate(images),
        np.concatenate(synsets),
        splits,
        np.concatenate(releases),
        others,
    )


def _arrays(
    table: _reads.ImageTable,
    positions: I64,
    synset: I64,
    splits: list[Any],
    release: I64,
    others: tuple[str, ...],
) -> Rows:
    """The rows (their images as positions in ``table``) as arrays sorted by image id, then
    release (the audited scope first), then synset, with their images' pHashes."""
    if not len(positions):
        empty = np.zeros(0, np.int64)
        return Rows(
            empty, empty, empty, empty, np.zeros(0, "S1"), empty, np.zeros(0, bool), (), others
        )
    names = sorted({s for s in set(splits) if s is not None})
    split_number: dict[Any, int] = {name: k for k, name in enumerate(names)}
    split_number[None] = NO_SPLIT
    split = np.array([split_number[s] for s in splits], dtype=np.int64)
    at, image = np.unique(positions, return_inverse=True)  # the table is sorted by id
    image = image.ravel().astype(np.int64)
    order = np.lexsort((synset, release, image))
    return Rows(
        image=image[order],
        synset=synset[order],
        split=split[order],
        release=release[order],
        ids=table.ids[at],
        phash=table.phash[at],
        hashed=table.hashed[at],
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
