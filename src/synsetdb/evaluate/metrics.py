"""Classification metrics as ILSVRC scored them, and ReaL's multi-label accuracy.

Predictions are class indices ranked best first, one row per image: an
``(n, k)`` integer array (``ranked``), or a score matrix turned into one by
:func:`rank_scores`. Targets are class indices. ILSVRC's top-5 error counts an
image as correct when its true class is among the five guesses.

Example:
    >>> import numpy as np
    >>> ranked = np.array([[2, 0, 1], [1, 2, 0]])
    >>> topk_error(ranked, np.array([0, 1]), k=1), topk_error(ranked, np.array([0, 1]), k=2)
    (0.5, 0.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import EvaluationError

__all__ = [
    "ClassificationReport",
    "classification_report",
    "confusion_matrix",
    "per_class_accuracy",
    "rank_scores",
    "real_accuracy",
    "topk_correct",
    "topk_error",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


def rank_scores(scores: ArrayLike, k: int | None = None) -> IntArray:
    """Class indices by descending score, the best ``k`` per row (all without ``k``).

    Ties keep the lower class index first, so ranking is deterministic.
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim != 2 or s.shape[1] == 0:
        raise EvaluationError(
            f"scores must be (images, classes), got {s.shape}", code="E_PREDICTIONS"
        )
    if k is not None and k < 1:
        raise EvaluationError(f"k must be >= 1, got {k}", code="E_PREDICTIONS")
    k = s.shape[1] if k is None else min(k, s.shape[1])
    ranked: IntArray = np.argsort(-s, axis=1, kind="stable")[:, :k].astype(np.int64)
    return ranked


def _guesses(ranked: ArrayLike) -> IntArray:
    """``ranked`` as an ``(n, k)`` integer array with at least one guess per image."""
    r = np.asarray(ranked)
    if r.ndim == 1:
        r = r[:, None]
    if r.ndim != 2 or r.shape[1] == 0:
        raise EvaluationError(
            f"need guesses as (images, k >= 1), got {r.shape}", code="E_PREDICTIONS"
        )
    if not np.issubdtype(r.dtype, np.integer):
        raise EvaluationError("class indices must be integers", code="E_PREDICTIONS")
    return r.astype(np.int64)


def _checked(ranked: ArrayLike, targets: ArrayLike) -> tuple[IntArray, IntArray]:
    r, t = _guesses(ranked), np.asarray(targets)
    if t.ndim != 1 or r.shape[0] != t.shape[0]:
        raise EvaluationError(
            f"need ranked (n, k) and targets (n,), got {r.shape} and {t.shape}",
            code="E_PREDICTIONS",
        )
    if r.shape[0] == 0:
        raise EvaluationError("no predictions to score", code="E_PREDICTIONS")
    if not np.issubdtype(t.dtype, np.integer):
        raise EvaluationError("class indices must be integers", code="E_PREDICTIONS")
    return r, t.astype(np.int64)


def topk_correct(ranked: ArrayLike, targets: ArrayLike, k: int = 5) -> NDArray[np.bool_]:
    """Per image, whether the true class is among the first ``k`` guesses."""
    r, t = _checked(ranked, targets)
    if k < 1:
        raise EvaluationError(f"k must be >= 1, got {k}", code="E_PREDICTIONS")
    hit: NDArray[np.bool_] = (r[:, :k] == t[:, None]).any(axis=1)
    return hit


def topk_error(ranked: ArrayLike, targets: ArrayLike, k: int = 5) -> float:
    """The share of images whose true class is not among the first ``k`` guesses."""
    return float(1.0 - topk_correct(ranked, targets, k).mean())


def confusion_matrix(targets: ArrayLike, predicted: ArrayLike, n_classes: int) -> IntArray:
    """``matrix[true, predicted]`` counts of top-1 predictions."""
    p, t = _checked(predicted, targets)
    top1 = p[:, 0]
    if min(t.min(), top1.min()) < 0 or max(t.max(), top1.max()) >= n_classes:
        raise EvaluationError(f"class indices must lie in [0, {n_classes})", code="E_PREDICTIONS")
    counts = np.bincount(t * n_classes + top1, minlength=n_classes * n_classes)
    matrix: IntArray = counts.reshape(n_classes, n_classes).astype(np.int64)
    return matrix


def per_class_accuracy(targets: ArrayLike, predicted: ArrayLike, n_classes: int) -> FloatArray:
    """Top-1 accuracy of each class's images (NaN for a class with none)."""
    matrix = confusion_matrix(targets, predicted, n_classes)
    totals = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy: FloatArray = np.where(totals > 0, np.diag(matrix) / totals, np.nan)
    return accuracy


@dataclass(frozen=True, slots=True)
class ClassificationReport:
    """ILSVRC's numbers for one set of predictions.

    Attributes:
        images: how many were scored.
        top1_error, top5_error: shares of images missed (top-5: with fewer
            than five guesses per image, every guess given counts).
        per_class_accuracy: top-1 accuracy per class index (NaN: no images).
        mean_per_class_accuracy: their mean over classes with images.
    """

    images: int
    top1_error: float
    top5_error: float
    per_class_accuracy: tuple[float, ...]
    mean_per_class_accuracy: float


def classification_report(
    ranked: ArrayLike, targets: ArrayLike, n_classes: int
) -> ClassificationReport:
    """Top-1 and top-5 error and per-class accuracy."""
    r, t = _checked(ranked, targets)
    per_class = per_class_accuracy(t, r, n_classes)
    return ClassificationReport(
        images=int(t.size),
        top1_error=topk_error(r, t, 1),
        top5_error=topk_error(r, t, 5),
        per_class_accuracy=tuple(float(a) for a in per_class),
        mean_per_class_accuracy=float(np.nanmean(per_class)),
    )


def real_accuracy(predicted: ArrayLike, labels: Sequence[Sequence[int]]) -> tuple[float, int]:
    """ReaL accuracy (Beyer et al. 2020): a top-1 guess is right when it is any acceptable label.

    Images whose list of acceptable labels is empty are left out, as ReaL does.

    Args:
        predicted: each image's guess, ``(n,)``, or its ranked guesses ``(n, k)``.
        labels: each image's acceptable class indices.

    Returns:
        The accuracy over the images kept, and how many were kept.

    Raises:
        EvaluationError: ``E_PREDICTIONS`` for guesses that are not integer
            class indices, a count that differs from the label lists', or no
            image with a label.
    """
    top1 = _guesses(predicted)[:, 0]
    if top1.shape[0] != len(labels):
        raise EvaluationError(
            f"{top1.shape[0]} predictions for {len(labels)} label lists", code="E_PREDICTIONS"
        )
    kept = [i for i, acceptable in enumerate(labels) if len(acceptable)]
    if not kept:
        raise EvaluationError("every image has an empty label list", code="E_PREDICTIONS")
    right = sum(int(top1[i]) in set(labels[i]) for i in kept)
    return right / len(kept), len(kept)
