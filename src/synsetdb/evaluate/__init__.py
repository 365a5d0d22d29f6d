"""Evaluation: ILSVRC's top-k and localisation scores, ReaL accuracy, hierarchical scores."""

from .hierarchical import HierarchicalReport, HierarchyScorer
from .localisation import Guess, Truth, box_iou, localisation_error
from .metrics import (
    ClassificationReport,
    classification_report,
    confusion_matrix,
    different_guesses,
    per_class_accuracy,
    rank_scores,
    real_accuracy,
    topk_correct,
    topk_error,
    why_not_topk,
)
from .summary import ClassScore, Evaluation, evaluate_file, evaluate_ranked, per_class_csv

__all__ = [
    "ClassScore",
    "ClassificationReport",
    "Evaluation",
    "Guess",
    "HierarchicalReport",
    "HierarchyScorer",
    "Truth",
    "box_iou",
    "classification_report",
    "confusion_matrix",
    "different_guesses",
    "evaluate_file",
    "evaluate_ranked",
    "localisation_error",
    "per_class_accuracy",
    "per_class_csv",
    "rank_scores",
    "real_accuracy",
    "topk_correct",
    "topk_error",
    "why_not_topk",
]
