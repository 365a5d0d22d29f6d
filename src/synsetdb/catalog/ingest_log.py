"""Writing ingest results: images, renditions, candidates, boxes and the ingest log, by batch.

Each batch is one transaction, so a crash leaves the catalog exactly as it was
after the last committed batch: no half rows, no dangling references. The
ingest log (``ingest_item``) records every input by ``(source, key)``, which is
what lets a re-run skip what is already done.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, select, tuple_

from ..errors import CatalogError
from . import aggregates, schema
from ._bulk import bulk_insert, insert_ignoring_conflicts

__all__ = [
    "BoxRecord",
    "ImageRecord",
    "IngestEntry",
    "IngestTally",
    "RenditionRecord",
    "done_keys",
    "image_row",
    "insert_renditions",
    "signed64",
    "write_entries",
]

_SELECT_CHUNK = 500  # ids per IN (...) lookup; well under every backend's parameter limit
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def signed64(value: int) -> int:
    """A 64-bit hash as the signed int64 a SQL BIGINT holds (unsigned input is folded)."""
    if not -(2**63) <= value < 2**64:
        raise CatalogError(f"{value} does not fit in 64 bits", code="E_BAD_RECORD")
    return value - 2**64 if value >= 2**63 else value


def _check_key(key: str, what: str) -> None:
    if not _SHA256.match(key):
        raise CatalogError(f"{what} must be a sha256 hex digest", code="E_BAD_RECORD")


@dataclass(frozen=True, slots=True)
class RenditionRecord:
    """A stored derivative of an image (``resized-256``): its blob and size in pixels."""

    kind: str
    blob_key: str
    width: int
    height: int

    def __post_init__(self) -> None:
        _check_key(self.blob_key, f"rendition {self.kind!r} blob_key")
        if not self.kind or self.width <= 0 or self.height <= 0:
            raise CatalogError(
                f"rendition {self.kind!r}: a kind and a positive size are needed",
                code="E_BAD_RECORD",
            )


@dataclass(frozen=True, slots=True)
class ImageRecord:
    """One stored image: its identity (sha256), what decoding it told us, its renditions."""

    id: str
    width: int
    height: int
    format: str
    byte_size: int
    blob_key: str
    phash: int | None = None
    source: str | None = None
    licence: str | None = None
    thumbnail_key: str | None = None
    renditions: tuple[RenditionRecord, ...] = ()
    # Not image columns: the packed variant hashes (version: imaging.variants) and a
    # finding the image was accepted with (``corrupt = "flag"``): code and detail.
    variants: bytes | None = None
    variants_version: int | None = None
    finding: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        for name in ("id", "blob_key") + (("thumbnail_key",) if self.thumbnail_key else ()):
            _check_key(getattr(self, name), f"image {name}")
        if len({r.kind for r in self.renditions}) != len(self.renditions):
            raise CatalogError(f"image {self.id}: two renditions of one kind", code="E_BAD_RECORD")
        if (
            self.width <= 0
            or self.height <= 0
            or self.byte_size < 0
            or not 0 < len(self.format) <= 16
        ):
            raise CatalogError(f"image {self.id}: impossible size or format", code="E_BAD_RECORD")
        if self.phash is not None:
            object.__setattr__(self, "phash", signed64(self.phash))


@dataclass(frozen=True, slots=True)
class BoxRecord:
    """A bounding box of one synset, in the original image's pixel coordinates."""

    synset_id: int
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True, slots=True)
class IngestEntry:
    """What became of one input of a source.

    ``image`` is set for a valid image (stored whether new or not); ``code`` and
    ``detail`` for a rejected input. ``synset_id`` (resolved by the caller) makes
    the image a candidate for that synset, with ``boxes``, ``split`` and
    ``file_name`` as the source gave them.
    """

    source: str
    key: str
    image: ImageRecord | None = None
    code: str | None = None
    detail: str | None = None
    wnid: str | None = None
    synset_id: int | None = None
    split: str | None = None
    file_name: str | None = None
    boxes: tuple[BoxRecord, ...] = ()
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class IngestTally:
    """How many entries of a batch were new images, already-known images, rejects."""

    added: int = 0
    duplicate: int = 0
    rejected: int = 0
    skipped: int = 0  # keys already in the log (a batch replayed after a crash)


def done_keys(conn: Connection, source: str, *, rejected: bool = True) -> set[str]:
    """Keys of a source already in the ingest log (``rejected=False``: those stored only)."""
    log = schema.ingest_item.c
    query = select(log.key).where(log.source == source)
    if not rejected:
        query = query.where(log.status != "rejected")
    return set(conn.execute(query).scalars())


def write_entries(
    conn: Connection,
    entries: Sequence[IngestEntry],
    label_status: str,
    *,
    retry_rejected: bool = False,
) -> IngestTally:
    """Record a batch in the caller's transaction; idempotent for keys already logged.

    With ``retry_rejected``, an entry whose key was logged as rejected replaces
    that row (the input was tried again: a fixed file, a server back up).
    """
    if label_status not in schema.CANDIDATE_STATUSES:
        raise CatalogError(f"unknown candidate status {label_status!r}", code="E_STATUS")
    tally = IngestTally()
    aggregates.bump_generation(conn)  # first: every writer of the counts locks in one order
    if retry_rejected:
        _forget_rejected(conn, entries)
    fresh = _unlogged(conn, entries)
    tally.skipped = len(entries) - len(fresh)
    known = _existing_images(conn, {e.image.id for e in fresh if e.image is not None})
    now = datetime.now(UTC)
    new_images: dict[str, ImageRecord] = {}
    log_rows = []
    for entry in fresh:
        if entry.image is None:
            status = "rejected"
        elif entry.image.id in known or entry.image.id in new_images:
            status = "duplicate"
        else:
            status = "added"
            new_images[entry.image.id] = entry.image
        setattr(tally, status, getattr(tally, status) + 1)
        image_id = entry.image.id if entry.image is not None else None
        log_rows.append(
            (entry.source, entry.key, status, entry.code, entry.detail, image_id, entry.wnid, now)
        )
    _insert_images(conn, new_images.values(), now)
    insert_renditions(conn, [e.image for e in fresh if e.image is not None])
    _insert_variants(conn, new_images.values())
    labelled = [e for e in fresh if e.image is not None and e.synset_id]
    with aggregates.counting(conn, [e.image.id for e in labelled if e.image is not None]):
        _insert_candidates(conn, labelled, label_status, now)
    bulk_insert(
        conn,
        schema.ingest_item,
        ("source", "key", "status", "code", "detail", "image_id", "wnid", "created_at"),
        log_rows,
    )
    return tally


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _SELECT_CHUNK):
        yield values[start : start + _SELECT_CHUNK]


def _forget_rejected(conn: Connection, entries: Sequence[IngestEntry]) -> None:
    """Delete the rejected log rows of these entries' keys: they are being tried again."""
    log = schema.ingest_item
    pairs = sorted({(e.source, e.key) for e in entries})
    for chunk in _chunks(pairs):
        keys = tuple_(log.c.source, log.c.key)
        conn.execute(delete(log).where(keys.in_(chunk), log.c.status == "rejected"))


def _unlogged(conn: Connection, entries: Sequence[IngestEntry]) -> list[IngestEntry]:
    """Entries whose (source, key) is not logged yet, first occurrence only."""
    log = schema.ingest_item.c
    pairs = sorted({(e.source, e.key) for e in entries})
    logged: set[tuple[str, str]] = set()
    for chunk in _chunks(pairs):
        rows = conn.execute(
            select(log.source, log.key).where(tuple_(log.source, log.key).in_(chunk))
        )
        logged.update((s, k) for s, k in rows)
    fresh, seen = [], set()
    for e in entries:
        if (e.source, e.key) not in logged and (e.source, e.key) not in seen:
            seen.add((e.source, e.key))
            fresh.append(e)
    return fresh


def _existing_images(conn: Connection, ids: set[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(ids)):
        found.update(
            conn.execute(select(schema.image.c.id).where(schema.image.c.id.in_(chunk))).scalars()
        )
    return found


_IMAGE_FIELDS = tuple(f.name for f in fields(ImageRecord) if f.name in schema.image.c)


def image_row(image: ImageRecord) -> dict[str, Any]:
    """The record's ``image`` columns as a dict (dataclasses.asdict deep-copies; this is hot)."""
    return {name: getattr(image, name) for name in _IMAGE_FIELDS}


def _insert_images(conn: Connection, images: Iterable[ImageRecord], now: datetime) -> None:
    rows = [image_row(image) | {"created_at": now} for image in images]
    if not rows:
        return
    # Another ingest may store the same image at the same moment: only the rows
    # this statement inserted are counted.
    statement = insert_ignoring_conflicts(conn, schema.image).returning(schema.image.c.id)
    inserted = set(conn.execute(statement, rows).scalars())
    aggregates.count_images(conn, [row for row in rows if row["id"] in inserted])


def _insert_variants(conn: Connection, images: Iterable[ImageRecord]) -> None:
    """New images' variant hashes, made by the workers; an existing row stays."""
    rows = [
        {"image_id": i.id, "version": i.variants_version, "hashes": i.variants}
        for i in images
        if i.variants is not None and i.variants_version is not None
    ]
    if rows:
        conn.execute(insert_ignoring_conflicts(conn, schema.image_variant), rows)


def insert_renditions(conn: Connection, images: Iterable[ImageRecord]) -> None:
    """The renditions of ``images``, new images or not; an existing (image, kind) row stays."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for image in images:
        for r in image.renditions:
            rows.setdefault(
                (image.id, r.kind),
                {
                    "image_id": image.id,
                    "kind": r.kind,
                    "blob_key": r.blob_key,
                    "width": r.width,
                    "height": r.height,
                },
            )
    if rows:
        conn.execute(insert_ignoring_conflicts(conn, schema.rendition), list(rows.values()))


def _insert_candidates(
    conn: Connection, entries: Sequence[IngestEntry], status: str, now: datetime
) -> None:
    """New (image, synset) pairs become candidates; their boxes come with them."""
    cand = schema.candidate.c
    wanted = {(e.image.id, e.synset_id): e for e in entries if e.image is not None}
    existing: set[tuple[str, int]] = set()
    for chunk in _chunks(sorted(wanted)):
        rows = conn.execute(
            select(cand.image_id, cand.synset_id).where(
                tuple_(cand.image_id, cand.synset_id).in_(chunk)
            )
        )
        existing.update((i, s) for i, s in rows)
    new = [e for pair, e in wanted.items() if pair not in existing]
    if not new:
        return
    conn.execute(
        insert_ignoring_conflicts(conn, schema.candidate),
        [
            {
                "image_id": e.image.id if e.image else None,
                "synset_id": e.synset_id,
                "status": status,
                "decided_by": None if status == "candidate" else "source",
                "source": e.source,
                "split": e.split,
                "file_name": e.file_name,
                "provenance": e.provenance or None,
                "created_at": now,
                "updated_at": now,
            }
            for e in new
        ],
    )
    boxes = [
        {
            "image_id": e.image.id if e.image else None,
            "synset_id": b.synset_id,
            "x0": b.x0,
            "y0": b.y0,
            "x1": b.x1,
            "y1": b.y1,
            "source": e.source,
        }
        for e in new
        for b in e.boxes
    ]
    if boxes:
        conn.execute(schema.box.insert(), boxes)
