"""Every score of one set of predictions at once: what ``synsetdb eval`` and the demo report."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from numpy.typing import ArrayLike

from ..hierarchy import Taxonomy
from .hierarchical import HierarchicalReport, HierarchyScorer
from .metrics import ClassificationReport, classification_report
from .predictions import read_predictions

if TYPE_CHECKING:
    from ..release import Manifest

__all__ = ["Evaluation", "evaluate_file", "evaluate_ranked"]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """ILSVRC's scores and the hierarchical ones, for classes ``wnids`` (index order)."""

    wnids: tuple[str, ...]
    classification: ClassificationReport
    hierarchy: HierarchicalReport

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; a score that does not exist (NaN) is null."""
        scores, tree = self.classification, self.hierarchy
        return {
            "images": scores.images,
            "top1_error": scores.top1_error,
            "top5_error": scores.top5_error,
            "mean_per_class_accuracy": scores.mean_per_class_accuracy,
            "per_class_accuracy": {
                wnid: _number(accuracy)
                for wnid, accuracy in zip(self.wnids, scores.per_class_accuracy, strict=True)
            },
            "mistake_severity": _number(tree.mistake_severity),
            "top1_errors": tree.errors,
            "hierarchical_distance": tree.hierarchical_distance,
            "level_accuracy": tree.level_accuracy,
        }


def evaluate_ranked(
    ranked: ArrayLike, targets: ArrayLike, taxonomy: Taxonomy, wnids: Sequence[str]
) -> Evaluation:
    """Score ranked class indices against targets; classes are ``wnids`` in ``taxonomy``.

    Raises:
        EvaluationError: ``E_PREDICTIONS`` for arrays of the wrong shape or
            indices outside the classes.
    """
    scorer = HierarchyScorer(taxonomy, wnids)
    hierarchy = scorer.report(ranked, targets)  # checks the indices against the classes
    return Evaluation(tuple(wnids), classification_report(ranked, targets, len(wnids)), hierarchy)


def evaluate_file(
    path: Path, manifest: Manifest, split: str = "val", fmt: str = "csv"
) -> Evaluation:
    """Score a prediction file (see :mod:`.predictions`) against a release's ``split``.

    What ``synsetdb eval`` does: the split's images in name order, their
    classes the targets, over the release's induced hierarchy.

    Raises:
        ReleaseError: ``E_NO_SPLIT`` for a split the release lacks.
        EvaluationError: ``E_PREDICTIONS`` for a file that cannot be scored.
    """
    items = sorted(manifest.items_in(split), key=lambda item: item.name)
    ranked = read_predictions(path, [item.name for item in items], manifest.class_to_idx, fmt)
    targets = [manifest.class_to_idx[item.wnid] for item in items]
    return evaluate_ranked(ranked, targets, manifest.taxonomy(), manifest.wnids)


def _number(value: float) -> float | None:
    """JSON has no NaN: a class without images, or a run without errors, scores null."""
    return None if math.isnan(value) else value
