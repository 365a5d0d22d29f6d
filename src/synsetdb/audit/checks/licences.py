"""Licences and provenance: where the images in scope come from, and under what terms."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, or_, select

from ...catalog import schema
from ..context import AuditContext
from ..model import CheckSkipped, Finding
from ..registry import check

_NONE = "(none)"


def _scope_filter(ctx: AuditContext):  # type: ignore[no-untyped-def]
    """``image.id IN (the images in scope)``."""
    if ctx.release is not None:
        ri = schema.release_item
        ids = select(ri.c.image_id).where(ri.c.release_id == ctx.release.id)
    else:
        c = schema.candidate
        ids = select(c.c.image_id).where(c.c.status == "accepted")
    return schema.image.c.id.in_(ids.distinct().scalar_subquery())


@check(
    "LIC001",
    "unknown-provenance",
    family="licences",
    level="warning",
    summary="images in scope whose source or licence is not known, counted per source",
)
def unknown_provenance(ctx: AuditContext) -> Iterator[Finding]:
    """Images without a recorded source or licence, one finding per source.

    An image's source (where it was first seen) and licence are recorded at
    ingest (``ingest folder --licence``, a URL list's ``licence`` column, the
    licence a search provider returned). Without them nobody can say whether
    the image may be redistributed or used for training, which is what the
    datasheet of a release has to state.

    Fix: re-ingest the source with ``--licence``/``--source-name``, or record the
    terms the dataset was obtained under (ImageNet's images carry none: its
    terms of access cover them) and accept the finding with that reason.
    """
    img = schema.image
    missing = or_(img.c.source.is_(None), img.c.licence.is_(None))
    query = (
        select(
            img.c.source,
            func.count().label("images"),
            func.count().filter(img.c.licence.is_(None)).label("no_licence"),
            func.min(img.c.id).label("example"),
        )
        .where(_scope_filter(ctx), missing)
        .group_by(img.c.source)
        .order_by(func.count().desc())
    )
    with ctx.catalog.engine.connect() as conn:
        rows = conn.execute(query).all()
    for row in rows:
        source = row.source or _NONE
        what = "no source" if row.source is None else f"source {source}"
        lacking = "no source and " if row.source is None else ""
        yield Finding(
            "LIC001",
            ctx.release_key(f"source:{source}"),
            f"{what}: {row.images:,} image(s) with {lacking}"
            f"{'no licence' if row.no_licence else 'a licence'}",
            action="record the source's licence (ingest --licence) or accept with the terms",
            evidence={
                "source": row.source,
                "images": int(row.images),
                "no_licence": int(row.no_licence),
                "example_image": row.example,
            },
            score=float(row.images),
        )


@check(
    "LIC002",
    "licence-outside-policy",
    family="licences",
    level="error",
    summary="images whose licence is not on the project's list of allowed licences",
    options={"allowed": []},
)
def licence_outside_policy(ctx: AuditContext) -> Iterator[Finding]:
    """Images under a licence the project does not allow, one finding per licence.

    The policy is the list ``allowed`` under ``[audit.LIC002]`` in
    ``synsetdb.toml`` (``allowed = ["cc-by-4.0", "cc0-1.0"]``), compared after
    lower-casing and trimming. Images without a licence are LIC001's. The check
    is skipped while no policy is set.

    Fix: leave those images out of the release (a release spec's filters), or
    add the licence to the policy if it is in fact acceptable.
    """
    allowed = {str(name).strip().lower() for name in ctx.option("allowed")}
    if not allowed:
        raise CheckSkipped("no licence policy: set allowed = [...] under [audit.LIC002]")
    img = schema.image
    query = (
        select(img.c.licence, func.count().label("images"), func.min(img.c.id).label("example"))
        .where(_scope_filter(ctx), img.c.licence.is_not(None))
        .group_by(img.c.licence)
    )
    with ctx.catalog.engine.connect() as conn:
        rows = conn.execute(query).all()
    for row in rows:
        if row.licence.strip().lower() in allowed:
            continue
        yield Finding(
            "LIC002",
            ctx.release_key(f"licence:{row.licence}"),
            f"licence {row.licence!r}: {row.images:,} image(s) outside the allowed licences",
            action="filter these images out of the release, or allow the licence",
            evidence={
                "licence": row.licence,
                "images": int(row.images),
                "example_image": row.example,
            },
            score=float(row.images),
        )
