"""Evaluation: ILSVRC's top-k and localisation scores, ReaL accuracy, hierarchical scores."""

from .hierarchical import HierarchicalReport, HierarchyScorer
from .localisation import Guess, Truth, box_iou, localisation_error
from .metrics import (
    ClassificationReport,
    classification_report,
    confusion_matrix,
    per_class_accuracy,
    rank_scores,
    real_accuracy,
    topk_correct,
    topk_error,
)

__all__ = [
    "ClassificationReport",
    "Guess",
    "HierarchicalReport",
    "HierarchyScorer",
    "Truth",
    "box_iou",
    "classification_report",
    "confusion_matrix",
    "localisation_error",
    "per_class_accuracy",
    "rank_scores",
    "real_accuracy",
    "topk_correct",
    "topk_error",
]
