"""Catalog content for release tests: synthetic rows (no pixels) or real photographs ingested.

``add_rows`` writes image and candidate rows through ``Catalog.record_ingest``
(the ingest pipeline's own writer), one batch per status, with the pHash,
official split, file name and boxes each row asks for. Image ids are the sha256
of the row's key, so the same keys give the same catalog.

``ingest_photos`` stores real JPEGs through the real ingest pipeline (folder
source, ``accepted`` labels by default), for tests that read blobs.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from synsetdb.catalog import BoxRecord, Catalog, ImageRecord, IngestEntry, Project
from synsetdb.ingest import FolderSource, IngestConfig, ingest

__all__ = ["Row", "add_rows", "image_id", "ingest_photos", "random_hashes"]


@dataclass(frozen=True, slots=True)
class Row:
    """One (image, synset) candidate to add."""

    key: str
    wnid: str
    phash: int | None = None
    status: str = "accepted"
    split: str | None = None
    file_name: str | None = None
    boxes: tuple[tuple[float, float, float, float], ...] = ()
    source: str = "test-rows"
    licence: str | None = None


def image_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def random_hashes(n: int, seed: int = 0) -> list[int]:
    """``n`` random 64-bit hashes, as a SQL BIGINT holds them (far apart: ~32 bits)."""
    rng = random.Random(seed)
    return [rng.getrandbits(64) - (1 << 63) for _ in range(n)]


def add_rows(catalog: Catalog, rows: Iterable[Row]) -> None:
    """Write the rows (images once each, one candidate per row), one transaction per status."""
    ids = catalog.synset_ids()
    by_status: dict[str, list[IngestEntry]] = {}
    for n, row in enumerate(rows):
        sha = image_id(row.key)
        record = ImageRecord(
            id=sha,
            width=500,
            height=375,
            format="JPEG",
            byte_size=1000,
            blob_key=sha,
            phash=row.phash,
            source=row.source,
            licence=row.licence,
        )
        boxes = tuple(BoxRecord(ids[row.wnid], *b) for b in row.boxes)
        by_status.setdefault(row.status, []).append(
            IngestEntry(
                source=f"{row.source}:{row.status}",
                key=f"{n}:{row.key}:{row.wnid}",
                image=record,
                wnid=row.wnid,
                synset_id=ids[row.wnid],
                split=row.split,
                file_name=row.file_name,
                boxes=boxes,
            )
        )
    for status, entries in by_status.items():
        catalog.record_ingest(entries, label_status=status)


def ingest_photos(
    project: Project,
    folder: Path,
    photos: Mapping[str, Sequence[bytes]],
    *,
    ext: str = "jpg",
    status: str = "accepted",
) -> None:
    """Write ``folder/<wnid>/<wnid>_<i>.<ext>`` and ingest it with labels of ``status``."""
    for wnid, images in photos.items():
        (folder / wnid).mkdir(parents=True, exist_ok=True)
        for i, data in enumerate(images):
            (folder / wnid / f"{wnid}_{i}.{ext}").write_bytes(data)
    report = ingest(project, FolderSource(folder), IngestConfig(workers=0, label_status=status))
    assert report.rejected == 0, report
