"""Small projects for the balance, images and verification checks, on SQLite and PostgreSQL.

``make_project`` makes a project over a tiny custom taxonomy (a chain of nine
synsets, ``c00000001`` at depth 0 down to ``c00000009`` at depth 8, and leaves
hung under it: three at depth 2, six at depth 6), so a catalog loads in
milliseconds on either backend. ``add_images`` writes image and candidate rows
through the ingest writer with the sizes, formats and statuses a test asks for
(no pixels); ``audit`` runs checks and returns their keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synsetdb.audit import AuditConfig, run_audit
from synsetdb.audit.model import Finding
from synsetdb.catalog import ImageRecord, IngestEntry, Project

__all__ = [
    "CHAIN",
    "DEEP",
    "SHALLOW",
    "Img",
    "add_images",
    "audit",
    "findings",
    "make_project",
    "many",
]

CHAIN = tuple(f"c0000000{i}" for i in range(1, 10))  # depth 0 .. 8
SHALLOW = ("c00000101", "c00000102", "c00000103")  # depth 2 (under CHAIN[1])
DEEP = tuple(f"c0000020{i}" for i in range(1, 7))  # depth 6 (under CHAIN[5])


def _taxonomy_yaml() -> str:
    lines = ["name: audit-test", "synsets:"]
    for i, wnid in enumerate(CHAIN):
        parents = f", parents: [{CHAIN[i - 1]}]" if i else ""
        lines.append(f"  - {{id: {wnid}, lemmas: [level {i}], gloss: chain node{parents}}}")
    for n, wnid in enumerate(SHALLOW):
        lines.append(
            f"  - {{id: {wnid}, lemmas: [shallow {n}], gloss: a leaf, parents: [{CHAIN[1]}]}}"
        )
    for n, wnid in enumerate(DEEP):
        lines.append(
            f"  - {{id: {wnid}, lemmas: [deep {n}], gloss: a leaf, parents: [{CHAIN[5]}]}}"
        )
    return "\n".join(lines) + "\n"


def make_project(root: Path, catalog_url: str) -> Project:
    """A new project at ``root`` over the test taxonomy, its catalog at ``catalog_url``."""
    root.mkdir(parents=True, exist_ok=True)
    taxonomy = root.parent / "audit-taxonomy.yaml"
    taxonomy.write_text(_taxonomy_yaml(), encoding="utf-8")
    return Project.init(root, catalog_url=catalog_url, taxonomy=str(taxonomy))


@dataclass(frozen=True, slots=True)
class Img:
    """One (image, synset) candidate to write."""

    key: str
    wnid: str
    status: str = "accepted"
    width: int = 500
    height: int = 375
    format: str = "JPEG"
    blob_key: str | None = None  # default: the image id
    thumbnail_key: str | None = None

    @property
    def id(self) -> str:
        return hashlib.sha256(self.key.encode()).hexdigest()


def add_images(project: Project, images: Iterable[Img]) -> None:
    """Write the candidates, one ingest batch per status; phashes far apart (no duplicates)."""
    ids = project.catalog.synset_ids()
    by_status: dict[str, list[IngestEntry]] = {}
    for n, img in enumerate(images):
        record = ImageRecord(
            id=img.id,
            width=img.width,
            height=img.height,
            format=img.format,
            byte_size=1000,
            blob_key=img.blob_key or img.id,
            thumbnail_key=img.thumbnail_key,
            phash=int(img.id[:16], 16) - (1 << 63),
            source="test",
        )
        by_status.setdefault(img.status, []).append(
            IngestEntry(
                source=f"test:{img.status}",
                key=f"{n}:{img.key}:{img.wnid}",
                image=record,
                wnid=img.wnid,
                synset_id=ids[img.wnid],
            )
        )
    for status, entries in by_status.items():
        project.catalog.record_ingest(entries, label_status=status)


def many(wnid: str, n: int, *, prefix: str = "", **kw: Any) -> list[Img]:
    """``n`` accepted images of ``wnid`` (keys ``<prefix><wnid>-<i>``)."""
    return [Img(f"{prefix}{wnid}-{i}", wnid, **kw) for i in range(n)]


def findings(
    project: Project,
    code: str,
    *,
    release: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> list[Finding]:
    """The findings of check ``code`` (fails the test if it was skipped)."""
    report = run_audit(
        project,
        AuditConfig(release=release, select=(code,), options={code: dict(options or {})}),
    )
    (result,) = report.results
    assert result.skipped is None, result.skipped
    return list(result.findings)


def audit(
    project: Project,
    code: str,
    *,
    release: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> set[str]:
    """The keys check ``code`` found."""
    return {f.key for f in findings(project, code, release=release, options=options)}
