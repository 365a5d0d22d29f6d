"""The bundled face detectors: scikit-image's LBP cascade and OpenCV 4's Haar cascade.

Both satisfy ``faces.FaceDetector``; ``synsetdb.release.faces`` re-exports them.
Their packages are imported when a detector first runs (extras ``faces`` and
``cv``); a missing one is ``E_MISSING_EXTRA`` naming the extra.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from ..errors import ReleaseError
from ..ingest.renditions import to_rgb

__all__ = ["LbpFaceDetector", "OpenCvHaarDetector"]

Box = tuple[int, int, int, int]
_EXTRA_HINT = "pip install 'synsetdb[{extra}]'"


@dataclass(frozen=True, slots=True)
class LbpFaceDetector:
    """scikit-image's bundled multi-block LBP frontal-face cascade.

    The defaults find the one face among scikit-image's sample photographs
    (the astronaut, at every size tried from 35% to 100%) and nothing in the
    other twelve; with ``min_size`` 24 the cascade also "finds" faces in a
    coffee cup, a clock, the moon and a reflection in the astronaut's helmet.

    Attributes:
        scale_factor: how much the search window grows per scale.
        step_ratio: the sliding step relative to the window (1 = every
            position; 1.2 is about three times faster with the same hits here).
        min_size: the smallest face searched for, pixels (at working size).
        min_neighbours: overlapping detections needed to accept a face.
        intersection: overlap ratio above which detections are merged.
        max_side: images whose longer side exceeds this are searched at this
            size (faces then need ``min_size`` pixels at that size), so a
            40-megapixel photo costs about what a 1-megapixel one does.
    """

    scale_factor: float = 1.2
    step_ratio: float = 1.2
    min_size: int = 32
    min_neighbours: int = 4
    intersection: float = 0.5
    max_side: int = 1024

    @property
    def name(self) -> str:
        return "skimage-lbp-frontal"

    def detect(self, image: Image.Image) -> list[tuple[int, int, int, int]]:
        """Boxes of the upright frontal faces in ``image``."""
        cascade = _lbp_cascade()
        grey, scale = _working_grey(image, self.max_side)
        height, width = grey.shape
        if min(height, width) < self.min_size:
            return []
        found = cascade.detect_multi_scale(
            img=grey.astype(np.float64) / 255.0,
            scale_factor=self.scale_factor,
            step_ratio=self.step_ratio,
            min_size=(self.min_size, self.min_size),
            max_size=(min(height, width), min(height, width)),
            min_neighbor_number=self.min_neighbours,
            intersection_score_threshold=self.intersection,
        )
        return [
            _scaled_box(d["c"], d["r"], d["c"] + d["width"], d["r"] + d["height"], scale)
            for d in found
        ]


@dataclass(frozen=True, slots=True)
class OpenCvHaarDetector:
    """OpenCV 4's bundled Haar frontal-face cascade (``haarcascade_frontalface_default``).

    Attributes:
        scale_factor: how much the image shrinks per scale.
        min_neighbours: overlapping detections needed to accept a face.
        min_size: the smallest face searched for, pixels (at working size).
        max_side: images whose longer side exceeds this are searched at this size.
    """

    scale_factor: float = 1.1
    min_neighbours: int = 5
    min_size: int = 32
    max_side: int = 1024

    @property
    def name(self) -> str:
        return "opencv-haar-frontal"

    def detect(self, image: Image.Image) -> list[tuple[int, int, int, int]]:
        """Boxes of the upright frontal faces in ``image``."""
        classifier = _haar_cascade()
        grey, scale = _working_grey(image, self.max_side)
        found = classifier.detectMultiScale(
            grey,
            scaleFactor=self.scale_factor,
            minNeighbors=self.min_neighbours,
            minSize=(self.min_size, self.min_size),
        )
        return [_scaled_box(x, y, x + w, y + h, scale) for x, y, w, h in np.asarray(found)]


def _missing_extra(what: str, extra: str, error: Exception | None = None) -> ReleaseError:
    hint = _EXTRA_HINT.format(extra=extra)
    detail = f" ({error})" if error is not None else ""
    return ReleaseError(f"{what}: {hint}{detail}", code="E_MISSING_EXTRA")


def _lbp_cascade() -> Any:
    try:  # imported on every call, so a removed package is noticed; cheap once imported
        import skimage.data
        import skimage.feature
    except ImportError as e:
        raise _missing_extra("face detection needs scikit-image", "faces", e) from e
    return _load_lbp(skimage.data.lbp_frontal_face_cascade_filename())  # type: ignore[no-untyped-call]


@functools.cache
def _load_lbp(path: str) -> Any:
    import skimage.feature

    return skimage.feature.Cascade(path)


def _haar_cascade() -> Any:
    try:
        import cv2  # type: ignore[import-not-found,unused-ignore]
    except ImportError as e:
        raise _missing_extra("the Haar face detector needs OpenCV 4", "cv", e) from e
    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    if folder is None:  # OpenCV 5 wheels ship no cascade files
        raise _missing_extra(
            f"OpenCV {cv2.__version__} ships no Haar cascades; the detector needs OpenCV 4", "cv"
        )
    return _load_haar(str(folder) + "haarcascade_frontalface_default.xml")


@functools.cache
def _load_haar(path: str) -> Any:
    import cv2  # type: ignore[import-not-found,unused-ignore]

    classifier = cv2.CascadeClassifier(path)
    if classifier.empty():
        raise ReleaseError(f"OpenCV could not load {path}", code="E_MISSING_EXTRA")
    return classifier


def _working_grey(image: Image.Image, max_side: int) -> tuple[np.ndarray[Any, Any], float]:
    """``image`` as 8-bit grey, shrunk so its longer side is at most ``max_side``.

    Returns the pixels and the factor from working size back to ``image``'s size.
    """
    grey = to_rgb(image).convert("L")
    longest = max(grey.size)
    if longest <= max_side:
        return np.asarray(grey), 1.0
    scale = longest / max_side
    size = (max(1, round(grey.width / scale)), max(1, round(grey.height / scale)))
    return np.asarray(grey.resize(size, Image.Resampling.BOX)), scale


def _scaled_box(x0: Any, y0: Any, x1: Any, y1: Any, scale: float) -> Box:
    return (round(x0 * scale), round(y0 * scale), round(x1 * scale), round(y1 * scale))
