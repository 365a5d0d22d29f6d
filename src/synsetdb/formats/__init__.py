"""Exports of a release: the ILSVRC/ImageFolder layout, WebDataset shards, Parquet.

Every format is an :class:`Exporter`; :func:`get_exporter` finds one by name::

    from synsetdb.formats import ExportOptions, get_exporter

    report = get_exporter("webdataset").export(release, Path("out"), ExportOptions())

Exports stream (never a whole split in memory), re-encode on a process pool
only what must change, resume an interrupted run, and write ``SHA256SUMS``
and ``export.json``. The formats are specified in ``docs/formats.md``.
"""

from __future__ import annotations

from ..errors import FormatError
from .base import (
    DEFAULT_SHARD_SIZE,
    Exporter,
    ExportOptions,
    ExportReport,
    ProgressFn,
    Provenance,
    parse_size,
)
from .ilsvrc import IlsvrcExporter
from .parquet import ParquetExporter
from .webdataset import WebDatasetExporter, class_path

__all__ = [
    "DEFAULT_SHARD_SIZE",
    "EXPORTERS",
    "ExportOptions",
    "ExportReport",
    "Exporter",
    "IlsvrcExporter",
    "ParquetExporter",
    "ProgressFn",
    "Provenance",
    "WebDatasetExporter",
    "class_path",
    "get_exporter",
    "parse_size",
]

EXPORTERS: dict[str, type[Exporter]] = {
    "ilsvrc": IlsvrcExporter,
    "webdataset": WebDatasetExporter,
    "parquet": ParquetExporter,
}


def get_exporter(name: str) -> Exporter:
    """The exporter called ``name`` (``ilsvrc``, ``webdataset``, ``parquet``).

    Raises:
        FormatError: ``E_FORMAT`` for any other name.
    """
    try:
        return EXPORTERS[name]()
    except KeyError:
        raise FormatError(
            f"unknown export format {name!r}; choose from {', '.join(EXPORTERS)}",
            code="E_FORMAT",
        ) from None
