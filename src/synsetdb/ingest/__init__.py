"""Ingest: sources of candidate images, validation, hashing, deduplication, the pipeline."""

from .items import Box, Inspected, Rejected, Rendition, Source, SourceItem
from .pipeline import IngestConfig, IngestReport, ingest
from .sources import FolderSource
from .validate import ValidationConfig, inspect_image

__all__ = [
    "Box",
    "FolderSource",
    "IngestConfig",
    "IngestReport",
    "Inspected",
    "Rejected",
    "Rendition",
    "Source",
    "SourceItem",
    "ValidationConfig",
    "ingest",
    "inspect_image",
]
