"""The catalog (SQL, via SQLAlchemy Core) and the content-addressed blob store."""

from . import aggregates
from ._bulk import bulk_insert
from ._taxonomy_sync import TaxonomyLoad
from .blobs import BlobStore, FsspecBlobStore, LocalBlobStore, blob_key, open_blob_store
from .catalog import Catalog, CatalogStats, make_engine
from .ingest_log import BoxRecord, ImageRecord, IngestEntry, IngestTally, RenditionRecord
from .project import Project

__all__ = [
    "BlobStore",
    "BoxRecord",
    "Catalog",
    "CatalogStats",
    "FsspecBlobStore",
    "ImageRecord",
    "IngestEntry",
    "IngestTally",
    "LocalBlobStore",
    "Project",
    "RenditionRecord",
    "TaxonomyLoad",
    "aggregates",
    "blob_key",
    "bulk_insert",
    "make_engine",
    "open_blob_store",
]
