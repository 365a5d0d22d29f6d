"""Reads several checks share, each done once per run (``AuditContext.memo``).

"In scope" means the catalog's accepted candidates when auditing the catalog,
and the release's items when auditing a release.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, null, select

from ..catalog import aggregates, schema
from .context import AuditContext

__all__ = [
    "ImageTable",
    "ScopeRows",
    "class_sizes",
    "image_table",
    "release_splits",
    "scope_count",
    "scope_count_capped",
    "scope_images",
    "scope_rows",
    "split_sizes",
    "synset_names",
]


def class_sizes(ctx: AuditContext) -> dict[str, int]:
    """Images per synset in scope (own images, not its subtree's), by wnid; no zeros."""
    return ctx.memo("class_sizes", lambda: _class_sizes(ctx))


def _class_sizes(ctx: AuditContext) -> dict[str, int]:
    s = schema.synset
    if ctx.release is not None:
        rc = schema.release_count
        query = (
            select(s.c.wnid, rc.c.own)
            .join(rc, rc.c.synset_id == s.c.id)
            .where(rc.c.release_id == ctx.release.id, rc.c.split == aggregates.ALL_SPLITS)
        )
    else:
        sc = schema.synset_count
        query = (
            select(s.c.wnid, sc.c.own)
            .join(sc, sc.c.synset_id == s.c.id)
            .where(sc.c.status == "accepted")
        )
    with ctx.catalog.engine.connect() as conn:
        return {wnid: int(n) for wnid, n in conn.execute(query) if n}


def synset_names(ctx: AuditContext) -> dict[str, str]:
    """Every catalog synset's display name, by wnid."""

    def read() -> dict[str, str]:
        s = schema.synset
        with ctx.catalog.engine.connect() as conn:
            return dict(conn.execute(select(s.c.wnid, s.c.name)).all())

    return ctx.memo("synset_names", read)


def scope_images(ctx: AuditContext, *columns: Any) -> Iterator[Any]:
    """Rows of ``columns`` (of ``schema.image``) for each distinct image in scope, streamed.

    The catalog's scope is every image with an accepted candidate; a release's,
    its items.
    """
    img = schema.image
    if ctx.release is not None:
        ri = schema.release_item
        ids = select(ri.c.image_id).where(ri.c.release_id == ctx.release.id)
    else:
        c = schema.candidate
        ids = select(c.c.image_id).where(c.c.status == "accepted")
    query = select(*columns).where(img.c.id.in_(ids.distinct().scalar_subquery()))
    with ctx.catalog.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=10_000).execute(query)
        yield from result


def scope_count(ctx: AuditContext) -> int:
    """How many distinct images are in scope."""

    def read() -> int:
        if ctx.release is not None:
            ri = schema.release_item
            query = select(func.count(ri.c.image_id.distinct())).where(
                ri.c.release_id == ctx.release.id
            )
        else:
            c = schema.candidate
            query = select(func.count(c.c.image_id.distinct())).where(c.c.status == "accepted")
        with ctx.catalog.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    return ctx.memo("scope_count", read)


def scope_count_capped(ctx: AuditContext, cap: int) -> int:
    """How many distinct images are in scope, counting no further than ``cap``.

    Deciding "more than N?" reads only N + 1 distinct ids, not the whole scope.
    """
    if ctx.release is not None:
        ri = schema.release_item
        ids = select(ri.c.image_id).where(ri.c.release_id == ctx.release.id)
    else:
        c = schema.candidate
        ids = select(c.c.image_id).where(c.c.status == "accepted")
    query = select(func.count()).select_from(ids.distinct().limit(max(0, cap)).subquery())
    with ctx.catalog.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def split_sizes(ctx: AuditContext) -> dict[str, dict[str, int]]:
    """A release's images per synset and split (``{wnid: {split: n}}``); ``{}`` for the catalog.

    Read from the release's stored counts; a class with no image in a split has
    no entry for it (callers treat that as zero).
    """

    def read() -> dict[str, dict[str, int]]:
        if ctx.release is None:
            return {}
        s, rc = schema.synset, schema.release_count
        query = (
            select(s.c.wnid, rc.c.split, rc.c.own)
            .join(rc, rc.c.synset_id == s.c.id)
            .where(rc.c.release_id == ctx.release.id, rc.c.split != aggregates.ALL_SPLITS)
        )
        found: dict[str, dict[str, int]] = {}
        with ctx.catalog.engine.connect() as conn:
            for wnid, split, own in conn.execute(query):
                if own:
                    found.setdefault(wnid, {})[split] = int(own)
        return found

    return ctx.memo("split_sizes", read)


def release_splits(ctx: AuditContext) -> list[str]:
    """The splits a release has items in, sorted (``[]`` for the catalog)."""

    def read() -> list[str]:
        if ctx.release is None:
            return []
        ri = schema.release_item
        query = select(ri.c.split).where(ri.c.release_id == ctx.release.id).distinct()
        with ctx.catalog.engine.connect() as conn:
            return sorted(conn.execute(query).scalars())

    return ctx.memo("release_splits", read)


@dataclass(frozen=True, slots=True)
class ImageTable:
    """Every catalog image's id, pHash, source and licence, column-wise, sorted by id.

    Attributes:
        ids: image ids as ASCII bytes, sorted (bytewise).
        phash: per image, its pHash (0 where it has none).
        hashed: per image, whether it has a pHash.
        source: per image, the index of its source in ``sources``.
        licence: per image, the index of its licence in ``licences``.
        sources: the distinct sources (``None`` among them where an image has none).
        licences: the distinct licences, likewise.
    """

    ids: npt.NDArray[np.bytes_]
    phash: npt.NDArray[np.int64]
    hashed: npt.NDArray[np.bool_]
    source: npt.NDArray[np.int64]
    licence: npt.NDArray[np.int64]
    sources: tuple[str | None, ...]
    licences: tuple[str | None, ...]

    def positions(self, ids: npt.NDArray[np.bytes_]) -> npt.NDArray[np.int64]:
        """The position of each of ``ids`` (which must all be catalog images) in the table."""
        # Search on the ids' first 8 bytes as big-endian integers (their order is the
        # ids' order), an integer search far cheaper than comparing 64-byte strings;
        # ids whose prefix another shares are searched again on their full bytes.
        at = np.searchsorted(_prefix(self.ids), _prefix(ids)).astype(np.int64)
        np.minimum(at, max(0, len(self.ids) - 1), out=at)
        if len(self.ids):
            again = np.flatnonzero(self.ids[at] != ids)
            at[again] = np.searchsorted(self.ids, ids[again])
        if len(at) and (at.max() >= len(self.ids) or np.any(self.ids[at] != ids)):
            raise LookupError("an image id in scope is not in the image table")
        return at


def _prefix(ids: npt.NDArray[np.bytes_]) -> npt.NDArray[np.uint64]:
    """Each id's first 8 bytes (zero-padded) as a big-endian integer."""
    width = ids.dtype.itemsize
    raw = np.zeros((len(ids), 8), np.uint8)
    raw[:, : min(8, width)] = ids.view(np.uint8).reshape(len(ids), width)[:, :8]
    return raw.view(">u8").ravel().astype(np.uint64)


def image_table(ctx: AuditContext) -> ImageTable:
    """The image table's ids, pHashes, sources and licences (memoised per run).

    One sequential scan of ``image``, sorted here: joining a scope's rows to it
    by sorted ids (``ImageTable.positions``) costs a binary search per row, where
    a database join looks each image row up at random.
    """
    return ctx.memo("image_table", lambda: _image_table(ctx))


def partitions(ctx: AuditContext, query: Any, size: int = 50_000) -> Iterator[list[Any]]:
    """The rows of ``query`` as lists of plain tuples, ``size`` at a time, streamed.

    On SQLite the query goes to the driver's cursor directly (rendered with its
    values inline: callers pass numbers and names of their own, never input),
    skipping SQLAlchemy's per-row objects: a third of the cost of reading a
    million rows. Elsewhere it streams through SQLAlchemy.
    """
    engine = ctx.catalog.engine
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            sql = str(query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(sql)
                while rows := cursor.fetchmany(size):
                    yield list(rows)
            finally:
                cursor.close()
        else:
            result = conn.execution_options(stream_results=True, yield_per=size).execute(query)
            for part in result.partitions():
                yield list(part)


def _codes(values: tuple[Any, ...], names: dict[Any, int]) -> npt.NDArray[np.int64]:
    """Each value's number in ``names`` (new values numbered as they come)."""
    for value in set(values) - names.keys():
        names[value] = len(names)
    return np.fromiter(map(names.__getitem__, values), np.int64, len(values))


def _image_table(ctx: AuditContext) -> ImageTable:
    img = schema.image.c
    query = select(
        img.id, func.coalesce(img.phash, 0), img.phash.is_not(None), img.source, img.licence
    )
    ids: list[npt.NDArray[np.bytes_]] = []
    phashes: list[npt.NDArray[np.int64]] = []
    hashed: list[npt.NDArray[np.bool_]] = []
    source: list[npt.NDArray[np.int64]] = []
    licence: list[npt.NDArray[np.int64]] = []
    sources: dict[str | None, int] = {}
    licences: dict[str | None, int] = {}
    for part in partitions(ctx, query):
        i, h, has, s, lic = zip(*part, strict=True)
        ids.append(np.array(i, dtype=np.bytes_))  # sha256 hex ids: one byte a character
        phashes.append(np.array(h, dtype=np.int64))
        hashed.append(np.array(has, dtype=bool))
        source.append(_codes(s, sources))
        licence.append(_codes(lic, licences))
    if not ids:
        empty = np.zeros(0, np.int64)
        return ImageTable(np.zeros(0, "S1"), empty, np.zeros(0, bool), empty, empty, (), ())
    all_ids = np.concatenate(ids)
    order = np.argsort(all_ids, kind="stable")
    return ImageTable(
        ids=all_ids[order],
        phash=np.concatenate(phashes)[order],
        hashed=np.concatenate(hashed)[order],
        source=np.concatenate(source)[order],
        licence=np.concatenate(licence)[order],
        sources=tuple(sources),
        licences=tuple(licences),
    )


@dataclass(frozen=True, slots=True)
class ScopeRows:
    """The rows in scope, column-wise, in no particular order.

    A release's items, or the catalog's accepted candidates (``split`` None).

    Attributes:
        image: per row, its image's position in ``image_table`` (sorted ids: a
            smaller position is a smaller id).
        synset: per row, the catalog's synset id.
        split: per row, its split (None for the catalog).
    """

    image: npt.NDArray[np.int64]
    synset: npt.NDArray[np.int64]
    split: list[str | None]


def scope_rows(ctx: AuditContext) -> ScopeRows:
    """Every row in scope: (image, synset id, split), read in one scan (memoised per run)."""
    return ctx.memo("scope_rows", lambda: _scope_rows(ctx))


def _scope_rows(ctx: AuditContext) -> ScopeRows:
    if ctx.release is not None:
        ri = schema.release_item.c
        query = select(ri.image_id, ri.synset_id, ri.split).where(ri.release_id == ctx.release.id)
    else:
        c = schema.candidate.c
        query = select(c.image_id, c.synset_id, null()).where(c.status == "accepted")
    ids: list[npt.NDArray[np.bytes_]] = []
    synsets: list[npt.NDArray[np.int64]] = []
    splits: list[str | None] = []
    for part in partitions(ctx, query):
        i, s, sp = zip(*part, strict=True)
        ids.append(np.array(i, dtype=np.bytes_))
        synsets.append(np.array(s, dtype=np.int64))
        splits.extend(sp)
    if not ids:
        empty = np.zeros(0, np.int64)
        return ScopeRows(empty, empty, [])
    return ScopeRows(
        image_table(ctx).positions(np.concatenate(ids)), np.concatenate(synsets), splits
    )
