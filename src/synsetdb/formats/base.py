"""The exporter plug-in point: options in, a report out.

Every format is an :class:`Exporter`: it reads a :class:`~synsetdb.release.Release`
(manifest plus blob store) and writes files under one output folder, streaming,
resumably, with a ``SHA256SUMS`` manifest and an ``export.json`` summary.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import FormatError

if TYPE_CHECKING:
    from ..hierarchy import Taxonomy
    from ..release import Release

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "ExportOptions",
    "ExportReport",
    "Exporter",
    "ProgressFn",
    "Provenance",
    "parse_size",
]

DEFAULT_SHARD_SIZE = 256 * 10**6
# image sha256 -> (source, licence), either unknown as None
Provenance = Mapping[str, tuple[str | None, str | None]]


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """How to export; the first six fields decide the files' bytes.

    Attributes:
        splits: the splits to export, in this order (empty: all of the release's).
        shard_size: target bytes per WebDataset shard or Parquet file.
        shard_multiple: the shard count of each split is a multiple of this
            (ranks × workers), WebDataset and Parquet.
        resize_side: store every image with this shorter side (never upscaled)
            as a JPEG of ``resize_quality``; None keeps the images as they are.
        resize_quality: JPEG quality of resized images, 1–100.
        row_group_bytes: target bytes of a Parquet row group.
        overwrite: replace another export already in the output folder.
        workers: processes that re-encode images (None: one per core; 0: none).
        provenance: image sha256 -> (source, licence) for WebDataset's json.
        taxonomy: lemmas and glosses for ILSVRC's synset mapping and ``meta.mat``
            (without it, the class names stand in for both).
        verify_blobs: re-hash every blob read (a corrupt blob is ``E_BLOB_CORRUPT``).
    """

    splits: tuple[str, ...] = ()
    shard_size: int = DEFAULT_SHARD_SIZE
    shard_multiple: int = 1
    resize_side: int | None = None
    resize_quality: int = 90
    row_group_bytes: int = 100 * 10**6
    overwrite: bool = False
    workers: int | None = None
    provenance: Provenance | None = field(default=None, repr=False)
    taxonomy: Taxonomy | None = field(default=None, repr=False)
    verify_blobs: bool = True

    def __post_init__(self) -> None:
        if self.shard_size < 1 or self.row_group_bytes < 1:
            raise FormatError("shard and row group sizes must be positive", code="E_OPTIONS")
        if self.shard_multiple < 1:
            raise FormatError("--shard-multiple must be at least 1", code="E_OPTIONS")
        if self.resize_side is not None and self.resize_side < 1:
            raise FormatError("--resize-side must be at least 1", code="E_OPTIONS")
        if not 1 <= self.resize_quality <= 100:
            raise FormatError("--resize-quality must be in 1..100", code="E_OPTIONS")
        if self.workers is not None and self.workers < 0:
            raise FormatError("workers must be 0 or more", code="E_OPTIONS")


@dataclass(slots=True)
class ExportReport:
    """What an export did; updated as it runs (``progress`` sees it), ``to_dict`` for ``--json``.

    Attributes:
        total: images the export holds.
        images: images written by this run.
        skipped: images in files an earlier run had already completed.
        reencoded: images decoded and encoded again (resized or converted).
        files_written, files_skipped: output files (images, shards, metadata).
        bytes_written: bytes of the files this run wrote.
    """

    format: str
    out: str
    release: str
    release_sha256: str
    splits: dict[str, int] = field(default_factory=dict)
    total: int = 0
    images: int = 0
    skipped: int = 0
    reencoded: int = 0
    files_written: int = 0
    files_skipped: int = 0
    bytes_written: int = 0
    elapsed_s: float = 0.0

    @property
    def done(self) -> int:
        return self.images + self.skipped

    @property
    def images_per_s(self) -> float:
        return self.images / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes_written / 1e6 / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def eta_s(self) -> float | None:
        rate = self.images_per_s
        return (self.total - self.done) / rate if rate else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "out": self.out,
            "release": {"name": self.release, "sha256": self.release_sha256},
            "splits": dict(self.splits),
            "total": self.total,
            "images": self.images,
            "skipped": self.skipped,
            "reencoded": self.reencoded,
            "files_written": self.files_written,
            "files_skipped": self.files_skipped,
            "bytes_written": self.bytes_written,
            "elapsed_s": round(self.elapsed_s, 3),
            "images_per_s": round(self.images_per_s, 1),
            "mb_per_s": round(self.mb_per_s, 2),
        }


ProgressFn = Callable[[ExportReport], None]


class Exporter(Protocol):
    """Writes a release in one format under a folder (see ``docs/formats.md``)."""

    name: str

    def export(
        self,
        release: Release,
        out: Path,
        options: ExportOptions,
        progress: ProgressFn | None = None,
    ) -> ExportReport:
        """Export ``release`` under ``out``, resuming an interrupted run of the same export.

        Raises:
            FormatError: ``E_EXPORT_EXISTS`` when ``out`` holds another export (and
                not ``overwrite``), ``E_EXPORT_NAME`` for a name that cannot be a
                file name, ``E_BLOB_MISSING``/``E_BLOB_CORRUPT``/``E_DECODE`` for
                an image that cannot be read, ``E_NO_SPLIT``, ``E_EXPORT_SHARDS``.
        """
        ...


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_size(text: str) -> int:
    """Bytes from ``"256MB"``, ``"1.5G"``, ``"64MiB"`` or ``"1000"`` (decimal units; ``i``: binary).

    Raises:
        FormatError: ``E_OPTIONS`` for anything else, or a size under one byte.

    Example:
        >>> parse_size("256MB"), parse_size("1KiB")
        (256000000, 1024)
    """
    match = _SIZE.match(text)
    if not match:
        raise FormatError(f"not a size: {text!r} (e.g. 256MB, 1GiB)", code="E_OPTIONS")
    unit = (match[2] or "").lower()
    prefix = unit[:1] if unit != "b" else ""
    scale = 1024 ** ("kmgt".index(prefix) + 1) if "i" in unit else _UNITS[prefix]
    value = int(float(match[1]) * scale)
    if value < 1:
        raise FormatError(f"size {text!r} is under one byte", code="E_OPTIONS")
    return value
