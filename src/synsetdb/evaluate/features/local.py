"""Gradient features from scikit-image: HOG, SIFT descriptors and a SIFT bag of words.

Images are shrunk first (SIFT on a 160-pixel image takes a few hundredths of
a second; on a full ImageNet photograph, seconds). scikit-image is the
``faces`` extra and scikit-learn (the vocabulary's k-means) the ``eval``
extra; both are imported when first used.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from ...errors import EvaluationError
from ._extras import require
from .base import FloatArray, embed_each, grey_pixels

__all__ = ["Hog", "SiftBagOfWords", "SiftOptions", "sift_descriptors"]

log = logging.getLogger(__name__)

SIFT_DIM = 128


@dataclass(frozen=True, slots=True)
class Hog:
    """Dalal and Triggs' histogram of oriented gradients of the grey image.

    The image is squashed to ``side``×``side`` first, so every row has the
    same length (1,764 values with the defaults).
    """

    side: int = 64
    orientations: int = 9
    cell: int = 8
    block: int = 2

    def __post_init__(self) -> None:
        if self.side < self.cell * self.block or min(self.cell, self.block) < 1:
            raise EvaluationError(
                f"HOG needs side >= cell * block >= 1, got {self.side}, {self.cell}, {self.block}",
                code="E_OPTIONS",
            )

    def embed(self, images: Sequence[Image.Image]) -> FloatArray:
        """One HOG row per image."""
        feature = require("skimage.feature", "faces", "HOG features")

        def one(image: Image.Image) -> NDArray[np.float64]:
            square = image.convert("L").resize((self.side, self.side), Image.Resampling.BOX)
            pixels = np.asarray(square, dtype=np.float64) / 255.0
            cells, blocks = (self.cell, self.cell), (self.block, self.block)
            row: NDArray[np.float64] = feature.hog(
                pixels, self.orientations, pixels_per_cell=cells, cells_per_block=blocks
            )
            return row

        return embed_each(images, one)


@dataclass(frozen=True, slots=True)
class SiftOptions:
    """How SIFT descriptors are taken.

    Attributes:
        side: the image's longer side is shrunk to this first.
        upsampling: scikit-image's first-octave upsampling (1: none, the
            fastest; 2: Lowe's doubling, about three times the keypoints).
        max_descriptors: keep at most this many per image (the first found);
            None keeps all.
    """

    side: int = 160
    upsampling: int = 1
    max_descriptors: int | None = None

    def __post_init__(self) -> None:
        if self.side < 16 or self.upsampling not in (1, 2, 4):
            raise EvaluationError(
                f"SIFT needs side >= 16 and upsampling 1, 2 or 4, got {self.side}, "
                f"{self.upsampling}",
                code="E_OPTIONS",
            )
        if self.max_descriptors is not None and self.max_descriptors < 1:
            raise EvaluationError("max_descriptors must be >= 1", code="E_OPTIONS")


def sift_descriptors(image: Image.Image, options: SiftOptions | None = None) -> FloatArray:
    """Lowe's 128-value SIFT descriptors of ``image`` (``(m, 128)``; ``m`` may be 0).

    A flat image has no keypoints and gives an empty array, not an error.
    """
    options = options or SiftOptions()
    feature = require("skimage.feature", "faces", "SIFT descriptors")
    sift = feature.SIFT(upsampling=options.upsampling)
    try:
        sift.detect_and_extract(grey_pixels(image, options.side))
    except RuntimeError as e:  # "SIFT found no features"
        log.debug("no SIFT keypoints: %s", e)
        return np.empty((0, SIFT_DIM), dtype=np.float32)
    found: FloatArray = np.asarray(sift.descriptors, dtype=np.float32)
    return found[: options.max_descriptors]


@dataclass(slots=True)
class SiftBagOfWords:
    """A histogram of visual words: SIFT descriptors assigned to a k-means vocabulary.

    ``fit`` learns ``words`` cluster centres from (at most ``max_training``
    randomly chosen) descriptors of the training images; ``embed`` counts,
    per image, how many of its descriptors fall nearest each centre, as
    shares summing to 1 (all zeros for an image without keypoints).
    """

    words: int = 200
    sift: SiftOptions = field(default_factory=SiftOptions)
    max_training: int = 20_000
    seed: int = 0
    vocabulary_: FloatArray | None = None

    def __post_init__(self) -> None:
        if min(self.words, self.max_training) < 1 or self.seed < 0:
            raise EvaluationError(
                f"a bag of words needs words and max_training >= 1 and seed >= 0, got "
                f"{self.words}, {self.max_training}, {self.seed}",
                code="E_OPTIONS",
            )

    def fit(self, images: Sequence[Image.Image]) -> SiftBagOfWords:
        """Learn the vocabulary; fewer distinct descriptors than ``words`` give fewer words."""
        cluster = require("sklearn.cluster", "eval", "the SIFT vocabulary")
        parts = [sift_descriptors(image, self.sift) for image in images]
        descriptors = np.concatenate(parts) if parts else np.empty((0, SIFT_DIM), np.float32)
        if len(descriptors) == 0:
            raise EvaluationError("no SIFT keypoints in the training images", code="E_OPTIONS")
        rng = np.random.default_rng(self.seed)
        if len(descriptors) > self.max_training:
            descriptors = descriptors[rng.choice(len(descriptors), self.max_training, False)]
        words = min(self.words, len(np.unique(descriptors, axis=0)))
        if words < self.words:
            log.warning("only %d distinct descriptors: a vocabulary of %d words", words, words)
        kmeans = cluster.KMeans(n_clusters=words, n_init=1, random_state=self.seed)
        self.vocabulary_ = np.asarray(kmeans.fit(descriptors).cluster_centers_, np.float32)
        return self

    def embed(self, images: Sequence[Image.Image]) -> FloatArray:
        """One ``len(vocabulary_)`` row of word shares per image."""
        from scipy.spatial import cKDTree

        if self.vocabulary_ is None:
            raise EvaluationError("fit the bag of words before embedding", code="E_NOT_FITTED")
        tree, words = cKDTree(self.vocabulary_), len(self.vocabulary_)

        def one(image: Image.Image) -> NDArray[np.float64]:
            found = sift_descriptors(image, self.sift)
            if len(found) == 0:
                return np.zeros(words)
            nearest = tree.query(found)[1]
            return np.bincount(nearest, minlength=words) / len(found)

        return embed_each(images, one)
