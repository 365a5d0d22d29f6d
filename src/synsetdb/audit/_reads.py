"""Reads several checks share, each done once per run (``AuditContext.memo``).

"In scope" means the catalog's accepted candidates when auditing the catalog,
and the release's items when auditing a release.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from ..catalog import aggregates, schema
from .context import AuditContext

__all__ = [
    "class_sizes",
    "release_splits",
    "scope_count",
    "scope_count_capped",
    "scope_images",
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
