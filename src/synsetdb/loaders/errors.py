"""The loaders' errors: one class per code.

A ``DataLoader`` re-raises a worker's exception in the main process by calling
its class with a new message, which would reset an instance's ``code``; a
class per code keeps it (``except ShardCorruptError`` or ``e.code`` both work).
"""

from __future__ import annotations

from ..errors import FormatError

__all__ = [
    "BlobCorruptError",
    "BlobMissingError",
    "BlobReadError",
    "DecodeError",
    "ImageReadError",
    "SampleClassError",
    "SampleNoClassError",
    "SampleNoImageError",
    "ShardCorruptError",
    "ShardIndexError",
    "ShardMissingError",
]


class DecodeError(FormatError):
    """Bytes that are not an image Pillow can decode."""

    code = "E_DECODE"


class ImageReadError(FormatError):
    """An image file of an export folder is gone or cannot be read."""

    code = "E_IMAGE_READ"


class BlobMissingError(FormatError):
    """A release item's blob is not in the blob store."""

    code = "E_BLOB_MISSING"


class BlobCorruptError(FormatError):
    """A release item's blob no longer hashes to its key (``verify=True``)."""

    code = "E_BLOB_CORRUPT"


class BlobReadError(FormatError):
    """A release item's blob cannot be read (an unreadable file, a malformed key)."""

    code = "E_BLOB_READ"


class ShardIndexError(FormatError):
    """A WebDataset export's ``index.json`` is missing (``E_INDEX_MISSING``) or malformed."""

    code = "E_INDEX_CORRUPT"


class ShardMissingError(FormatError):
    """A shard the index lists is not on disk."""

    code = "E_SHARD_MISSING"


class ShardCorruptError(FormatError):
    """A shard is not a readable tar, is truncated, or holds other samples than its index says."""

    code = "E_SHARD_CORRUPT"


class SampleNoImageError(FormatError):
    """A sample in a shard has no image member (``.jpg``, ``.png``, ``.webp``, …)."""

    code = "E_SAMPLE_NO_IMAGE"


class SampleNoClassError(FormatError):
    """A sample in a shard has no ``.cls`` member."""

    code = "E_SAMPLE_NO_CLS"


class SampleClassError(FormatError):
    """A sample's ``.cls`` member is not a class index of the export."""

    code = "E_SAMPLE_CLS"
