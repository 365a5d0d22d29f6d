"""An opened release: its name, its manifest, and the blob store its bytes live in."""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog.blobs import BlobStore
from .manifest import Manifest, ReleaseItem

__all__ = ["Release"]


@dataclass(frozen=True)
class Release:
    """What exporters and loaders read.

    Attributes:
        name: the catalog's label for the manifest.
        manifest: the release's content.
        blobs: the project's blob store.
    """

    name: str
    manifest: Manifest
    blobs: BlobStore

    @property
    def sha256(self) -> str:
        return self.manifest.sha256

    def read(self, item: ReleaseItem, *, verify: bool = False) -> bytes:
        """The bytes of one item (``verify``: re-hash them against the key)."""
        return self.blobs.get(item.blob, verify=verify)
