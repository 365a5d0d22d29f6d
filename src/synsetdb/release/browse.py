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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..catalog import Project, aggregates, schema
from ..errors import ReleaseError
from .datasheet import CLASSES_CSV, COUNTS_PNG, DEPTHS_PNG, HTML, MARKDOWN
from .diff import ReleaseDiff, diff_releases
from .store import (
    MANIFEST_FILE,
    REPORT_FILE,
    ReleaseInfo,
    check_release_name,
    list_releases,
    load_release,
)

__all__ = ["ReleaseSummary", "cached_diff", "release_file", "release_summary"]

log = logging.getLogger(__name__)

# The files of a release folder the explorer serves, and their media types.
SERVED = {
    HTML: "text/html; charset=utf-8",
    MARKDOWN: "text/markdown; charset=utf-8",
    COUNTS_PNG: "image/png",
    DEPTHS_PNG: "image/png",
    CLASSES_CSV: "text/csv; charset=utf-8",
    MANIFEST_FILE: "application/json",
    REPORT_FILE: "application/json",
}


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
    infos = {i.name: i for i in list_releases(project)}
    if name not in infos:
        raise ReleaseError(f"no release named {name!r}", code="E_NO_RELEASE")
    r, rc = schema.release.c, schema.release_count.c
    with project.catalog.engine.connect() as conn:
        row = conn.execute(select(r.id, r.config).where(r.name == name)).one()
        splits: dict[str, int] = {}
        for split, n in conn.execute(
            select(rc.split, rc.own).where(rc.release_id == row.id, rc.own > 0)
        ):
            if split != aggregates.ALL_SPLITS:
                splits[split] = splits.get(split, 0) + int(n)
    report = _report(project, name)
    children = sorted(i.name for i in infos.values() if i.parent == name)
    spec = row.config if isinstance(row.config, dict) else {}
    return ReleaseSummary(infos[name], dict(sorted(splits.items())), spec, report, children)


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


def cached_diff(project: Project, a: str, b: str) -> ReleaseDiff:
    """What changed from release ``a`` to ``b``, computed once per pair of manifests.

    Raises:
        ReleaseError: ``E_NO_RELEASE`` and the other errors of ``load_release``.
    """
    hashes = {i.name: i.sha256 for i in list_releases(project)}
    for name in (a, b):
        if name not in hashes:
            raise ReleaseError(f"no release named {name!r}", code="E_NO_RELEASE")
    cache = project.releases_dir / ".cache" / f"diff-{hashes[a]}-{hashes[b]}.json"
    found = _read_diff(cache)
    if found is not None:
        return found
    diff = diff_releases(load_release(project, a), load_release(project, b))
    _write_diff(cache, diff)
    return diff


def _read_diff(path: Path) -> ReleaseDiff | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ReleaseDiff(
            a=data["a"],
            b=data["b"],
            classes_added=tuple(data["classes_added"]),
            classes_removed=tuple(data["classes_removed"]),
            images_added=tuple((d["image"], d["wnid"], d["split"]) for d in data["images_added"]),
            images_removed=tuple(
                (d["image"], d["wnid"], d["split"]) for d in data["images_removed"]
            ),
            moved=tuple((d["image"], d["wnid"], d["from"], d["to"]) for d in data["moved"]),
            relabelled=tuple(
                (d["image"], tuple(d["from"]), tuple(d["to"])) for d in data["relabelled"]
            ),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):  # a damaged cache file: compute again
        log.warning("ignoring the damaged release diff cache %s", path)
        return None


def _write_diff(path: Path, diff: ReleaseDiff) -> None:
    """Write atomically (a temporary file renamed), so a reader never sees half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".diff-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(diff.to_dict(), out)
        Path(tmp).replace(path)
    except OSError as exc:  # a read-only project still shows the diff, uncached
        log.warning("cannot cache the release diff in %s: %s", path.parent, exc)
