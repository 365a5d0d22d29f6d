"""Releases: immutable, content-addressed versions of a dataset, with splits and filters."""

from .handle import Release
from .manifest import MANIFEST_FORMAT, Manifest, ReleaseClass, ReleaseItem

__all__ = ["MANIFEST_FORMAT", "Manifest", "Release", "ReleaseClass", "ReleaseItem"]
