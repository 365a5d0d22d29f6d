"""Consistency checks between the catalog and the blob store, as a registry of rules.

Each rule has a code (like a linter's), yields findings, and the report says
which codes ran. ``synsetdb check`` prints the report and exits non-zero when
any finding is an error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from ..errors import CatalogError, NotFoundError
from . import schema
from .blobs import BlobStore
from .catalog import Catalog
from .recount import count_drift

__all__ = ["CHECKS", "CheckReport", "Finding", "run_checks"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: which rule found it, about what, and how bad it is."""

    code: str
    severity: str  # "error" or "warning"
    subject: str  # the blob key or image id concerned
    message: str


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The findings of the rules that ran, and how much they looked at."""

    ran: tuple[str, ...]
    findings: tuple[Finding, ...]
    counted: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        by_code: dict[str, int] = {}
        for f in self.findings:
            by_code[f.code] = by_code.get(f.code, 0) + 1
        return {
            "ok": self.ok,
            "ran": list(self.ran),
            "counted": self.counted,
            "problems": by_code,
            "findings": [
                {"code": f.code, "severity": f.severity, "subject": f.subject, "message": f.message}
                for f in self.findings
            ],
        }


@dataclass(frozen=True, slots=True)
class _Context:
    catalog: Catalog
    blobs: BlobStore
    verify: bool
    counted: dict[str, int]


Rule = Callable[[_Context], Iterator[Finding]]


def _referenced(ctx: _Context) -> Iterator[tuple[str, str]]:
    """(image id, blob key) for every original, thumbnail and rendition the catalog names."""
    image, rendition = schema.image.c, schema.rendition.c
    with ctx.catalog.engine.connect() as conn:
        streamed = conn.execution_options(yield_per=10_000)
        rows = streamed.execute(select(image.id, image.blob_key, image.thumbnail_key))
        for image_id, blob_key, thumbnail_key in rows:
            yield image_id, blob_key
            if thumbnail_key:
                yield image_id, thumbnail_key
        for image_id, blob_key in streamed.execute(select(rendition.image_id, rendition.blob_key)):
            yield image_id, blob_key


def check_missing_and_corrupt(ctx: _Context) -> Iterator[Finding]:
    """C_BLOB_MISSING / C_BLOB_CORRUPT: every blob the catalog names exists (and hashes right)."""
    seen = 0
    for image_id, key in _referenced(ctx):
        seen += 1
        try:
            if ctx.verify:
                ctx.blobs.get(key, verify=True)
            elif not ctx.blobs.exists(key):
                raise NotFoundError(key, code="E_BLOB_MISSING")
        except NotFoundError:
            yield Finding("C_BLOB_MISSING", "error", key, f"image {image_id} names a missing blob")
        except CatalogError as exc:
            yield Finding("C_BLOB_CORRUPT", "error", key, f"image {image_id}: {exc}")
    ctx.counted["blobs_referenced"] = seen


def check_orphans(ctx: _Context) -> Iterator[Finding]:
    """C_BLOB_ORPHAN: blobs no image names (left by an interrupted ingest; re-run it)."""
    referenced = {key for _, key in _referenced(ctx)}
    stored = 0
    for key in ctx.blobs.keys():  # noqa: SIM118  (a BlobStore, not a dict)
        stored += 1
        if key not in referenced:
            yield Finding("C_BLOB_ORPHAN", "error", key, "blob not named by any image")
    ctx.counted["blobs_stored"] = stored


def check_counts(ctx: _Context) -> Iterator[Finding]:
    """C_COUNT_DRIFT: the maintained counts equal a recount (``synsetdb recount`` repairs them)."""
    with ctx.catalog.engine.connect() as conn:
        drift = count_drift(conn)
    for d in drift:
        yield Finding("C_COUNT_DRIFT", "error", d.table, d.message() + "; run `synsetdb recount`")
    ctx.counted["counts_drifted"] = len(drift)


CHECKS: dict[str, tuple[str, Rule]] = {
    "blobs": (
        "every blob the catalog names exists and hashes to its key",
        check_missing_and_corrupt,
    ),
    "orphans": ("every stored blob is named by an image", check_orphans),
    "counts": ("the explorer's maintained counts equal a recount", check_counts),
}


def run_checks(
    catalog: Catalog, blobs: BlobStore, *, verify: bool = True, only: tuple[str, ...] = ()
) -> CheckReport:
    """Run the registered rules (all, or ``only`` those named) and collect their findings."""
    unknown = set(only) - set(CHECKS)
    if unknown:
        raise NotFoundError(
            f"unknown check {sorted(unknown)[0]!r}; known: {', '.join(CHECKS)}",
            code="E_UNKNOWN_CHECK",
        )
    names = only or tuple(CHECKS)
    ctx = _Context(catalog, blobs, verify, {})
    findings: list[Finding] = []
    for name in names:
        findings.extend(CHECKS[name][1](ctx))
    return CheckReport(names, tuple(findings), ctx.counted)
