"""Label issues found by confident learning (Northcutt, Jiang & Chuang, JAIR 2021).

Given the label each sample was given and out-of-sample predicted class
probabilities for it (from cross-validation, or a model that never trained on
it), confident learning counts the samples whose predictions confidently point
at each class (the *confident joint*), turns the counts into an estimate of
the joint distribution of given and true labels, and flags as many samples as
that estimate says are mislabelled, choosing the ones the predictions disagree
with most. Written from the paper (section 3): thresholds and the confident
joint (eq. 1), its calibration (eq. 3), and the pruning rules of section 3.2.

Example:
    >>> import numpy as np
    >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.95, 0.05], [0.1, 0.9], [0.2, 0.8]])
    >>> issues = find_label_issues([0, 0, 1, 1, 1], probs)
    >>> issues.ranked.tolist(), issues.suggested[issues.ranked].tolist()
    ([2], [0])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import EvaluationError

__all__ = [
    "FILTERS",
    "RANKINGS",
    "Filter",
    "LabelIssues",
    "Ranking",
    "calibrate",
    "confident_joint",
    "find_label_issues",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.floating]
BoolArray = NDArray[np.bool_]

Filter = Literal[
    "prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "predicted_neq_given"
]
Ranking = Literal["self_confidence", "normalized_margin"]
FILTERS: tuple[str, ...] = get_args(Filter)
RANKINGS: tuple[str, ...] = get_args(Ranking)
PRUNING: tuple[str, ...] = ("prune_by_noise_rate", "prune_by_class", "both")

ROW_SUM_TOLERANCE = 0.01  # rows are probabilities: logits or raw scores are refused
# A probability equal to its class's threshold counts as above it, though the
# mean that makes the threshold may round an ulp above every value it averages.
THRESHOLD_SLACK = 1e-6
_BLOCK_ELEMENTS = 1 << 16  # pred_probs is read in blocks of about this many values (cache-sized)


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: arrays have no single truth value
class LabelIssues:
    """What :func:`find_label_issues` found; samples are rows of ``pred_probs``.

    Attributes:
        issue_mask: per sample, True when its given label looks wrong.
        ranked: indices of the flagged samples, the likeliest error first.
        suggested: per sample, the class the predictions rank first.
        self_confidence: per sample, the predicted probability of its given label.
        normalized_margin: per sample, that probability minus the largest other.
        confident_joint: ``C[i][j]``, samples given label ``i`` confidently in class ``j``.
        joint: the calibrated estimate of P(given ``i``, true ``j``); sums to 1.
        thresholds: per class, the mean self-confidence of the samples given it.
    """

    issue_mask: BoolArray
    ranked: IntArray
    suggested: IntArray
    self_confidence: FloatArray
    normalized_margin: FloatArray
    confident_joint: IntArray
    joint: FloatArray
    thresholds: FloatArray

    @property
    def count(self) -> int:
        """How many samples were flagged."""
        return len(self.ranked)

    @property
    def noise_rate(self) -> float:
        """The estimated share of samples whose given label is wrong (off-diagonal of ``joint``)."""
        return float(1.0 - np.trace(self.joint))


@dataclass(frozen=True, slots=True, eq=False)
class _RowStats:
    """What one pass over the rows of pred_probs yields, per sample."""

    suggested: IntArray  # argmax
    confident: IntArray  # the class the sample is confidently in (eq. 1), -1 for none
    best_other: FloatArray  # the largest probability of a class other than the given one


def confident_joint(labels: ArrayLike, pred_probs: ArrayLike) -> tuple[IntArray, FloatArray]:
    """The confident joint ``C`` (K x K counts) and the per-class thresholds ``t``.

    ``t[j]`` is the mean predicted probability of class ``j`` over the samples
    given label ``j``. A sample given label ``i`` counts in ``C[i][j]`` for the
    class ``j`` of largest probability among those with ``p[j] >= t[j]``; a
    sample above no threshold counts nowhere. A class no sample was given gets
    an infinite threshold: nothing is confidently in it.

    Raises:
        EvaluationError: ``E_PREDICTIONS`` or ``E_LABELS`` for unusable inputs.
    """
    given, probs = _checked(labels, pred_probs)
    thresholds = _thresholds(given, _self_confidence(given, probs), probs.shape[1])
    stats = _row_stats(given, probs, thresholds)
    return _count_joint(given, stats.confident, probs.shape[1]), thresholds


def calibrate(joint_counts: ArrayLike, label_counts: ArrayLike) -> FloatArray:
    """The estimate Q̂ of the joint of given and true labels from a confident joint (eq. 3).

    Each row ``i`` is rescaled to sum to the number of samples given label
    ``i``, then the whole is divided by the number of samples. A row with no
    confident sample is taken as noise-free (all its mass on the diagonal).
    """
    counts = np.asarray(joint_counts, dtype=np.float64)
    given = np.asarray(label_counts, dtype=np.float64)
    rows = counts.sum(axis=1)
    joint: FloatArray = counts * (given / np.where(rows > 0, rows, 1.0))[:, None]
    empty = np.flatnonzero(rows == 0)
    joint[empty, empty] = given[empty]
    joint /= max(float(given.sum()), 1.0)
    return joint


def find_label_issues(
    labels: ArrayLike,
    pred_probs: ArrayLike,
    *,
    filter_by: Filter = "prune_by_noise_rate",
    rank_by: Ranking = "self_confidence",
    frac_noise: float = 1.0,
    min_examples_per_class: int = 1,
) -> LabelIssues:
    """Flag the samples whose given labels look wrong, and rank them.

    Args:
        labels: ``(n,)`` given class indices in ``[0, K)``.
        pred_probs: ``(n, K)`` out-of-sample predicted probabilities; rows sum to 1.
        filter_by: which samples to flag (the paper's section 3.2):
            ``prune_by_noise_rate``: for each pair of classes ``i != j``, the
            ``n * Q̂[i][j]`` samples given ``i`` with the largest margin
            ``p[j] - p[i]``; ``prune_by_class``: per class ``i``, the
            ``n * sum_j!=i Q̂[i][j]`` samples given ``i`` of lowest
            self-confidence; ``both``: flagged by both; ``confident_learning``:
            the samples off the diagonal of the confident joint;
            ``predicted_neq_given``: the argmax is not the given label.
        rank_by: the order of ``ranked``, lowest first: ``self_confidence``
            or ``normalized_margin``.
        frac_noise: flag only this share of the estimated errors (pruning filters).
        min_examples_per_class: the pruning filters leave at least this many
            samples of each class unflagged.

    The pruning filters round ``n * Q̂`` to whole samples row by row, keeping
    each row's total (the class's size): largest remainders first, ties to the
    lower class index. They never flag a sample whose given label is the one
    its predictions rank first: an estimated count larger than the samples
    that point elsewhere would otherwise reach into samples the model agrees with.

    Raises:
        EvaluationError: ``E_PREDICTIONS`` or ``E_LABELS`` for unusable
            inputs, ``E_OPTIONS`` for an unknown filter or ranking or an
            option out of range.
    """
    _check_options(filter_by, rank_by, frac_noise, min_examples_per_class)
    given, probs = _checked(labels, pred_probs)
    k = probs.shape[1]
    self_conf = _self_confidence(given, probs)
    thresholds = _thresholds(given, self_conf, k)
    stats = _row_stats(given, probs, thresholds)
    counts = np.bincount(given, minlength=k)
    joint_counts = _count_joint(given, stats.confident, k)
    joint = calibrate(joint_counts, counts)
    if filter_by in PRUNING:
        cells = _prune_counts(joint, counts, frac_noise, min_examples_per_class)
        mask = _pruned(filter_by, given, probs, self_conf, cells)
        mask &= stats.suggested != given
    elif filter_by == "confident_learning":
        mask = (stats.confident >= 0) & (stats.confident != given)
    else:
        mask = stats.suggested != given
    margin = self_conf - stats.best_other
    score = self_conf if rank_by == "self_confidence" else margin
    flagged = np.flatnonzero(mask)
    return LabelIssues(
        issue_mask=mask,
        ranked=flagged[np.argsort(score[flagged], kind="stable")].astype(np.int64),
        suggested=stats.suggested,
        self_confidence=self_conf,
        normalized_margin=margin,
        confident_joint=joint_counts,
        joint=joint,
        thresholds=thresholds,
    )


# ----------------------------------------------------------------------------- inputs


def _check_options(filter_by: str, rank_by: str, frac_noise: float, min_examples: int) -> None:
    if filter_by not in FILTERS:
        raise EvaluationError(
            f"unknown filter_by {filter_by!r}; choose one of {', '.join(FILTERS)}",
            code="E_OPTIONS",
        )
    if rank_by not in RANKINGS:
        raise EvaluationError(
            f"unknown rank_by {rank_by!r}; choose one of {', '.join(RANKINGS)}", code="E_OPTIONS"
        )
    if not 0.0 <= frac_noise <= 1.0:
        raise EvaluationError(f"frac_noise must lie in [0, 1], got {frac_noise}", code="E_OPTIONS")
    if min_examples < 0:
        raise EvaluationError(
            f"min_examples_per_class must be >= 0, got {min_examples}", code="E_OPTIONS"
        )


def _checked(labels: ArrayLike, pred_probs: ArrayLike) -> tuple[IntArray, FloatArray]:
    """The inputs as arrays (float32 stays float32: no copy of a large matrix), or an error."""
    probs = np.asarray(pred_probs)
    if probs.dtype.kind in "biu":
        probs = probs.astype(np.float64)
    if probs.ndim != 2 or probs.dtype.kind != "f":
        raise EvaluationError(
            f"pred_probs must be a (samples, classes) array of floats, got shape "
            f"{probs.shape} of {probs.dtype}",
            code="E_PREDICTIONS",
        )
    n, k = probs.shape
    if n == 0 or k < 2:
        raise EvaluationError(
            f"need at least one sample and 2 classes, got pred_probs of shape {probs.shape}",
            code="E_PREDICTIONS",
        )
    _check_rows(probs)
    return _checked_labels(labels, n, k), probs


def _check_rows(probs: FloatArray) -> None:
    sums = probs.sum(axis=1)
    bad = np.flatnonzero(~(np.abs(sums - 1.0) <= ROW_SUM_TOLERANCE))  # NaN and inf fail too
    if len(bad):
        row = int(bad[0])
        why = "holds NaN or infinity" if not np.isfinite(sums[row]) else f"sums to {sums[row]:.4g}"
        raise EvaluationError(
            f"pred_probs must hold probabilities: row {row} {why} ({len(bad)} bad rows)",
            code="E_PREDICTIONS",
        )
    if probs.min() < 0:
        row = int(np.flatnonzero((probs < 0).any(axis=1))[0])
        raise EvaluationError(
            f"pred_probs must hold probabilities: row {row} has a negative value",
            code="E_PREDICTIONS",
        )


def _checked_labels(labels: ArrayLike, n: int, k: int) -> IntArray:
    given = np.asarray(labels)
    if given.shape != (n,):
        raise EvaluationError(
            f"need one label per row of pred_probs ({n}), got labels of shape {given.shape}",
            code="E_LABELS",
        )
    if given.dtype.kind not in "iu":
        raise EvaluationError(
            f"labels must be integer class indices, got {given.dtype}", code="E_LABELS"
        )
    if given.min() < 0 or given.max() >= k:
        raise EvaluationError(
            f"labels must lie in [0, {k}) (the columns of pred_probs), "
            f"got {given.min()} to {given.max()}",
            code="E_LABELS",
        )
    return given.astype(np.int64)


# ----------------------------------------------------------------------------- counting


def _self_confidence(given: IntArray, probs: FloatArray) -> FloatArray:
    picked: FloatArray = probs[np.arange(len(given)), given]
    return picked


def _thresholds(given: IntArray, self_conf: FloatArray, k: int) -> FloatArray:
    """Per class, the mean self-confidence of its samples (infinite for a class none was given)."""
    counts = np.bincount(given, minlength=k)
    sums = np.bincount(given, weights=self_conf, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        thresholds: FloatArray = np.where(counts > 0, sums / counts, np.inf)
    return thresholds


def _row_stats(given: IntArray, probs: FloatArray, thresholds: FloatArray) -> _RowStats:
    """Argmax, confident class and largest other probability, a block of rows at a time.

    Blocks keep the temporaries (a masked copy of the rows) small and in cache
    however many samples there are; they are made once and reused.
    """
    n, k = probs.shape
    suggested = np.empty(n, dtype=np.int64)
    confident = np.empty(n, dtype=np.int64)
    best_other = np.empty(n, dtype=probs.dtype)
    floor = (thresholds - THRESHOLD_SLACK).astype(probs.dtype)
    step = max(1, _BLOCK_ELEMENTS // k)
    scratch = np.empty((min(step, n), k), dtype=probs.dtype)
    above = np.empty((min(step, n), k), dtype=bool)
    for start in range(0, n, step):
        rows = slice(start, start + step)
        block = probs[rows]
        masked, where = scratch[: len(block)], np.arange(len(block))
        suggested[rows] = block.argmax(axis=1)
        # the largest probability among the classes at or above their thresholds
        np.greater_equal(block, floor, out=above[: len(block)])
        masked.fill(-1.0)
        np.copyto(masked, block, where=above[: len(block)])
        pick = masked.argmax(axis=1)
        confident[rows] = np.where(masked[where, pick] >= 0, pick, -1)
        # the largest probability among the classes other than the given one
        np.copyto(masked, block)
        masked[where, given[rows]] = -np.inf
        best_other[rows] = masked.max(axis=1)
    return _RowStats(suggested, confident, best_other)


def _count_joint(given: IntArray, confident: IntArray, k: int) -> IntArray:
    counted = confident >= 0
    cells = np.bincount(given[counted] * k + confident[counted], minlength=k * k)
    return cells.reshape(k, k).astype(np.int64)


def _round_rows(values: FloatArray, totals: IntArray) -> IntArray:
    """Whole numbers near ``values``, each row summing to its total.

    Floors, then one more for the cells of largest remainder until the row's
    total is met; ties (common: cells of equal counts in a row calibrate to
    equal values) go to the lower class index.
    """
    whole = np.floor(values)
    short = totals - whole.sum(axis=1).astype(np.int64)
    rows, cols = np.nonzero(values > whole)  # only a cell with a remainder rounds up
    remainder = values[rows, cols] - whole[rows, cols]
    order = np.lexsort((cols, -remainder, rows))  # by row, then largest remainder first
    rows, cols = rows[order], cols[order]
    place = np.arange(len(rows)) - np.searchsorted(rows, rows)  # rank within its row
    up = place < short[rows]
    rounded: IntArray = whole.astype(np.int64)
    rounded[rows[up], cols[up]] += 1
    return rounded


def _prune_counts(
    joint: FloatArray, counts: IntArray, frac_noise: float, min_examples: int
) -> IntArray:
    """``n * Q̂`` as whole samples, off the diagonal: how many to flag per (given, true) pair.

    Rows are rounded to keep their totals (the class sizes); then scaled by
    ``frac_noise``, and cut where a class would keep fewer than ``min_examples``.
    """
    whole = _round_rows(joint * counts.sum(), counts)
    np.fill_diagonal(whole, 0)
    cells: IntArray = np.floor(whole * frac_noise).astype(np.int64)
    caps = np.maximum(counts - min_examples, 0)
    for i in np.flatnonzero(cells.sum(axis=1) > caps):  # rare: most of a class looks wrong
        row = cells[i] * (caps[i] / cells[i].sum())
        cells[i] = _round_rows(row[None, :], caps[i : i + 1])[0]
    return cells


# ----------------------------------------------------------------------------- pruning


def _pruned(
    filter_by: str, given: IntArray, probs: FloatArray, self_conf: FloatArray, cells: IntArray
) -> BoolArray:
    if filter_by == "prune_by_class":
        return _prune_by_class(given, self_conf, cells.sum(axis=1))
    by_rate = _prune_by_noise_rate(given, probs, cells)
    if filter_by == "both":
        by_rate &= _prune_by_class(given, self_conf, cells.sum(axis=1))
    return by_rate


def _prune_by_class(given: IntArray, self_conf: FloatArray, per_class: IntArray) -> BoolArray:
    """Per class, its ``per_class`` samples of lowest self-confidence (ties: lower index)."""
    order = np.lexsort((self_conf, given))  # by class, then least confident first
    counts = np.bincount(given, minlength=len(per_class))
    starts = np.cumsum(counts) - counts
    rank = np.empty(len(given), dtype=np.int64)
    rank[order] = np.arange(len(given)) - starts[given[order]]
    flagged: BoolArray = rank < per_class[given]
    return flagged


def _prune_by_noise_rate(given: IntArray, probs: FloatArray, cells: IntArray) -> BoolArray:
    """For each pair ``(i, j)``, the ``cells[i][j]`` samples given ``i`` of largest ``p[j] - p[i]``.

    One class at a time, reading only the columns it needs; ties go to the lower index.
    """
    mask = np.zeros(len(given), dtype=bool)
    order = np.argsort(given, kind="stable")  # the samples of each class, together
    counts = np.bincount(given, minlength=len(cells))
    starts = np.cumsum(counts) - counts
    pair_rows, pair_cols = np.nonzero(cells)  # by row: each class's targets, together
    bounds = np.searchsorted(pair_rows, np.arange(len(cells) + 1))
    for i in np.unique(pair_rows).tolist():
        members = order[starts[i] : starts[i] + counts[i]]
        targets = pair_cols[bounds[i] : bounds[i + 1]]
        margins = probs[members[:, None], targets] - probs[members, i][:, None]
        best_first = np.argsort(-margins, axis=0, kind="stable")
        take = np.arange(len(members))[:, None] < cells[i, targets]
        mask[members[best_first[take]]] = True
    return mask
