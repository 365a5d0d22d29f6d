"""Licences and provenance: where the images in scope come from, and under what terms."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .. import _reads
from ..context import AuditContext
from ..model import CheckSkipped, Finding
from ..registry import check

_NONE = "(none)"


@dataclass(frozen=True, slots=True)
class _Missing:
    source: str | None
    images: int
    no_licence: int
    example: str


@dataclass(frozen=True, slots=True)
class _Licensed:
    licence: str
    images: int
    example: str


@dataclass(frozen=True, slots=True)
class _Terms:
    """The images in scope with one (source, licence): how many, and the smallest id."""

    source: str | None
    licence: str | None
    images: int
    example: str


def _provenance(ctx: AuditContext) -> list[_Terms]:
    """Images in scope per (source, licence), read once per run for LIC001 and LIC002.

    Counted over the shared reads (``_reads.scope_rows`` and ``_reads.image_table``,
    two sequential scans the leakage family uses too), joined on sorted ids: not
    a database join that looks each image row up at random.
    """

    def read() -> list[_Terms]:
        table = _reads.image_table(ctx)
        at = np.unique(_reads.scope_rows(ctx).image)
        width = max(1, len(table.licences))
        terms = table.source[at] * width + table.licence[at]
        groups, first, counts = np.unique(terms, return_index=True, return_counts=True)
        return [
            _Terms(
                table.sources[int(g) // width],
                table.licences[int(g) % width],
                int(n),
                bytes(table.ids[at[f]]).decode("ascii"),
            )
            for g, f, n in zip(groups.tolist(), first.tolist(), counts.tolist(), strict=True)
        ]

    return ctx.memo("licences:provenance", read)


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
    by_source: dict[str | None, list[_Terms]] = {}
    for terms in _provenance(ctx):
        if terms.source is None or terms.licence is None:
            by_source.setdefault(terms.source, []).append(terms)
    rows = sorted(
        (
            _Missing(
                source,
                sum(t.images for t in group),
                sum(t.images for t in group if t.licence is None),
                min(t.example for t in group),
            )
            for source, group in by_source.items()
        ),
        key=lambda row: (-row.images, row.source or ""),
    )
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
    by_licence: dict[str, list[_Terms]] = {}
    for terms in _provenance(ctx):
        if terms.licence is not None:
            by_licence.setdefault(terms.licence, []).append(terms)
    rows = [
        _Licensed(name, sum(t.images for t in group), min(t.example for t in group))
        for name, group in sorted(by_licence.items())
    ]
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
