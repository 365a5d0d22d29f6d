"""What every baseline reports: leaf-class errors and ROC AUC per node and per tree height.

The 2009 ImageNet paper (Deng et al., CVPR 2009, figure 9) scores each
synset node of the hierarchy by the ROC AUC of "the image lies in this node's
subtree" and plots the mean AUC of the nodes at each tree height (height 0:
the leaf classes). ``roc_auc`` is the Mann–Whitney statistic over ranks, ties
given their average rank, so it needs only NumPy and equals scikit-learn's
``roc_auc_score``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ...errors import EvaluationError
from .._files import write_atomically
from ..metrics import classification_report, rank_scores
from ..predictions import format_predictions
from .data import SplitImages
from .tree import BoolArray, IntArray, NodeTable

__all__ = [
    "BaselineResult",
    "Capped",
    "auc_by_height",
    "node_aucs",
    "roc_auc",
    "score_nodes",
    "write_predictions",
]

FloatArray = NDArray[np.float64]


def roc_auc(labels: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve of ``scores`` for the boolean ``labels``.

    The chance that a random positive scores above a random negative, ties
    counting one half.

    Raises:
        EvaluationError: ``E_PREDICTIONS`` when the lengths differ, a score is
            NaN, or there are no positives or no negatives.
    """
    y = np.asarray(labels, dtype=np.bool_)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape or y.ndim != 1:
        raise EvaluationError(f"labels {y.shape} and scores {s.shape} differ", code="E_PREDICTIONS")
    if np.isnan(s).any():
        raise EvaluationError("a score is NaN", code="E_PREDICTIONS")
    positives = int(y.sum())
    negatives = y.size - positives
    if positives == 0 or negatives == 0:
        raise EvaluationError("AUC needs positives and negatives", code="E_PREDICTIONS")
    ranks = _average_ranks(s)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _average_ranks(values: FloatArray) -> FloatArray:
    """1-based ranks, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], values.size]
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return ranks


def node_aucs(node_scores: ArrayLike, labels: BoolArray) -> FloatArray:
    """Per node (column), the AUC of its scores for its labels; NaN where a side is empty."""
    scores = np.asarray(node_scores, dtype=np.float64)
    aucs = np.full(labels.shape[1], np.nan)
    for node in range(labels.shape[1]):
        positives = labels[:, node].sum()
        if 0 < positives < labels.shape[0]:
            aucs[node] = roc_auc(labels[:, node], scores[:, node])
    return aucs


def auc_by_height(aucs: ArrayLike, heights: ArrayLike) -> dict[int, float]:
    """Mean AUC of the nodes at each height, over nodes with an AUC (NaN: skipped)."""
    a, h = np.asarray(aucs, dtype=np.float64), np.asarray(heights, dtype=np.int64)
    scored = ~np.isnan(a)
    return {int(height): float(a[scored & (h == height)].mean()) for height in np.unique(h[scored])}


@dataclass(frozen=True, slots=True)
class Capped:
    """An option the data did not allow as asked, and what ran instead.

    Attributes:
        option: its name (``k``, ``per_class``).
        requested: the value asked for.
        used: the value the baseline ran with (in ``BaselineResult.options``).
        reason: why, in terms of the data.
        advice: what to do about it.
    """

    option: str
    requested: Any
    used: Any
    reason: str
    advice: str

    @property
    def message(self) -> str:
        """One line for a log or a terminal: asked, used, why, what to do."""
        return (
            f"{self.option}={self.requested} {self.reason}; using {self.option}={self.used}. "
            f"{self.advice}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "option": self.option,
            "requested": self.requested,
            "used": self.used,
            "reason": self.reason,
            "advice": self.advice,
        }


@dataclass(frozen=True, slots=True, eq=False)
class BaselineResult:
    """One baseline's predictions and scores on one split.

    Attributes:
        name: ``nn``, ``nbnn``, ``nbnn-100``, ``treemax``, ….
        split: the split scored.
        names: the images' item names, in row order.
        targets: each image's class index.
        classes: class wnids in index order.
        ranked: ``(images, classes)`` class indices, best guess first, by
            each class's own score (a class with classes below it does not
            take theirs).
        nodes: the induced hierarchy's nodes (by height, then wnid).
        heights: each node's height.
        node_scores: ``(images, nodes)``; higher means "more likely in the subtree".
        node_auc: each node's ROC AUC (NaN: no positive or no negative image).
        top1_error: the leaf-class error of ``ranked``'s first guess.
        top5_error: of its first five; None with fewer than five classes
            (its reason in ``not_computed``).
        mean_per_class_accuracy: top-1 accuracy averaged over classes.
        auc_by_height: height -> mean AUC of its scored nodes.
        options: what the baseline ran with (the values used, after any cap).
        seconds: how long it ran.
        capped: the options the data did not allow as asked (each also logged
            as a warning when the baseline ran).
        not_computed: score name -> why it was not computed.
    """

    name: str
    split: str
    names: tuple[str, ...]
    targets: IntArray
    classes: tuple[str, ...]
    ranked: IntArray
    nodes: tuple[str, ...]
    heights: IntArray
    node_scores: FloatArray
    node_auc: FloatArray
    top1_error: float
    top5_error: float | None
    mean_per_class_accuracy: float
    auc_by_height: dict[int, float]
    options: Mapping[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    capped: tuple[Capped, ...] = ()
    not_computed: Mapping[str, str] = field(default_factory=dict)

    def nodes_by_height(self) -> dict[int, int]:
        """Height -> how many nodes there have an AUC."""
        scored = self.heights[~np.isnan(self.node_auc)]
        return {int(h): int((scored == h).sum()) for h in np.unique(scored)}

    def to_dict(self) -> dict[str, Any]:
        """The scores as JSON-ready values (per node: wnid -> AUC, skipped nodes left out)."""
        return {
            "baseline": self.name,
            "split": self.split,
            "images": len(self.names),
            "classes": len(self.classes),
            "top1_error": self.top1_error,
            "top5_error": self.top5_error,
            "mean_per_class_accuracy": _number(self.mean_per_class_accuracy),
            "auc_by_height": self.auc_by_height,
            "nodes_by_height": self.nodes_by_height(),
            "node_auc": {
                w: float(a)
                for w, a in zip(self.nodes, self.node_auc, strict=True)
                if not math.isnan(a)
            },
            "options": dict(self.options),
            "capped": [c.to_dict() for c in self.capped],
            "not_computed": dict(self.not_computed),
            "seconds": round(self.seconds, 3),
        }


def _number(value: float) -> float | None:
    """JSON has no NaN."""
    return None if math.isnan(value) else value


def score_nodes(
    name: str,
    query: SplitImages,
    table: NodeTable,
    node_scores: FloatArray,
    ranked: IntArray | None = None,
    *,
    options: Mapping[str, Any] | None = None,
    seconds: float = 0.0,
    capped: Sequence[Capped] = (),
) -> BaselineResult:
    """Score a baseline's node scores and class ranking.

    ``ranked`` defaults to the classes' node scores, which is right only when
    no class lies below another (a node's score covers its whole subtree).
    ``capped`` lists the options the data limited (the baseline logs each).
    """
    if ranked is None:
        ranked = rank_scores(node_scores[:, table.class_nodes])
    report = classification_report(ranked, query.targets, len(table.classes))
    aucs = node_aucs(node_scores, table.labels(query.targets))
    return BaselineResult(
        name=name,
        split=query.split,
        names=query.names,
        targets=query.targets,
        classes=table.classes,
        ranked=ranked,
        nodes=table.nodes,
        heights=table.heights,
        node_scores=node_scores,
        node_auc=aucs,
        top1_error=report.top1_error,
        top5_error=report.top5_error,
        mean_per_class_accuracy=report.mean_per_class_accuracy,
        auc_by_height=auc_by_height(aucs, table.heights),
        options=dict(options or {}),
        seconds=seconds,
        capped=tuple(capped),
        not_computed=dict(report.not_computed),
    )


def write_predictions(
    result: BaselineResult, path: Path, *, top: int = 5, fmt: str = "csv"
) -> Path:
    """The ``top`` guesses per image as a file ``synsetdb eval`` reads.

    ``fmt``: ``csv`` (name, then wnids) or ``ilsvrc`` (the devkit's
    submission: 1-based class ids, the images in name order).

    Raises:
        EvaluationError: ``E_OPTIONS`` for ``top`` below 1 or an unknown
            format; ``E_WRITE`` when ``path`` cannot be written (an earlier
            file there is left whole).
    """
    text = format_predictions(result.names, result.ranked, result.classes, fmt, top=top)
    return write_atomically(path, lambda out: out.write(text.encode("utf-8")))
