"""NN voting (Torralba et al.'s tiny images; Deng et al. 2009, section 4.2).

Every image is squashed to 32×32 colour pixels; a query's ``k`` nearest
training images by the sum of squared differences (SSD) vote for their
classes, and a synset's score is the number of votes that fall in its
subtree. Classes are ranked by their own votes (a class with classes below it
would otherwise collect theirs and outrank them). Distances are one matrix
product per chunk of queries: ``‖a − b‖² = ‖a‖² + ‖b‖² − 2 a·b``.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from ...errors import EvaluationError
from ..features import Embedder, TinyImage, fit_embedder
from ..metrics import rank_scores
from .data import prepare
from .report import BaselineResult, Capped, score_nodes
from .tree import IntArray

if TYPE_CHECKING:
    from ...release import Release

__all__ = ["nearest_neighbours", "neighbour_votes", "nn_voting", "squared_distances"]

log = logging.getLogger(__name__)

_CHUNK_CELLS = 1 << 24  # distance-matrix cells per chunk of queries (64 MiB of float32)


def squared_distances(a: NDArray[np.floating], b: NDArray[np.floating]) -> NDArray[np.floating]:
    """``[i, j] = ‖a[i] − b[j]‖²`` for row vectors, never below zero."""
    a_norms = np.einsum("ij,ij->i", a, a)[:, None]
    b_norms = np.einsum("ij,ij->i", b, b)[None, :]
    distances: NDArray[np.floating] = np.maximum(a_norms + b_norms - 2.0 * (a @ b.T), 0.0)
    return distances


def nearest_neighbours(
    train: NDArray[np.floating], query: NDArray[np.floating], k: int
) -> IntArray:
    """Per query row, the indices of its ``k`` nearest training rows (in no set order).

    Among training rows at the same distance the choice is arbitrary but fixed.
    """
    if not 1 <= k <= len(train):
        raise EvaluationError(f"k must be in 1..{len(train)}, got {k}", code="E_OPTIONS")
    chunk = max(1, _CHUNK_CELLS // max(len(train), 1))
    found = [
        np.argpartition(squared_distances(query[i : i + chunk], train), k - 1, axis=1)[:, :k]
        for i in range(0, len(query), chunk)
    ]
    result: IntArray = np.concatenate(found).astype(np.int64)
    return result


def neighbour_votes(
    train: NDArray[np.floating],
    train_targets: IntArray,
    query: NDArray[np.floating],
    k: int,
    n_classes: int,
) -> NDArray[np.float64]:
    """``(queries, classes)``: how many of each query's ``k`` nearest neighbours are of a class."""
    neighbours = train_targets[nearest_neighbours(train, query, k)]
    cells = np.arange(len(query))[:, None] * n_classes + neighbours
    counts = np.bincount(cells.ravel(), minlength=len(query) * n_classes)
    return counts.reshape(len(query), n_classes).astype(np.float64)


def nn_voting(
    release: Release,
    *,
    k: int = 100,
    split: str = "val",
    train_split: str = "train",
    embedder: Embedder | None = None,
) -> BaselineResult:
    """Score ``split`` by votes of the ``k`` nearest ``train_split`` images.

    ``k`` at or above the number of training images would give every query
    the same votes (all of them), scoring chance: it is capped at the
    largest class's training images instead, logged as a warning and
    recorded in ``result.capped``. ``embedder`` replaces the 32×32 tiny
    images (any :class:`~synsetdb.evaluate.features.Embedder`).

    Raises:
        EvaluationError: ``E_OPTIONS`` for ``k`` < 1 or a training split without images.
        ReleaseError: ``E_NO_SPLIT`` for a split the release lacks.
    """
    if k < 1:
        raise EvaluationError(f"k must be >= 1, got {k}", code="E_OPTIONS")
    start = time.perf_counter()
    data = prepare(release, split, train_split)
    capped = _cap_k(k, data.train.targets, train_split)
    used = k if capped is None else capped.used
    features = fit_embedder(embedder or TinyImage(), data.train.images)
    votes = neighbour_votes(
        features.embed(data.train.images),
        data.train.targets,
        features.embed(data.query.images),
        used,
        len(data.table.classes),
    )
    return score_nodes(
        "nn",
        data.query,
        data.table,
        data.table.sum_over_classes(votes),
        rank_scores(votes),  # a class's own votes: one above others would get theirs too
        options={"k": used, "embedder": repr(features), "train_split": train_split},
        seconds=time.perf_counter() - start,
        capped=_told(capped),
    )


def _cap_k(k: int, targets: IntArray, train_split: str) -> Capped | None:
    """``k`` capped where every query's votes would be the same, or None when it is not.

    At ``k`` >= the training images every query's neighbours are all of them,
    so every query gets the class sizes as votes. ``k`` then becomes the
    largest class's training images: as many neighbours as one class could
    fill on its own.
    """
    total = len(targets)
    if total == 0:
        raise EvaluationError(f"the {train_split!r} split has no images", code="E_OPTIONS")
    if k < total:
        return None
    used = min(int(np.bincount(targets).max()), k)
    return Capped(
        option="k",
        requested=k,
        used=used,
        reason=(
            f"reaches all {total} {train_split!r} images, so every image would get the same "
            "votes (chance scores)"
        ),
        advice=f"Pass --k {used} or less (the largest class has {used}), or train on more "
        "images per class.",
    )


def _told(capped: Capped | None) -> tuple[Capped, ...]:
    """The result's ``capped``, each logged as a warning."""
    if capped is None:
        return ()
    log.warning("nn: %s", capped.message)
    return (capped,)
