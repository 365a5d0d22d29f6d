"""Face obfuscation for releases, following the ImageNet face-obfuscation study.

Yang et al., "A Study of Face Obfuscation in ImageNet" (ICML 2022), blur every
face before an image is released: each face box is enlarged by 10% of its
longer side on every side, the image is Gaussian-blurred with a radius of 10%
of the largest face's longer side (as detected, before enlarging, as the
study's own code does), and the blurred copy is composited onto the
original through a mask that is 1 over the boxes and fades at their edges, so
no hard seam marks the blurred region. :func:`blur_faces` does exactly that;
which faces are found is up to a :class:`FaceDetector`:

- :class:`LbpFaceDetector` (the default): scikit-image's bundled multi-block
  LBP frontal-face cascade (the ``faces`` extra).
- :class:`OpenCvHaarDetector`: OpenCV 4's bundled Haar frontal-face cascade
  (the ``cv`` extra; OpenCV 5 wheels no longer ship cascades).
- anything with a ``name`` and a ``detect(image) -> boxes`` method.

Both bundled cascades find upright frontal faces only; profiles, tilted and
small faces are missed (see ``docs/datasheet.md``).

Example:
    >>> result = blur_faces(jpeg_bytes)          # doctest: +SKIP
    >>> None if result is None else (result.format, result.boxes)  # doctest: +SKIP
    ('JPEG', ((160, 52, 270, 162),))
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from PIL import Image, ImageChops, ImageDraw, ImageFilter, JpegImagePlugin

from ..errors import ReleaseError
from ..ingest.renditions import to_rgb
from ..ingest.validate import ValidationConfig
from ._detectors import LbpFaceDetector, OpenCvHaarDetector

__all__ = [
    "BLUR",
    "EXPAND",
    "JPEG_QUALITY",
    "METHOD",
    "Box",
    "FaceBlur",
    "FaceDetector",
    "LbpFaceDetector",
    "OpenCvHaarDetector",
    "blur_faces",
    "default_detector",
]

Box = tuple[int, int, int, int]

# The study's parameters: boxes grow by this fraction of their longer side on
# every side, and the blur radius (Gaussian sigma) is this fraction of the
# largest face's longer side (before growing).
EXPAND = 0.1
BLUR = 0.1
JPEG_QUALITY = 95
# Raised whenever blur_faces gives other bytes for the same input and constants,
# so that cached results of an earlier method are not reused.
METHOD = 2
# Formats decoded (what ingest accepts); the output keeps JPEG, PNG and WebP,
# and writes the others (GIF, TIFF, BMP: first frame) as lossless PNG.
_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "TIFF", "BMP")
_KEPT_MODES = {"JPEG": ("L", "RGB", "CMYK"), "PNG": ("L", "LA", "RGB", "RGBA")}
_ORIENTATION = 0x0112  # the EXIF tag


@dataclass(frozen=True, slots=True)
class FaceBlur:
    """A face-blurred copy of an image.

    Attributes:
        data: the encoded bytes of the blurred copy.
        format: its format as Pillow names it (``JPEG``, ``PNG``, ``WEBP``).
        boxes: the enlarged face boxes that were blurred, pixels (x0, y0, x1, y1),
            in the stored pixel grid (before EXIF orientation, as every box of
            a release), sorted.
    """

    data: bytes
    format: str
    boxes: tuple[Box, ...]


@runtime_checkable
class FaceDetector(Protocol):
    """Finds faces in an upright image.

    Implementations set ``name`` (recorded with a release, e.g.
    ``"skimage-lbp-frontal"``) and return boxes in pixels of the image given,
    (x0, y0, x1, y1) with x1 and y1 exclusive; an empty list when there is no
    face. They must be deterministic: the same image gives the same boxes.
    """

    @property
    def name(self) -> str: ...

    def detect(self, image: Image.Image) -> list[tuple[int, int, int, int]]: ...


def default_detector() -> FaceDetector:
    """The detector :func:`blur_faces` uses when none is given."""
    return LbpFaceDetector()


# ----------------------------------------------------------------- blurring


def blur_faces(data: bytes, detector: FaceDetector | None = None) -> FaceBlur | None:
    """Blur every face ``detector`` finds in an encoded image.

    Faces are searched for in display orientation (EXIF applied); the copy
    keeps the original's pixel grid, its orientation tag and ICC profile (other
    EXIF, such as GPS, is dropped), and its format: JPEG at quality
    :data:`JPEG_QUALITY` with the original's chroma subsampling, PNG lossless,
    WebP at the same quality; GIF, TIFF and BMP become PNG. Pixels outside the
    enlarged boxes are left exactly as decoded.

    Args:
        data: the original bytes.
        detector: the face detector; :func:`default_detector` when None.

    Returns:
        The blurred copy, or None when no face is found.

    Raises:
        ReleaseError: ``E_DECODE`` for bytes that are not a readable image,
            ``E_BOMB`` for one over ingest's pixel limit, ``E_DETECTOR`` when
            the detector returns something that is not a list of boxes,
            ``E_MISSING_EXTRA`` when the detector's package is not installed.
    """
    detector = detector or default_detector()
    image = _decode(data)
    upright, orientation = _upright(image)
    faces = _expanded(_checked_boxes(detector, upright), upright.size)
    if not faces:
        return None
    blurred = _transposed_back(_obfuscate(_workable(upright), faces), orientation)
    stored = tuple(sorted({_box_to_stored(f.box, upright.size, orientation) for f in faces}))
    fmt, encoded = _encode(blurred, image, orientation)
    return FaceBlur(encoded, fmt, stored)


def _decode(data: bytes) -> Image.Image:
    """Fully decode the first frame, within ingest's pixel limit."""
    if not data:
        raise ReleaseError("no bytes to decode", code="E_DECODE")
    limit = ValidationConfig().max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        warnings.simplefilter("ignore", UserWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=_FORMATS)
            if image.width * image.height > limit:
                raise ReleaseError(
                    f"{image.width}x{image.height} is over {limit:,} pixels", code="E_BOMB"
                )
            image.load()
        except ReleaseError:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
            raise ReleaseError(f"Pillow's bomb guard: {e}", code="E_BOMB") from e
        except MemoryError:
            raise
        except Exception as e:  # any decoder failure is a property of the input
            raise ReleaseError(
                f"cannot decode image: {type(e).__name__}: {e}", code="E_DECODE"
            ) from e
    return image


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(_ORIENTATION, 1)
    except Exception:  # malformed EXIF: the image is taken as stored, as ingest does
        return 1
    return value if value in range(1, 9) else 1


# What turns a stored image upright for each EXIF orientation (as
# ImageOps.exif_transpose does), and what turns it back.
_T = Image.Transpose
_UPRIGHT = {
    2: _T.FLIP_LEFT_RIGHT,
    3: _T.ROTATE_180,
    4: _T.FLIP_TOP_BOTTOM,
    5: _T.TRANSPOSE,
    6: _T.ROTATE_270,
    7: _T.TRANSVERSE,
    8: _T.ROTATE_90,
}
_BACK = {**_UPRIGHT, 6: _T.ROTATE_90, 8: _T.ROTATE_270}


def _upright(image: Image.Image) -> tuple[Image.Image, int]:
    orientation = _orientation(image)
    if orientation == 1:
        return image, 1
    return image.transpose(_UPRIGHT[orientation]), orientation


def _transposed_back(image: Image.Image, orientation: int) -> Image.Image:
    return image if orientation == 1 else image.transpose(_BACK[orientation])


def _box_to_stored(box: Box, size: tuple[int, int], orientation: int) -> Box:
    """Map a box from the upright image (of ``size``) back to the stored pixel grid."""
    x0, y0, x1, y1 = box
    w, h = size
    corners = {
        1: (x0, y0, x1, y1),
        2: (w - x1, y0, w - x0, y1),
        3: (w - x1, h - y1, w - x0, h - y0),
        4: (x0, h - y1, x1, h - y0),
        5: (y0, x0, y1, x1),
        6: (y0, w - x1, y1, w - x0),
        7: (h - y1, w - x1, h - y0, w - x0),
        8: (h - y1, x0, h - y0, x1),
    }
    return corners[orientation]


def _checked_boxes(detector: FaceDetector, image: Image.Image) -> list[Box]:
    found = detector.detect(image)
    try:
        return [_int_box(box) for box in found]
    except (TypeError, ValueError, OverflowError) as e:
        raise ReleaseError(
            f"detector {getattr(detector, 'name', detector)!r} returned {found!r}, "
            "not a list of (x0, y0, x1, y1) boxes",
            code="E_DETECTOR",
        ) from e


def _int_box(box: Sequence[Any]) -> Box:
    if len(box) != 4:
        raise ValueError(f"a box has 4 numbers, got {box!r}")
    x0, y0, x1, y1 = (round(float(v)) for v in box)
    return (x0, y0, x1, y1)


@dataclass(frozen=True, slots=True)
class _Face:
    """A detected face: its box (clipped), its longer side as detected, its enlarged box."""

    face: Box
    side: int
    box: Box

    @property
    def margin(self) -> int:
        """How far the box grows on every side: ``EXPAND`` × the longer side."""
        return round(EXPAND * self.side)


def _expanded(boxes: list[Box], size: tuple[int, int]) -> list[_Face]:
    """Each box grown by ``EXPAND`` × its longer side on every side, clipped; empty ones dropped."""
    width, height = size
    out = set()
    for box in boxes:
        x0, x1 = sorted(box[::2])
        y0, y1 = sorted(box[1::2])
        side = max(x1 - x0, y1 - y0)  # of the face as detected, unclipped
        margin = round(EXPAND * side)
        face = (max(0, x0), max(0, y0), min(width, x1), min(height, y1))
        if face[2] <= face[0] or face[3] <= face[1]:
            continue  # nothing of it on the image
        grown = (
            max(0, x0 - margin),
            max(0, y0 - margin),
            min(width, x1 + margin),
            min(height, y1 + margin),
        )
        out.add(_Face(face, side, grown))
    return sorted(out, key=lambda f: (f.box, f.face))


def _workable(image: Image.Image) -> Image.Image:
    """A mode Pillow can blur and composite: L, LA, RGB, RGBA or CMYK."""
    if image.mode in ("L", "LA", "RGB", "RGBA", "CMYK"):
        return image
    if image.mode == "PA" or "transparency" in image.info:
        return image.convert("RGBA")
    return to_rgb(image)


def _obfuscate(image: Image.Image, faces: list[_Face]) -> Image.Image:
    """Composite a Gaussian-blurred copy over the faces' boxes through a feathered mask."""
    largest = max(f.side for f in faces)
    blurred = image.filter(ImageFilter.GaussianBlur(BLUR * largest))
    return Image.composite(blurred, image, _mask(image.size, faces))


def _mask(size: tuple[int, int], faces: list[_Face]) -> Image.Image:
    """255 over each face, fading to 0 at its enlarged box's edge, 0 outside every box.

    The enlargement margin is where the mask fades: a core (the face grown by
    half the margin) is blurred with a sigma of a sixth of the margin, so the
    mask is 255 over the face itself and rounds to 0 at the enlarged box's edge;
    beyond that edge it is exactly 0, and the original pixels are kept.
    """
    mask = Image.new("L", size, 0)
    for face in faces:
        bx0, by0, bx1, by1 = face.box
        fx0, fy0, fx1, fy1 = face.face
        inset = face.margin // 2
        core = (
            max(bx0, fx0 - inset) - bx0,
            max(by0, fy0 - inset) - by0,
            min(bx1, fx1 + inset) - bx0 - 1,  # ImageDraw's rectangles include their end
            min(by1, fy1 + inset) - by0 - 1,
        )
        local = Image.new("L", (bx1 - bx0, by1 - by0), 0)
        ImageDraw.Draw(local).rectangle(core, fill=255)
        if face.margin >= 3:
            local = local.filter(ImageFilter.GaussianBlur(face.margin / 6))
        mask.paste(ImageChops.lighter(mask.crop(face.box), local), face.box)
    return mask


def _encode(image: Image.Image, original: Image.Image, orientation: int) -> tuple[str, bytes]:
    """Encode in the original's format (see :func:`blur_faces`)."""
    fmt = "JPEG" if original.format in ("JPEG", "MPO") else original.format or "PNG"
    if fmt not in ("JPEG", "WEBP"):
        fmt = "PNG"
    if image.mode not in _KEPT_MODES.get(fmt, ("L", "RGB", "RGBA")):
        image = to_rgb(image) if fmt == "JPEG" or "A" not in image.mode else image.convert("RGBA")
    options: dict[str, Any] = {}
    icc = original.info.get("icc_profile")
    if icc:
        options["icc_profile"] = icc
    if orientation != 1:  # only the tag that keeps the stored grid meaningful
        exif = Image.Exif()
        exif[_ORIENTATION] = orientation
        options["exif"] = exif.tobytes()
    if fmt == "JPEG":
        options["quality"] = JPEG_QUALITY
        sampling = JpegImagePlugin.get_sampling(original) if original.format == "JPEG" else -1
        if sampling >= 0 and image.mode != "L":
            options["subsampling"] = sampling
    elif fmt == "WEBP":
        options["quality"] = JPEG_QUALITY
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return fmt, out.getvalue()
