"""ILSVRC's localisation error: the right class with a box that overlaps the truth enough.

ILSVRC-2012 task 2: each image gets up to five guesses, each a class and a
box. A guess is right when its class is one of the image's object classes and
its box has intersection-over-union >= 0.5 with some ground-truth box of that
class. The image counts as localised when any of its guesses is right.
Boxes are ``(x0, y0, x1, y1)`` in pixels, corners inclusive as in the devkit
(a box from 0 to 9 is 10 pixels wide).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import EvaluationError

__all__ = ["Guess", "Truth", "box_iou", "localisation_error"]

FloatArray = NDArray[np.float64]
Box = tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class Guess:
    """One guess for one image: a class index and a box."""

    label: int
    box: Box


@dataclass(frozen=True, slots=True)
class Truth:
    """One ground-truth object: its class index and box."""

    label: int
    box: Box


def box_iou(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """Intersection over union of every box in ``a`` with every box in ``b`` (pixel-inclusive).

    Returns an ``(len(a), len(b))`` array.
    """
    boxes_a = _boxes(a)
    boxes_b = _boxes(b)
    x0 = np.maximum(boxes_a[:, None, 0], boxes_b[None, :, 0])
    y0 = np.maximum(boxes_a[:, None, 1], boxes_b[None, :, 1])
    x1 = np.minimum(boxes_a[:, None, 2], boxes_b[None, :, 2])
    y1 = np.minimum(boxes_a[:, None, 3], boxes_b[None, :, 3])
    inter = np.clip(x1 - x0 + 1, 0, None) * np.clip(y1 - y0 + 1, 0, None)
    union = _area(boxes_a)[:, None] + _area(boxes_b)[None, :] - inter
    result: FloatArray = inter / union
    return result


def _boxes(raw: ArrayLike) -> FloatArray:
    boxes = np.asarray(raw, dtype=np.float64).reshape(-1, 4)
    if ((boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])).any():
        raise EvaluationError("a box needs x0 <= x1 and y0 <= y1", code="E_BOX")
    return boxes


def _area(boxes: FloatArray) -> FloatArray:
    area: FloatArray = (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1)
    return area


def _localised(guesses: Sequence[Guess], truths: Sequence[Truth], threshold: float) -> bool:
    for guess in guesses:
        same_class = [t.box for t in truths if t.label == guess.label]
        if same_class and (box_iou([guess.box], same_class) >= threshold).any():
            return True
    return False


def localisation_error(
    guesses: Sequence[Sequence[Guess]],
    truths: Sequence[Sequence[Truth]],
    *,
    max_guesses: int = 5,
    threshold: float = 0.5,
) -> float:
    """The share of images none of whose first ``max_guesses`` guesses is right.

    Raises:
        EvaluationError: ``E_PREDICTIONS`` when the two lists differ in length
            or are empty, or an image has no ground-truth object.
    """
    if len(guesses) != len(truths) or not truths:
        raise EvaluationError(
            f"{len(guesses)} guess lists for {len(truths)} images", code="E_PREDICTIONS"
        )
    missing = [i for i, objects in enumerate(truths) if not objects]
    if missing:
        raise EvaluationError(
            f"{len(missing)} image(s) have no ground-truth box, e.g. #{missing[0]}",
            code="E_PREDICTIONS",
        )
    localised = sum(
        _localised(g[:max_guesses], t, threshold) for g, t in zip(guesses, truths, strict=True)
    )
    return 1.0 - localised / len(truths)
