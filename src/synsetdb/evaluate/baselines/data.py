"""A release split's images, decoded small, with their class indices."""

from __future__ import annotations

import io
import logging
import warnings
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps

from ...errors import EvaluationError, SynsetdbError
from .tree import IntArray, NodeTable

if TYPE_CHECKING:
    from ...release import Release, ReleaseItem

__all__ = [
    "WORKING_SIDE",
    "BaselineData",
    "SplitImages",
    "decode_small",
    "load_split",
    "prepare",
    "read_small",
]

log = logging.getLogger(__name__)

WORKING_SIDE = 160  # every feature here works on images no larger than this


@dataclass(frozen=True, slots=True, eq=False)
class SplitImages:
    """The images of one split, in item-name order.

    Attributes:
        split: the split's name.
        names: the items' names (what prediction files name images by).
        targets: each image's class index.
        images: RGB images, longer side at most the side asked for.
    """

    split: str
    names: tuple[str, ...]
    targets: IntArray
    images: tuple[Image.Image, ...]

    def __len__(self) -> int:
        return len(self.names)


def decode_small(data: bytes, side: int = WORKING_SIDE) -> Image.Image:
    """Decode to RGB, upright, with the longer side shrunk to ``side`` if larger.

    JPEGs are decoded at a reduced DCT scale when that still leaves ``side``.

    Raises:
        EvaluationError: ``E_BOMB`` for an image over Pillow's pixel limit
            (``Image.MAX_IMAGE_PIXELS``; between one and two times it Pillow
            itself only warns); ``E_DECODE`` when the bytes are not an image.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
            opened.draft("RGB", (side, side))
            image = ImageOps.exif_transpose(opened.convert("RGB"))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise EvaluationError(f"refused a decompression bomb: {e}", code="E_BOMB") from e
    except MemoryError:
        raise
    except Exception as e:  # any decoder failure is a property of the input
        raise EvaluationError(
            f"cannot decode image ({len(data)} bytes): {type(e).__name__}: {e}", code="E_DECODE"
        ) from e
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return image


def read_small(release: Release, item: ReleaseItem, side: int = WORKING_SIDE) -> Image.Image:
    """The item's image, its blob re-hashed against its key, decoded by :func:`decode_small`.

    Raises:
        SynsetdbError: naming the item: ``E_BLOB_MISSING``, ``E_BLOB_CORRUPT``
            (bytes that are no longer the image the key names), ``E_BOMB`` or
            ``E_DECODE``.
    """
    try:
        return decode_small(release.read(item, verify=True), side)
    except SynsetdbError as e:
        raise EvaluationError(f"item {item.name!r}: {e}", code=e.code) from e


def load_split(
    release: Release, split: str, *, side: int = WORKING_SIDE, per_class: int | None = None
) -> SplitImages:
    """Read and decode the items of ``split`` (the first ``per_class`` of each class by name).

    Raises:
        ReleaseError: ``E_NO_SPLIT`` when the release has no such split.
        EvaluationError: naming an item that cannot be read (see :func:`read_small`).
    """
    items = sorted(release.manifest.items_in(split), key=lambda item: item.name)
    if per_class is not None:
        items = _first_per_class(items, per_class)
    class_to_idx = release.manifest.class_to_idx
    images = [read_small(release, item, side) for item in items]
    log.debug("decoded %d %s images", len(images), split)
    return SplitImages(
        split=split,
        names=tuple(item.name for item in items),
        targets=np.array([class_to_idx[item.wnid] for item in items], dtype=np.int64),
        images=tuple(images),
    )


def _first_per_class(items: list[ReleaseItem], per_class: int) -> list[ReleaseItem]:
    if per_class < 1:
        raise EvaluationError(f"per_class must be >= 1, got {per_class}", code="E_OPTIONS")
    seen: Counter[str] = Counter()
    kept = []
    for item in items:
        seen[item.wnid] += 1
        if seen[item.wnid] <= per_class:
            kept.append(item)
    return kept


@dataclass(frozen=True, slots=True, eq=False)
class BaselineData:
    """What every baseline starts from: the hierarchy, the training and the query images."""

    table: NodeTable
    train: SplitImages
    query: SplitImages


def prepare(
    release: Release,
    split: str,
    train_split: str,
    *,
    side: int = WORKING_SIDE,
    per_class: int | None = None,
) -> BaselineData:
    """The node table of the release's induced hierarchy and both splits' images.

    ``per_class`` caps the training images of each class (the query split is whole).
    """
    manifest = release.manifest
    table = NodeTable.from_taxonomy(manifest.taxonomy(), manifest.wnids)
    query = load_split(release, split, side=side)  # first: a bad split fails before decoding
    train = load_split(release, train_split, side=side, per_class=per_class)
    return BaselineData(table, train, query)
