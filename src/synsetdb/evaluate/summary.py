"""Every score of one set of predictions at once: what ``synsetdb eval`` and the demo report."""

from __future__ import annotations

import csv
import io
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

__all__ = ["ClassScore", "Evaluation", "evaluate_file", "evaluate_ranked", "per_class_csv"]


@dataclass(frozen=True, slots=True)
class ClassScore:
    """One class's scores: its images in the split and their top-1 and top-5 error.

    An error is None for a class without images, and top-5 also where the
    predictions cannot give it (see ``Evaluation.not_computed``).
    """

    wnid: str
    name: str
    images: int
    top1_error: float | None
    top5_error: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "wnid": self.wnid,
            "name": self.name,
            "images": self.images,
            "top1_error": self.top1_error,
            "top5_error": self.top5_error,
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    """ILSVRC's scores and the hierarchical ones, for classes ``wnids`` (index order).

    ``names`` are the classes' readable names, in the same order.
    """

    wnids: tuple[str, ...]
    classification: ClassificationReport
    hierarchy: HierarchicalReport
    names: tuple[str, ...] = ()

    @property
    def not_computed(self) -> dict[str, str]:
        """Score name (``top5_error``, ``hierarchical_distance@5``) -> why it is not computed."""
        return {**self.classification.not_computed, **self.hierarchy.not_computed}

    def per_class(self) -> list[ClassScore]:
        """Every class's scores, worst first: by top-1 error, then top-5, then wnid.

        Classes without images in the split come last.
        """
        scores = self.classification
        top5 = scores.per_class_top5_error or (math.nan,) * len(self.wnids)
        names = self.names or self.wnids
        rows = [
            ClassScore(wnid, name, images, _number(1.0 - accuracy), _number(five))
            for wnid, name, images, accuracy, five in zip(
                self.wnids,
                names,
                scores.per_class_images,
                scores.per_class_accuracy,
                top5,
                strict=True,
            )
        ]
        return sorted(rows, key=_worst_first)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types; a score that does not exist (NaN) or cannot be computed is null."""
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
            "per_class": [row.to_dict() for row in self.per_class()],
            "mistake_severity": _number(tree.mistake_severity),
            "top1_errors": tree.errors,
            "hierarchical_distance": _distances(tree),
            "level_accuracy": tree.level_accuracy,
            "not_computed": self.not_computed,
        }


def _worst_first(row: ClassScore) -> tuple[bool, float, float, str]:
    return (
        row.top1_error is None,
        -(row.top1_error or 0.0),
        -(row.top5_error or 0.0),
        row.wnid,
    )


def _distances(tree: HierarchicalReport) -> dict[int, float | None]:
    """k -> distance@k, null for each k left out (its reason is in ``not_computed``)."""
    prefix = "hierarchical_distance@"
    left_out = {int(key[len(prefix) :]) for key in tree.not_computed if key.startswith(prefix)}
    distances: dict[int, float | None] = dict.fromkeys(left_out)
    distances.update(tree.hierarchical_distance)
    return dict(sorted(distances.items()))


def per_class_csv(evaluation: Evaluation) -> str:
    """Every class's scores, worst first, as CSV: wnid, name, images, top1_error, top5_error.

    An error that does not exist or cannot be computed is an empty field.
    """
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["wnid", "name", "images", "top1_error", "top5_error"])
    for row in evaluation.per_class():
        writer.writerow(
            [row.wnid, row.name, row.images, _field(row.top1_error), _field(row.top5_error)]
        )
    return text.getvalue()


def _field(value: float | None) -> str:
    return "" if value is None else repr(value)


def evaluate_ranked(
    ranked: ArrayLike,
    targets: ArrayLike,
    taxonomy: Taxonomy,
    wnids: Sequence[str],
    names: Sequence[str] | None = None,
) -> Evaluation:
    """Score ranked class indices against targets; classes are ``wnids`` in ``taxonomy``.

    ``names`` are the classes' readable names (default: each synset's first lemma).

    Raises:
        EvaluationError: ``E_PREDICTIONS`` for arrays of the wrong shape or
            indices outside the classes.
    """
    scorer = HierarchyScorer(taxonomy, wnids)
    hierarchy = scorer.report(ranked, targets)  # checks the indices against the classes
    return Evaluation(
        tuple(wnids),
        classification_report(ranked, targets, len(wnids)),
        hierarchy,
        tuple(names) if names is not None else tuple(taxonomy.get(w).name for w in wnids),
    )


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
    names = [c.name for c in manifest.classes]
    return evaluate_ranked(ranked, targets, manifest.taxonomy(), manifest.wnids, names)


def _number(value: float) -> float | None:
    """JSON has no NaN: a class without images, or a run without errors, scores null."""
    return None if math.isnan(value) else value
