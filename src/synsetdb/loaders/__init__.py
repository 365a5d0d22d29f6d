"""PyTorch datasets over releases and their exports, hierarchical targets and fast decode.

Needs the ``torch`` extra (``pip install 'synsetdb[torch]'``) for the
datasets; ``targets`` and ``decode`` work without it. Names are imported on
first use, so ``import synsetdb.loaders`` does not import torch::

    from synsetdb.loaders import ImageFolderExport, ReleaseDataset, WebDatasetShards
    from synsetdb.loaders import AncestorTarget, SuperclassTarget, DraftResize

See ``docs/loaders.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .datasets import IMG_EXTENSIONS, ImageFolderExport, ReleaseDataset, read_synset_mapping
    from .decode import (
        DraftDecoder,
        DraftResize,
        ResizeCenterCrop,
        decode_image,
        load_image,
        resize_center_crop,
        resize_center_crop_tensor,
        to_tensor_uint8,
    )
    from .errors import (
        BlobCorruptError,
        BlobMissingError,
        BlobReadError,
        DecodeError,
        ImageReadError,
        SampleClassError,
        SampleNoClassError,
        SampleNoImageError,
        ShardCorruptError,
        ShardIndexError,
        ShardMissingError,
    )
    from .shards import WebDatasetShards
    from .targets import AncestorTarget, ClassFilter, SuperclassTarget

__all__ = [
    "IMG_EXTENSIONS",
    "AncestorTarget",
    "BlobCorruptError",
    "BlobMissingError",
    "BlobReadError",
    "ClassFilter",
    "DecodeError",
    "DraftDecoder",
    "DraftResize",
    "ImageFolderExport",
    "ImageReadError",
    "ReleaseDataset",
    "ResizeCenterCrop",
    "SampleClassError",
    "SampleNoClassError",
    "SampleNoImageError",
    "ShardCorruptError",
    "ShardIndexError",
    "ShardMissingError",
    "SuperclassTarget",
    "WebDatasetShards",
    "decode_image",
    "load_image",
    "read_synset_mapping",
    "resize_center_crop",
    "resize_center_crop_tensor",
    "to_tensor_uint8",
]

# Where ``__getattr__`` looks for a name: the torch-free modules first, so that
# ``from synsetdb.loaders import AncestorTarget`` does not import torch.
_SEARCH_ORDER = ("errors", "targets", "decode", "datasets", "shards")


def __getattr__(name: str) -> Any:
    if name in __all__:
        for module_name in _SEARCH_ORDER:
            module = importlib.import_module(f".{module_name}", __name__)
            if name in module.__all__:
                value = getattr(module, name)
                globals()[name] = value  # later look-ups skip this function
                return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
