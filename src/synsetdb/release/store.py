"""Storing releases: ``DIR/releases/<name>/`` on disk plus the ``release`` rows in the catalog.

A release is written whole or not at all. Its folder (``manifest.json``, the
build report and the datasheet) is made under a temporary name; the
``release`` row and its ``release_item`` rows are inserted in one transaction,
and the folder is renamed into place inside that transaction, just before it
commits. A name already taken is refused before anything is written, and
again by the catalog's unique constraint if two processes race for it.

On disk::

    DIR/releases/<name>/manifest.json   canonical bytes; sha256 = the release's identity
    DIR/releases/<name>/report.json     what the build did (filters, drops, duplicate groups)
    DIR/releases/<name>/datasheet.md    the dataset card (+ .html and PNG plots)

The catalog row holds the manifest's sha256: ``load_release`` refuses a
manifest file whose bytes no longer hash to it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from ..catalog import Project, aggregates, schema
from ..catalog._bulk import bulk_insert, insert_ignoring_conflicts
from ..errors import ReleaseError
from ._reads import synset_ids_of
from .builder import build_manifest
from .handle import Release
from .manifest import Manifest
from .spec import ReleaseSpec

if TYPE_CHECKING:
    from ..engine import Engine
    from .faces import FaceDetector

__all__ = [
    "BLURRED_RENDITION",
    "MANIFEST_FILE",
    "REPORT_FILE",
    "ReleaseInfo",
    "check_release_name",
    "create_release",
    "iso_time",
    "list_releases",
    "load_release",
    "release_report",
]

log = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
BLURRED_RENDITION = "faces-blurred"  # the rendition kind of a face-blurred copy
REPORT_FILE = "report.json"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_release_name(name: str) -> str:
    """A release name is 1-128 of letters, digits, ``.``, ``_``, ``-``, starting alphanumeric.

    Raises:
        ReleaseError: ``E_RELEASE_NAME`` otherwise (it names a folder).
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ReleaseError(
            f"bad release name {name!r}: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            code="E_RELEASE_NAME",
        )
    return name


# ----------------------------------------------------------------------------- create


def create_release(
    project: Project,
    name: str,
    spec: ReleaseSpec,
    *,
    engine: Engine | None = None,
    detector: FaceDetector | None = None,
) -> Release:
    """Build a release from ``spec`` and store it under ``name``.

    Args:
        project: the project whose catalog and blobs the release reads.
        name: the release's name (see ``check_release_name``).
        spec: what to release (``load_spec(path)`` reads one).
        engine: where face blurring runs (the local process pool by default).
        detector: the face detector for ``blur_faces`` (``faces.default_detector()``).

    Raises:
        ReleaseError: ``E_RELEASE_EXISTS`` when the name is taken (nothing
            changes), ``E_RELEASE_NAME``, ``E_NO_RELEASE`` for an unknown
            parent, ``E_SPEC``/``E_EMPTY_RELEASE`` from the build,
            ``E_RELEASE_DIR`` when a folder of that name is in the way.
    """
    check_release_name(name)
    catalog = project.catalog
    if _release_row(project, name) is not None:
        raise ReleaseError(f"release {name!r} already exists", code="E_RELEASE_EXISTS")
    project.check_taxonomy()
    parent = _parent(project, spec)
    built = build_manifest(
        catalog,
        project.taxonomy,
        spec,
        parent=parent.manifest if parent is not None else None,
        blobs=project.blobs,  # variant hashes missing from older ingests are made from these
    )
    manifest, report = built.manifest, dict(built.report)
    if spec.filters.blur_faces:
        from ._blur import blur_manifest

        manifest, summary = blur_manifest(
            manifest,
            project.blobs,
            project.releases_dir / ".cache",
            detector=detector,
            engine=engine,
        )
        report.update(summary)
    release = Release(name, manifest, project.blobs)
    extras = {"parent": parent, "sources": built.sources, "licences": built.licences}
    _store(project, release, spec, report, extras)
    log.info("release %s: %d classes, %d items", name, len(manifest.classes), len(manifest.items))
    return release


def _parent(project: Project, spec: ReleaseSpec) -> Release | None:
    if spec.parent is None:
        return None
    try:
        return load_release(project, spec.parent)
    except ReleaseError as exc:
        raise ReleaseError(f"{spec.source}: parent: {exc}", code=exc.code) from exc


def _store(
    project: Project,
    release: Release,
    spec: ReleaseSpec,
    report: Mapping[str, Any],
    extras: Mapping[str, Any],
) -> None:
    """Write the folder under a temporary name, then the rows and the rename in one transaction."""
    root = project.releases_dir
    root.mkdir(parents=True, exist_ok=True)
    final = root / release.name
    if final.exists():
        raise ReleaseError(
            f"{final} exists but the catalog has no release {release.name!r}; "
            "move it away or choose another name",
            code="E_RELEASE_DIR",
        )
    tmp = _new_folder(root, f".{release.name}.")
    try:
        _write_folder(tmp, release, report, extras)
        _commit(project, release, spec, extras.get("parent"), tmp, final)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _new_folder(root: Path, prefix: str) -> Path:
    """A new folder under ``root`` with a unique name, made with the umask's mode.

    Not ``tempfile.mkdtemp``: its 0700 would become the release folder's mode
    when the folder is renamed into place.
    """
    while True:
        folder = root / f"{prefix}{secrets.token_hex(6)}"
        try:
            folder.mkdir()
        except FileExistsError:  # pragma: no cover - 48 random bits
            continue
        return folder


def _write_folder(
    folder: Path, release: Release, report: Mapping[str, Any], extras: Mapping[str, Any]
) -> None:
    data = release.manifest.to_bytes()
    _write_durably(folder / MANIFEST_FILE, data)
    # Manifest.sha256 would serialise the manifest a second time (a second per
    # 100,000 items): seed its cached value with the hash of the bytes just written.
    release.manifest.__dict__.setdefault("sha256", hashlib.sha256(data).hexdigest())
    report_bytes = json.dumps(report, sort_keys=True, indent=2, ensure_ascii=False).encode()
    _write_durably(folder / REPORT_FILE, report_bytes + b"\n")
    _datasheet(folder, release, report, extras)


def _datasheet(
    folder: Path, release: Release, report: Mapping[str, Any], extras: Mapping[str, Any]
) -> None:
    from .datasheet import write_datasheet

    write_datasheet(
        release,
        folder,
        parent=extras.get("parent"),
        sources=extras.get("sources"),
        licences=extras.get("licences"),
        report=report,
        labels=report.get("labels"),
    )


def _write_durably(path: Path, data: bytes) -> None:
    with path.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _commit(
    project: Project,
    release: Release,
    spec: ReleaseSpec,
    parent: Release | None,
    tmp: Path,
    final: Path,
) -> None:
    parent_row = _release_row(project, parent.name) if parent is not None else None
    renamed = False
    try:
        with project.catalog.engine.begin() as conn:
            _insert_rows(conn, release, spec, parent_row["id"] if parent_row else None)
            tmp.rename(final)
            renamed = True
        _fsync_dir(final.parent)
    except IntegrityError as exc:
        if _release_row(project, release.name) is not None:
            raise ReleaseError(
                f"release {release.name!r} already exists", code="E_RELEASE_EXISTS"
            ) from exc
        raise ReleaseError(
            f"cannot store release {release.name!r}: {str(exc.orig).splitlines()[0]}",
            code="E_RELEASE_STORE",
        ) from exc
    except BaseException:
        if renamed:  # the commit failed after the rename: take the folder back out
            shutil.rmtree(final, ignore_errors=True)
        raise


def _insert_rows(conn: Connection, release: Release, spec: ReleaseSpec, parent: int | None) -> None:
    """The ``release`` row and a ``release_item`` row per item, in the caller's transaction."""
    release_id = conn.execute(
        insert(schema.release)
        .values(
            name=release.name,
            parent_id=parent,
            config=spec.to_dict(),
            manifest_sha256=release.sha256,
            created_at=datetime.now(UTC),
        )
        .returning(schema.release.c.id)
    ).scalar_one()
    ids = synset_ids_of(conn, release.manifest.wnids)
    rows = {(it.image, ids[it.wnid]): it.split for it in release.manifest.items}
    bulk_insert(
        conn,
        schema.release_item,
        ("release_id", "image_id", "synset_id", "split"),
        ((release_id, image, synset_id, split) for (image, synset_id), split in rows.items()),
    )
    aggregates.store_release_counts(conn, release_id)
    _record_blurred(conn, release.manifest)


def _record_blurred(conn: Connection, manifest: Manifest) -> None:
    """Face-blurred copies become renditions of their images (the explorer shows them).

    An image blurred by an earlier release keeps that rendition: one per image.
    """
    rows = {
        it.image: {"image_id": it.image, "kind": BLURRED_RENDITION, "blob_key": it.blob}
        for it in manifest.items
        if it.blurred
    }
    if rows:
        conn.execute(insert_ignoring_conflicts(conn, schema.rendition), list(rows.values()))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- read


def _release_row(project: Project, name: str) -> dict[str, Any] | None:
    r = schema.release.c
    with project.catalog.engine.connect() as conn:
        row = conn.execute(select(schema.release).where(r.name == name)).mappings().first()
    return dict(row) if row is not None else None


def load_release(project: Project, name: str) -> Release:
    """Open a stored release: its manifest, checked against the catalog's hash.

    Raises:
        ReleaseError: ``E_NO_RELEASE`` for an unknown name,
            ``E_MANIFEST_MISSING`` when its manifest file is gone,
            ``E_MANIFEST_MISMATCH`` when the file's bytes no longer hash to the
            sha256 the catalog recorded (the file was changed).
    """
    row = _release_row(project, name) if isinstance(name, str) else None
    if row is None:
        known = [info.name for info in list_releases(project)]
        hint = f" (releases: {', '.join(known[:10])})" if known else " (there are none yet)"
        raise ReleaseError(f"no release named {name!r}{hint}", code="E_NO_RELEASE")
    path = project.releases_dir / name / MANIFEST_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReleaseError(
            f"release {name!r}: its manifest {path} is missing", code="E_MANIFEST_MISSING"
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != row["manifest_sha256"]:
        raise ReleaseError(
            f"release {name!r}: {path} hashes to {actual[:16]}…, but the catalog recorded "
            f"{row['manifest_sha256'][:16]}…: the file was changed",
            code="E_MANIFEST_MISMATCH",
        )
    return Release(name, Manifest.from_bytes(data), project.blobs)


def release_report(project: Project, name: str) -> dict[str, Any]:
    """The build report stored with a release (``{}`` when its file is gone)."""
    path = project.releases_dir / check_release_name(name) / REPORT_FILE
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return report if isinstance(report, dict) else {}


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """One line of ``list_releases``: a release's name, hash, parent and size."""

    name: str
    sha256: str
    parent: str | None
    created_at: str
    items: int
    classes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_releases(project: Project) -> list[ReleaseInfo]:
    """Every stored release, by name, with its item and class counts (from the catalog's counts)."""
    r, parent, rc = schema.release.c, schema.release.alias("parent"), schema.release_count.c
    # From the maintained counts (a row per class and split), not the items.
    counts = (
        select(
            rc.release_id,
            func.sum(rc.own).label("items"),
            func.count().label("classes"),
        )
        .where(rc.split == aggregates.ALL_SPLITS, rc.own > 0)
        .group_by(rc.release_id)
        .subquery()
    )
    query = (
        select(
            r.name,
            r.manifest_sha256,
            parent.c.name,
            r.created_at,
            counts.c["items"],
            counts.c["classes"],
        )
        .select_from(schema.release)
        .outerjoin(parent, parent.c.id == r.parent_id)
        .outerjoin(counts, counts.c.release_id == r.id)
        .order_by(r.name)
    )
    with project.catalog.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        ReleaseInfo(name, sha, parent_name, iso_time(created), int(items or 0), int(classes or 0))
        for name, sha, parent_name, created, items, classes in rows
    ]


def iso_time(value: Any) -> str:
    """A stored time as ISO 8601 to the second, in UTC (SQLite's naive times are UTC)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:  # SQLite returns naive datetimes; they were stored as UTC
            value = value.replace(tzinfo=UTC)
        return str(value.isoformat(timespec="seconds"))
    return str(value)
