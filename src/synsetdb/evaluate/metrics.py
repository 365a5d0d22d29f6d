"""Classification metrics as ILSVRC scored them, and ReaL's multi-label accuracy.

Predictions are class indices ranked best first, one row per image: an
``(n, k)`` integer array (``ranked``), or a score matrix turned into one by
:func:`rank_scores`. Targets are class indices. ILSVRC's top-5 error counts an
image as correct when its true class is among the five guesses; a report
leaves it out (None, with the reason in ``not_computed``) when a row has
fewer than five different guesses or there are fewer than five classes.

Example:
    >>> import numpy as np
    >>> ranked = np.array([[2, 0, 1], [1, 2, 0]])
    >>> topk_error(ranked, np.array([0, 1]), k=1), topk_error(ranked, np.array([0, 1]), k=2)
    (0.5, 0.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import EvaluationError

__all__ = [
    "ClassificationReport",
    "classification_report",
    "confusion_matrix",
    "different_guesses",
    "per_class_accuracy",
    "rank_scores",
    "real_accuracy",
    "topk_correct",
    "topk_error",
    "why_not_topk",
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
    """Per image, whether the true class is among the first ``k`` guesses.

    Raises:
        EvaluationError: ``E_PREDICTIONS`` for ``k`` below 1 or more than the
            guesses each row has (top-5 of three guesses is no top-5).
    """
    r, t = _checked(ranked, targets)
    if k < 1:
        raise EvaluationError(f"k must be >= 1, got {k}", code="E_PREDICTIONS")
    if r.shape[1] < k:
        raise EvaluationError(
            f"top-{k} needs {k} guesses per image, the rows have {r.shape[1]} guesses",
            code="E_PREDICTIONS",
        )
    hit: NDArray[np.bool_] = (r[:, :k] == t[:, None]).any(axis=1)
    return hit


def topk_error(ranked: ArrayLike, targets: ArrayLike, k: int = 5) -> float:
    """The share of images whose true class is not among the first ``k`` guesses.

    Raises:
        EvaluationError: ``E_PREDICTIONS`` as :func:`topk_correct`.
    """
    return float(1.0 - topk_correct(ranked, targets, k).mean())


def different_guesses(ranked: ArrayLike) -> IntArray:
    """Per row, how many different classes its guesses name.

    A short row padded with its last guess (see
    :func:`~synsetdb.evaluate.predictions.read_predictions`) counts only the
    guesses it was given.
    """
    r = np.sort(_guesses(ranked), axis=1)
    counts: IntArray = 1 + (r[:, 1:] != r[:, :-1]).sum(axis=1).astype(np.int64)
    return counts


def why_not_topk(ranked: ArrayLike, k: int, n_classes: int, what: str | None = None) -> str | None:
    """Why a top-``k`` score of ``ranked`` over ``n_classes`` cannot be given; None if it can.

    It needs ``k`` different classes among every row's first ``k`` guesses:
    with fewer classes than ``k`` every image would be right, and a row with
    fewer guesses would pass off the ones it has as ``k``. ``what`` names the
    score in the reason (default ``top-k``).

    Example:
        >>> why_not_topk(np.array([[0, 1, 2]]), 5, 10)
        'every row has at most 3 different guesses'
    """
    what = what or f"top-{k}"
    if n_classes < k:
        return f"only {n_classes} classes: {what} needs {k}"
    counts = different_guesses(_guesses(ranked)[:, :k])
    short = int((counts < k).sum())
    if short == 0:
        return None
    if short == counts.size:
        return f"every row has at most {int(counts.max())} different guesses"
    return (
        f"{short:,} of {counts.size:,} rows have fewer than {k} different guesses "
        f"(the fewest: {int(counts.min())})"
    )


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
        top1_error: the share of images whose first guess is wrong.
        top5_error: the share whose class is not among the first five
            guesses; None when that cannot be computed (fewer than five
            different guesses in some row, or fewer than five classes).
        per_class_accuracy: top-1 accuracy per class index (NaN: no images).
        mean_per_class_accuracy: their mean over classes with images.
        per_class_images: images per class index.
        per_class_top5_error: top-5 error per class index (NaN: no images);
            None with ``top5_error``.
        not_computed: score name (``top5_error``) -> why it was not computed.
    """

    images: int
    top1_error: float
    top5_error: float | None
    per_class_accuracy: tuple[float, ...]
    mean_per_class_accuracy: float
    per_class_images: tuple[int, ...] = ()
    per_class_top5_error: tuple[float, ...] | None = None
    not_computed: Mapping[str, str] = field(default_factory=dict)


def classification_report(
    ranked: ArrayLike, targets: ArrayLike, n_classes: int
) -> ClassificationReport:
    """Top-1 and top-5 error and per-class accuracy; top-5 only where the guesses allow it."""
    r, t = _checked(ranked, targets)
    per_class = per_class_accuracy(t, r, n_classes)
    images = np.bincount(t, minlength=n_classes)
    why = why_not_topk(r, 5, n_classes)
    top5 = None if why else topk_correct(r, t, 5)
    return ClassificationReport(
        images=int(t.size),
        top1_error=topk_error(r, t, 1),
        top5_error=None if top5 is None else float(1.0 - top5.mean()),
        per_class_accuracy=tuple(float(a) for a in per_class),
        mean_per_class_accuracy=float(np.nanmean(per_class)),
        per_class_images=tuple(int(n) for n in images),
        per_class_top5_error=None if top5 is None else _per_class_error(top5, t, images),
        not_computed={} if why is None else {"top5_error": why},
    )


def _per_class_error(
    correct: NDArray[np.bool_], targets: IntArray, images: IntArray
) -> tuple[float, ...]:
    """Per class, the share of its images not ``correct`` (NaN for a class without any)."""
    right = np.bincount(targets, weights=correct, minlength=images.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        errors = np.where(images > 0, 1.0 - right / images, np.nan)
    return tuple(float(e) for e in errors)


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
