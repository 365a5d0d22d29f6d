"""What the explorer reads of releases: one release's summary, its files, diffs kept once computed.

A release never changes, so the diff of two releases (named by their
manifests' hashes) never does either: the first request computes it from
the manifests, later ones read it from ``releases/.cache/``.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..catalog import Project, aggregates, schema
from ..errors import ReleaseError
from .datasheet import CLASSES_CSV, COUNTS_PNG, DEPTHS_PNG, HTML, MARKDOWN, SPLIT_CHANGES_CSV
from .diff import ReleaseDiff, diff_releases
from .store import (
    MANIFEST_FILE,
    REPORT_FILE,
    ReleaseInfo,
    check_release_name,
    iso_time,
    load_release,
)

__all__ = [
    "DiffSummary",
    "ReleaseSummary",
    "cached_diff",
    "release_file",
    "release_names",
    "release_summary",
]

log = logging.getLogger(__name__)

# The files of a release folder the explorer serves, and their media types.
SERVED = {
    HTML: "text/html; charset=utf-8",
    MARKDOWN: "text/markdown; charset=utf-8",
    COUNTS_PNG: "image/png",
    DEPTHS_PNG: "image/png",
    CLASSES_CSV: "text/csv; charset=utf-8",
    SPLIT_CHANGES_CSV: "text/csv; charset=utf-8",
    MANIFEST_FILE: "application/json",
    REPORT_FILE: "application/json",
}


def release_names(project: Project) -> list[str]:
    """Every release's name, sorted (the release table only, whatever the releases hold)."""
    r = schema.release.c
    with project.catalog.engine.connect() as conn:
        return list(conn.execute(select(r.name).order_by(r.name)).scalars())


@dataclass(frozen=True, slots=True)
class ReleaseSummary:
    """A release as its page shows it: the catalog's row, its counts, its spec and report."""

    info: ReleaseInfo
    splits: dict[str, int]  # items per split
    spec: dict[str, Any]
    report: dict[str, Any]
    children: list[str]  # releases whose parent this is


def release_summary(project: Project, name: str) -> ReleaseSummary:
    """One release's summary (``E_NO_RELEASE`` for an unknown name); bounded by its classes."""
    r, parent, rc = schema.release.c, schema.release.alias("parent"), schema.release_count.c
    with project.catalog.engine.connect() as conn:
        row = conn.execute(
            select(r.id, r.name, r.manifest_sha256, parent.c.name, r.created_at, r.config)
            .select_from(schema.release)
            .outerjoin(parent, parent.c.id == r.parent_id)
            .where(r.name == name)
        ).first()
        if row is None:
            raise ReleaseError(f"no release named {name!r}", code="E_NO_RELEASE")
        own = conn.execute(
            select(rc.split, rc.own).where(rc.release_id == row.id, rc.own > 0)
        ).all()
        children = list(
            conn.execute(select(r.name).where(r.parent_id == row.id).order_by(r.name)).scalars()
        )
    splits: dict[str, int] = {}
    classes = items = 0
    for split, n in own:
        if split == aggregates.ALL_SPLITS:
            classes, items = classes + 1, items + int(n)
        else:
            splits[split] = splits.get(split, 0) + int(n)
    info = ReleaseInfo(row[1], row[2], row[3], iso_time(row[4]), items, classes)
    spec = row.config if isinstance(row.config, dict) else {}
    return ReleaseSummary(
        info, dict(sorted(splits.items())), spec, _report(project, name), children
    )


def _report(project: Project, name: str) -> dict[str, Any]:
    path = project.releases_dir / name / REPORT_FILE
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return report if isinstance(report, dict) else {}


def release_file(project: Project, name: str, file: str) -> tuple[Path, str] | None:
    """A file of the release's folder the explorer may serve, and its media type (else None)."""
    if file not in SERVED:
        return None
    path = project.releases_dir / check_release_name(name) / file
    return (path, SERVED[file]) if path.is_file() else None


@dataclass(frozen=True, slots=True)
class DiffSummary:
    """What changed from release ``a`` to ``b``: every count, and the first items of each kind.

    The lists hold at most ``listed`` entries each (the counts cover all);
    ``synsetdb release diff A B --json`` gives every one.
    """

    a: str
    b: str
    a_sha256: str
    b_sha256: str
    counts: dict[str, int]
    classes_added: list[str]
    classes_removed: list[str]
    images_added: list[dict[str, str]]  # image, wnid, split
    images_removed: list[dict[str, str]]
    moved: list[dict[str, str]]  # image, wnid, from, to
    relabelled: list[dict[str, Any]]  # image, from, to (wnid lists)
    listed: int
    # image, wnid, from, to: held out in a, in train in b (a known issue of b)
    held_out_to_train: list[dict[str, str]] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return self.a_sha256 == self.b_sha256

    @property
    def changed(self) -> bool:
        return any(self.counts.values())


SUMMARY_ITEMS = 1_000
_LISTS = (
    "classes_added",
    "classes_removed",
    "images_added",
    "images_removed",
    "moved",
    "relabelled",
    "held_out_to_train",
)


def cached_diff(project: Project, a: str, b: str) -> DiffSummary:
    """What changed from release ``a`` to ``b``, computed once per pair of manifests.

    The first request reads both manifests (seconds at ImageNet's size); the
    summary is kept in ``releases/.cache/`` (small, whatever the diff's size).

    Raises:
        ReleaseError: ``E_NO_RELEASE`` and the other errors of ``load_release``.
    """
    r = schema.release.c
    with project.catalog.engine.connect() as conn:
        hashes = dict(
            conn.execute(select(r.name, r.manifest_sha256).where(r.name.in_([a, b]))).all()
        )
    for name in (a, b):
        if name not in hashes:
            raise ReleaseError(f"no release named {name!r}", code="E_NO_RELEASE")
    cache = project.releases_dir / ".cache" / f"diff-{hashes[a]}-{hashes[b]}.json"
    found = _read_summary(cache)
    if found is None:
        diff = diff_releases(load_release(project, a), load_release(project, b))
        found = _summary(diff)
        _write_summary(cache, found)
    return DiffSummary(a, b, hashes[a], hashes[b], listed=SUMMARY_ITEMS, **found)


def _summary(diff: ReleaseDiff) -> dict[str, Any]:
    full = diff.to_dict()
    return {"counts": diff.counts(), **{name: full[name][:SUMMARY_ITEMS] for name in _LISTS}}


def _read_summary(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or set(data) != {"counts", *_LISTS}:
            raise ValueError("not a diff summary")
        if not all(isinstance(data[name], list) for name in _LISTS):
            raise ValueError("not a diff summary")
        return data
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError):  # a damaged cache file: compute again
        log.warning("ignoring the damaged release diff cache %s", path)
        return None


def _write_summary(path: Path, summary: dict[str, Any]) -> None:
    """Write atomically (a temporary file renamed), so a reader never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".diff-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(summary, out)
        Path(tmp).replace(path)
    except OSError as exc:  # a read-only project still shows the diff, uncached
        log.warning("cannot cache the release diff in %s: %s", path.parent, exc)
