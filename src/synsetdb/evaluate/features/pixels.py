"""Features that need only NumPy and Pillow: tiny images and colour histograms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ...errors import EvaluationError
from .base import FloatArray, embed_each, rgb

__all__ = ["ColourHistogram", "TinyImage"]


@dataclass(frozen=True, slots=True)
class TinyImage:
    """Torralba's tiny images: the whole image squashed to ``side``×``side`` RGB pixels.

    Rows are the pixels in [0, 1] (``side * side * 3`` values). With
    ``normalise`` each row is centred and scaled to unit length, so the sum of
    squared differences ignores overall brightness and contrast.

    Example:
        >>> TinyImage().embed([Image.new("RGB", (64, 48), "red")]).shape
        (1, 3072)
    """

    side: int = 32
    normalise: bool = False

    def __post_init__(self) -> None:
        if self.side < 1:
            raise EvaluationError(f"side must be >= 1, got {self.side}", code="E_OPTIONS")

    def embed(self, images: Sequence[Image.Image]) -> FloatArray:
        """One ``side * side * 3`` row per image."""
        rows = embed_each(images, self._pixels)
        if self.normalise:
            rows -= rows.mean(axis=1, keepdims=True)
            norms = np.linalg.norm(rows, axis=1, keepdims=True)
            rows /= np.where(norms > 0, norms, 1.0)
        return rows

    def _pixels(self, image: Image.Image) -> NDArray[np.float32]:
        small = rgb(image).resize((self.side, self.side), Image.Resampling.BOX)
        return np.asarray(small, dtype=np.float32) / 255.0


@dataclass(frozen=True, slots=True)
class ColourHistogram:
    """The joint RGB histogram with ``bins`` levels per channel, summing to 1.

    Example:
        >>> ColourHistogram(bins=2).embed([Image.new("RGB", (4, 4), "red")])[0].tolist()
        [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
    """

    bins: int = 8

    def __post_init__(self) -> None:
        if not 1 <= self.bins <= 64:
            raise EvaluationError(f"bins must be in 1..64, got {self.bins}", code="E_OPTIONS")

    def embed(self, images: Sequence[Image.Image]) -> FloatArray:
        """One ``bins ** 3`` row per image."""
        return embed_each(images, self._histogram)

    def _histogram(self, image: Image.Image) -> NDArray[np.float64]:
        levels = np.asarray(rgb(image), dtype=np.int64).reshape(-1, 3) * self.bins // 256
        codes = (levels[:, 0] * self.bins + levels[:, 1]) * self.bins + levels[:, 2]
        counts = np.bincount(codes, minlength=self.bins**3).astype(np.float64)
        return counts / max(codes.size, 1)
