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
from .summary import Evaluation, evaluate_file, evaluate_ranked

__all__ = [
    "ClassificationReport",
    "Evaluation",
    "Guess",
    "HierarchicalReport",
    "HierarchyScorer",
    "Truth",
    "box_iou",
    "classification_report",
    "confusion_matrix",
    "evaluate_file",
    "evaluate_ranked",
    "localisation_error",
    "per_class_accuracy",
    "rank_scores",
    "real_accuracy",
    "topk_correct",
    "topk_error",
]
