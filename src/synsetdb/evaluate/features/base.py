"""The ``Embedder`` plug-in point: images in, one feature vector per image out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ...errors import EvaluationError

__all__ = [
    "Embedder",
    "FloatArray",
    "LearnedEmbedder",
    "embed_each",
    "fit_embedder",
    "grey_pixels",
    "rgb",
]

FloatArray = NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns RGB images into an ``(n, d)`` float array, one row per image.

    Embedders that learn something from training images (a visual vocabulary)
    also have ``fit``; see :class:`LearnedEmbedder` and :func:`fit_embedder`.
    """

    def embed(self, images: Sequence[Image.Image]) -> FloatArray:
        """One feature row per image, in order."""
        ...


@runtime_checkable
class LearnedEmbedder(Embedder, Protocol):
    """An embedder with state learned from training images (trailing-underscore attributes)."""

    def fit(self, images: Sequence[Image.Image]) -> LearnedEmbedder:
        """Learn from ``images``; returns self."""
        ...


def fit_embedder(embedder: Embedder, images: Sequence[Image.Image]) -> Embedder:
    """Fit ``embedder`` on ``images`` when it learns anything; return it."""
    if isinstance(embedder, LearnedEmbedder):
        embedder.fit(images)
    return embedder


def embed_each(
    images: Sequence[Image.Image], one: Callable[[Image.Image], NDArray[np.generic]]
) -> FloatArray:
    """Stack ``one(image)`` (flattened to float32) for every image.

    Raises:
        EvaluationError: ``E_OPTIONS`` when there are no images.
    """
    if not images:
        raise EvaluationError("no images to embed", code="E_OPTIONS")
    rows = [np.asarray(one(image), dtype=np.float32).ravel() for image in images]
    return np.stack(rows)


def rgb(image: Image.Image) -> Image.Image:
    """``image`` in RGB mode (a copy only when it is in another mode)."""
    return image if image.mode == "RGB" else image.convert("RGB")


def grey_pixels(image: Image.Image, side: int | None = None) -> NDArray[np.float64]:
    """Grey levels in [0, 1], the longer side shrunk to ``side`` when larger."""
    grey = image.convert("L")
    if side is not None and max(grey.size) > side:
        grey.thumbnail((side, side), Image.Resampling.LANCZOS)
    return np.asarray(grey, dtype=np.float64) / 255.0
