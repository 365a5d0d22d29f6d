"""ILSVRC localisation error and box IoU, against hand-computed answers."""

from __future__ import annotations

import pytest

from synsetdb.errors import EvaluationError
from synsetdb.evaluate import Guess, Truth, box_iou, localisation_error


def test_iou_is_pixel_inclusive() -> None:
    # 10x10 boxes overlapping in a 5x10 strip: 50 / (100 + 100 - 50)
    assert box_iou([(0, 0, 9, 9)], [(5, 0, 14, 9)])[0, 0] == pytest.approx(50 / 150)
    assert box_iou([(0, 0, 9, 9)], [(0, 0, 9, 9)])[0, 0] == 1.0
    assert box_iou([(0, 0, 9, 9)], [(20, 20, 29, 29)])[0, 0] == 0.0


def test_an_image_is_localised_by_the_right_class_with_enough_overlap() -> None:
    truths = [
        [Truth(1, (0, 0, 99, 99))],
        [Truth(1, (0, 0, 99, 99)), Truth(2, (200, 200, 299, 299))],
        [Truth(3, (0, 0, 99, 99))],
    ]
    guesses = [
        [Guess(0, (0, 0, 99, 99)), Guess(1, (10, 10, 109, 109))],  # 2nd: IoU 0.68, right class
        [Guess(2, (0, 0, 99, 99))],  # right class, but over the other object's box
        [Guess(3, (50, 0, 149, 99))],  # IoU 50*100 / 15000 = 0.33
    ]
    assert localisation_error(guesses, truths) == pytest.approx(2 / 3)
    assert localisation_error(guesses, truths, threshold=0.3) == pytest.approx(1 / 3)
    assert localisation_error(guesses, truths, max_guesses=1) == 1.0


def test_an_overlap_of_exactly_one_half_counts() -> None:
    """The devkit's rule is IoU >= 0.5: 100x50 inside 100x100 is exactly 0.5."""
    truth, half = [[Truth(0, (0, 0, 99, 99))]], [[Guess(0, (0, 0, 99, 49))]]
    assert box_iou([half[0][0].box], [truth[0][0].box])[0, 0] == 0.5
    assert localisation_error(half, truth) == 0.0
    just_under = [[Guess(0, (0, 0, 99, 48))]]  # 4,900 / 10,000
    assert localisation_error(just_under, truth) == 1.0


def test_bad_input_is_refused() -> None:
    with pytest.raises(EvaluationError) as e:
        localisation_error([[]], [[], []])
    assert e.value.code == "E_PREDICTIONS"
    with pytest.raises(EvaluationError) as e:
        localisation_error([[]], [[]])
    assert e.value.code == "E_PREDICTIONS"
    with pytest.raises(EvaluationError) as e:
        box_iou([(10, 0, 5, 9)], [(0, 0, 9, 9)])
    assert e.value.code == "E_BOX"
