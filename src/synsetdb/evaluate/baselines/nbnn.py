"""Naive-Bayes nearest neighbour (Boiman, Shechtman and Irani, CVPR 2008; Deng et al. 2009).

Each class keeps every SIFT descriptor of its training images (NBNN-100: of
at most 100 images per class) in a k-d tree. A query image's distance to a
class is ``D_C = Σ_i ‖d_i − NN_C(d_i)‖²`` over the query's descriptors
``d_i``; classes are ranked by ``D_C``, nearest first, and a synset's score
is the best rank among the classes in its subtree (so a node scores well
when any of its classes comes near the top).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ..features import SiftOptions, sift_descriptors
from ..features.base import FloatArray
from ..features.local import SIFT_DIM
from ..metrics import rank_scores
from .data import WORKING_SIDE, prepare
from .report import BaselineResult, Capped, score_nodes
from .tree import IntArray

if TYPE_CHECKING:
    from ...release import Release

__all__ = ["NBNNOptions", "class_distances", "nbnn"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NBNNOptions:
    """How NBNN runs.

    Attributes:
        per_class: use at most this many training images per class (the
            first by name; 100 gives the paper's NBNN-100); None: all.
        sift: how descriptors are taken.
    """

    per_class: int | None = None
    sift: SiftOptions = field(default_factory=SiftOptions)


def class_distances(
    queries: Sequence[FloatArray], classes: Sequence[FloatArray]
) -> NDArray[np.float64]:
    """``[image, class] = Σ_i ‖d_i − NN_class(d_i)‖²`` over each image's descriptors.

    Every array is ``(descriptors, dim)``. A class without descriptors is
    infinitely far; an image without descriptors is at distance 0 from every
    class (they tie).
    """
    from scipy.spatial import cKDTree

    owner = np.repeat(np.arange(len(queries)), [len(q) for q in queries])
    stacked = _stack(queries)
    distances = np.full((len(queries), len(classes)), np.inf)
    for c, descriptors in enumerate(classes):
        if len(descriptors) and len(stacked):
            points = np.asarray(descriptors, np.float64)
            offsets = stacked - points[cKDTree(points).query(stacked)[1]]  # exact squares
            squares = np.einsum("ij,ij->i", offsets, offsets)
            distances[:, c] = np.bincount(owner, squares, minlength=len(queries))
    empty = [i for i, q in enumerate(queries) if len(q) == 0]
    if empty:
        log.warning("%d image(s) without SIFT keypoints tie on every class", len(empty))
        distances[empty] = 0.0
    return distances


def _stack(arrays: Sequence[FloatArray]) -> NDArray[np.float64]:
    """Rows of every array (an empty list: no rows of SIFT's width)."""
    if not arrays:
        return np.empty((0, SIFT_DIM))
    return np.concatenate([np.asarray(a, np.float64) for a in arrays])


def _per_class(descriptors: Sequence[FloatArray], targets: IntArray, n: int) -> list[FloatArray]:
    """Each class's training descriptors, stacked."""
    return [
        _stack([d for d, t in zip(descriptors, targets, strict=True) if t == c]).astype(np.float32)
        for c in range(n)
    ]


def class_ranks(ranked: IntArray) -> IntArray:
    """``[image, class]``: the class's position (0: first) in each row of ``ranked``."""
    ranks = np.empty_like(ranked)
    np.put_along_axis(ranks, ranked, np.arange(ranked.shape[1])[None, :], axis=1)
    return ranks


def nbnn(
    release: Release,
    *,
    split: str = "val",
    train_split: str = "train",
    options: NBNNOptions | None = None,
) -> BaselineResult:
    """Score ``split`` by NBNN over SIFT descriptors of ``train_split``.

    Raises:
        EvaluationError: ``E_MISSING_EXTRA`` without scikit-image;
            ``E_OPTIONS`` for a ``per_class`` below 1.
        ReleaseError: ``E_NO_SPLIT`` for a split the release lacks.
    """
    options = options or NBNNOptions()
    start = time.perf_counter()
    side = max(WORKING_SIDE, options.sift.side)
    data = prepare(release, split, train_split, side=side, per_class=options.per_class)
    train = [sift_descriptors(image, options.sift) for image in data.train.images]
    by_class = _per_class(train, data.train.targets, len(data.table.classes))
    queries = [sift_descriptors(image, options.sift) for image in data.query.images]
    ranked = rank_scores(-class_distances(queries, by_class))
    node_scores = -data.table.min_over_classes(class_ranks(ranked).astype(np.float64))
    capped = _cap_per_class(options.per_class, data.train.targets, train_split)
    per_class = options.per_class if capped is None else capped.used
    return score_nodes(
        "nbnn" if per_class is None else f"nbnn-{per_class}",
        data.query,
        data.table,
        node_scores,
        ranked,
        options={
            "per_class": per_class,
            "sift_side": options.sift.side,
            "upsampling": options.sift.upsampling,
            "train_split": train_split,
        },
        seconds=time.perf_counter() - start,
        capped=_told(capped),
    )


def _cap_per_class(per_class: int | None, targets: IntArray, train_split: str) -> Capped | None:
    """A ``per_class`` no class reaches, as what it amounts to: the largest class's images."""
    largest = int(np.bincount(targets).max()) if len(targets) else 0
    if per_class is None or largest >= per_class:
        return None
    return Capped(
        option="per_class",
        requested=per_class,
        used=largest,
        reason=(
            f"limits nothing: no class has more than {largest} images in {train_split!r}, "
            "so every one of them is used"
        ),
        advice=(
            f"The result is named nbnn-{largest}: it is not the NBNN-{per_class} of a larger "
            "release. Leave --per-class out, or train on more images per class."
        ),
    )


def _told(capped: Capped | None) -> tuple[Capped, ...]:
    """The result's ``capped``, each logged as a warning."""
    if capped is None:
        return ()
    log.warning("nbnn: %s", capped.message)
    return (capped,)
