"""Top-k error, confusion matrix, per-class and ReaL accuracy: hand-computed and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion
from sklearn.metrics import top_k_accuracy_score

from synsetdb.errors import EvaluationError
from synsetdb.evaluate import (
    classification_report,
    confusion_matrix,
    per_class_accuracy,
    rank_scores,
    real_accuracy,
    topk_error,
)


def test_hand_computed_case() -> None:
    # four images, three classes; guesses best first
    ranked = np.array([[0, 1, 2], [2, 1, 0], [1, 0, 2], [1, 2, 0]])
    targets = np.array([0, 1, 0, 0])
    assert topk_error(ranked, targets, 1) == pytest.approx(3 / 4)
    assert topk_error(ranked, targets, 2) == pytest.approx(1 / 4)  # only image 3 misses
    assert topk_error(ranked, targets, 3) == 0.0
    report = classification_report(ranked, targets, 3)
    assert report.images == 4 and report.top1_error == pytest.approx(0.75)
    # three guesses cannot make a top-5 error: not computed, with the reason, never a number
    assert report.top5_error is None
    assert report.not_computed == {"top5_error": "only 3 classes: top-5 needs 5"}
    assert report.per_class_accuracy[0] == pytest.approx(1 / 3)
    assert report.per_class_accuracy[1] == 0.0 and np.isnan(report.per_class_accuracy[2])
    assert report.mean_per_class_accuracy == pytest.approx(1 / 6)
    assert confusion_matrix(targets, ranked, 3).tolist() == [[1, 2, 0], [0, 0, 1], [0, 0, 0]]


@pytest.mark.parametrize("k", [1, 2, 5, 10])
def test_top_k_agrees_with_scikit_learn(k: int) -> None:
    rng = np.random.default_rng(k)
    scores = rng.random((2000, 20))
    targets = rng.integers(0, 20, 2000)
    ours = 1.0 - topk_error(rank_scores(scores, k), targets, k)
    assert ours == pytest.approx(top_k_accuracy_score(targets, scores, k=k, labels=range(20)))


def test_confusion_and_per_class_agree_with_scikit_learn() -> None:
    rng = np.random.default_rng(7)
    targets, top1 = rng.integers(0, 8, 500), rng.integers(0, 8, 500)
    expected = sk_confusion(targets, top1, labels=range(8))
    assert (confusion_matrix(targets, top1, 8) == expected).all()
    assert per_class_accuracy(targets, top1, 8) == pytest.approx(
        np.diag(expected) / expected.sum(axis=1)
    )


def test_top5_is_not_computed_when_rows_have_fewer_than_five_different_guesses() -> None:
    ranked = rank_scores(np.random.default_rng(3).random((4, 10)), 5)
    targets = np.array([0, 1, 2, 3])
    assert classification_report(ranked, targets, 10).top5_error is not None
    three = ranked[:, :3]
    report = classification_report(three, targets, 10)
    assert report.top5_error is None and report.top1_error == topk_error(three, targets, 1)
    assert report.not_computed == {"top5_error": "every row has at most 3 different guesses"}
    # a short row padded with its last guess (as read from a file) is still short
    padded = ranked.copy()
    padded[1, 3:] = padded[1, 2]
    report = classification_report(padded, targets, 10)
    assert report.top5_error is None
    assert report.not_computed == {
        "top5_error": "1 of 4 rows have fewer than 5 different guesses (the fewest: 3)"
    }
    with pytest.raises(EvaluationError) as e:  # the plain function refuses too
        topk_error(three, targets, 5)
    assert e.value.code == "E_PREDICTIONS" and "3 guesses" in str(e.value)


def test_ranking_is_deterministic_on_ties() -> None:
    assert rank_scores([[0.5, 0.9, 0.9, 0.1]], 3).tolist() == [[1, 2, 0]]


def test_real_accuracy_skips_images_without_labels() -> None:
    predicted = np.array([3, 1, 2, 0])
    labels = [[3, 4], [], [1], [0]]
    assert real_accuracy(predicted, labels) == (pytest.approx(2 / 3), 3)
    assert real_accuracy(predicted[:, None], labels) == (pytest.approx(2 / 3), 3)


@pytest.mark.parametrize(
    ("predicted", "labels"),
    [
        (np.array([3, 1]), [[], []]),  # no image has a label
        (np.array([3, 1]), [[1]]),  # counts differ
        (np.array(3), [[3]]),  # not one guess per image
        (np.zeros((1, 0), dtype=int), [[0]]),  # no guess at all
        (np.array([0.5]), [[0]]),  # not a class index
    ],
)
def test_real_accuracy_refuses_what_it_cannot_score(
    predicted: np.ndarray, labels: list[list[int]]
) -> None:
    with pytest.raises(EvaluationError) as e:
        real_accuracy(predicted, labels)
    assert e.value.code == "E_PREDICTIONS"


@pytest.mark.parametrize(
    ("ranked", "targets"),
    [
        (np.zeros((3, 5), dtype=int), np.zeros(4, dtype=int)),  # lengths differ
        (np.zeros((0, 5), dtype=int), np.zeros(0, dtype=int)),  # nothing to score
        (np.zeros((2, 5)), np.zeros(2, dtype=int)),  # float indices
        (np.zeros((2, 0), dtype=int), np.zeros(2, dtype=int)),  # no guesses
        (np.zeros((2, 5), dtype=int), np.zeros(2)),  # float targets
    ],
)
def test_bad_predictions_are_refused(ranked: np.ndarray, targets: np.ndarray) -> None:
    with pytest.raises(EvaluationError) as e:
        topk_error(ranked, targets, 5)
    assert e.value.code == "E_PREDICTIONS"
    with pytest.raises(EvaluationError) as e:
        classification_report(ranked, targets, 3)
    assert e.value.code == "E_PREDICTIONS"


def test_ranking_needs_a_k_of_one_or_more() -> None:
    with pytest.raises(EvaluationError) as e:
        rank_scores([[0.1, 0.2]], 0)
    assert e.value.code == "E_PREDICTIONS"


def test_indices_outside_the_classes_are_refused() -> None:
    with pytest.raises(EvaluationError) as e:
        confusion_matrix(np.array([0, 1]), np.array([0, 3]), 3)
    assert e.value.code == "E_PREDICTIONS"
