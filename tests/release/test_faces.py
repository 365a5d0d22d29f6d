"""Face obfuscation: a real face is blurred, and nothing outside its enlarged box changes."""

from __future__ import annotations

import importlib.util
import io
import pickle
import sys
from dataclasses import dataclass

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageFilter, ImageOps

from synsetdb.errors import ReleaseError
from synsetdb.release.faces import (
    BLUR,
    JPEG_QUALITY,
    FaceBlur,
    FaceDetector,
    LbpFaceDetector,
    OpenCvHaarDetector,
    blur_faces,
    default_detector,
)
from tests.fixtures.photos import bomb_png, encode, orientation_exif, photo

# Where the astronaut's face is in scikit-image's 512x512 photograph (checked by eye):
# the box every detector must cover, and a point at its centre.
FACE = (190, 80, 255, 160)
FACE_CENTRE = (222, 118)


def pixels(data: bytes) -> NDArray[np.int16]:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def laplacian_variance(rgb: NDArray[np.int16], box: tuple[int, int, int, int]) -> float:
    """Variance of the 4-neighbour Laplacian of the grey image inside ``box``: edge energy."""
    x0, y0, x1, y1 = box
    grey = rgb[y0:y1, x0:x1].astype(np.float64).mean(axis=2)
    lap = grey[:-2, 1:-1] + grey[2:, 1:-1] + grey[1:-1, :-2] + grey[1:-1, 2:] - 4 * grey[1:-1, 1:-1]
    return float(lap.var())


def outside(shape: tuple[int, ...], boxes: tuple[tuple[int, int, int, int], ...], grow: int = 0):
    """A boolean mask of the pixels outside every box (each grown by ``grow``)."""
    keep = np.ones(shape[:2], dtype=bool)
    for x0, y0, x1, y1 in boxes:
        keep[max(0, y0 - grow) : y1 + grow, max(0, x0 - grow) : x1 + grow] = False
    return keep


@dataclass(frozen=True, slots=True)
class FixedDetector:
    """A custom detector through the Protocol: always reports the same boxes."""

    boxes: tuple[tuple[int, int, int, int], ...]
    name: str = "fixed"

    def detect(self, image: Image.Image) -> list[tuple[int, int, int, int]]:
        return list(self.boxes)


@pytest.fixture(scope="module")
def astronaut_png() -> bytes:
    return encode(photo("astronaut"), "PNG")


@pytest.fixture(scope="module")
def astronaut_blur(astronaut_png: bytes) -> FaceBlur:
    result = blur_faces(astronaut_png)
    assert result is not None
    return result


def covers(box: tuple[int, int, int, int], inner: tuple[int, int, int, int]) -> bool:
    return box[0] <= inner[0] and box[1] <= inner[1] and box[2] >= inner[2] and box[3] >= inner[3]


# ----------------------------------------------------------------- the astronaut


def test_the_astronauts_face_is_found_and_only_it(astronaut_blur: FaceBlur) -> None:
    assert astronaut_blur.format == "PNG"
    assert len(astronaut_blur.boxes) == 1
    assert covers(astronaut_blur.boxes[0], FACE)
    x0, y0, x1, y1 = astronaut_blur.boxes[0]
    assert (x1 - x0) * (y1 - y0) < 0.08 * 512 * 512  # a face, not half the picture


def test_the_face_is_blurred(astronaut_png: bytes, astronaut_blur: FaceBlur) -> None:
    before, after = pixels(astronaut_png), pixels(astronaut_blur.data)
    sharp, blurred = laplacian_variance(before, FACE), laplacian_variance(after, FACE)
    assert blurred < 0.02 * sharp, (sharp, blurred)
    # and really changed, not merely smoothed a little at the edges
    x0, y0, x1, y1 = FACE
    assert np.abs(after[y0:y1, x0:x1] - before[y0:y1, x0:x1]).mean() > 5


def test_png_pixels_outside_the_boxes_are_untouched(
    astronaut_png: bytes, astronaut_blur: FaceBlur
) -> None:
    before, after = pixels(astronaut_png), pixels(astronaut_blur.data)
    keep = outside(before.shape, astronaut_blur.boxes)
    assert keep.mean() > 0.9
    assert np.array_equal(before[keep], after[keep])
    assert not np.array_equal(before[~keep], after[~keep])


def test_the_mask_fades_inside_the_enlarged_box(
    astronaut_png: bytes, astronaut_blur: FaceBlur
) -> None:
    """No hard seam: just inside the enlarged box's edge the original still shows through."""
    before, after = pixels(astronaut_png), pixels(astronaut_blur.data)
    x0, y0, x1, _ = astronaut_blur.boxes[0]
    edge_ring = np.zeros(before.shape[:2], dtype=bool)
    edge_ring[y0 : y0 + 2, x0:x1] = True
    centre = np.zeros_like(edge_ring)
    cx, cy = FACE_CENTRE
    centre[cy - 10 : cy + 10, cx - 10 : cx + 10] = True
    assert np.abs(after[edge_ring] - before[edge_ring]).mean() < 1
    assert np.abs(after[centre] - before[centre]).mean() > 5


def test_jpeg_outside_the_boxes_differs_only_by_reencoding() -> None:
    original = encode(photo("astronaut"), "JPEG", quality=90)
    result = blur_faces(original)
    assert result is not None and result.format == "JPEG"
    assert any(covers(box, FACE) for box in result.boxes)
    plain = pixels(encode(Image.open(io.BytesIO(original)), "JPEG", quality=JPEG_QUALITY))
    after = pixels(result.data)
    # Beyond the 16-pixel blocks that hold blurred pixels, the bytes decode identically.
    far = outside(after.shape, result.boxes, grow=16)
    assert np.array_equal(after[far], plain[far])
    near = outside(after.shape, result.boxes)
    assert np.abs(after[near] - plain[near]).mean() < 0.1
    assert laplacian_variance(after, FACE) < 0.05 * laplacian_variance(plain, FACE)


def test_the_icc_profile_is_kept() -> None:
    icc = _srgb_profile()
    original = encode(photo("astronaut"), "JPEG", quality=90, icc_profile=icc)
    result = blur_faces(original)
    assert result is not None
    assert Image.open(io.BytesIO(result.data)).info.get("icc_profile") == icc


def _srgb_profile() -> bytes:
    from PIL import ImageCms

    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@pytest.mark.parametrize("name", ["chelsea", "coffee"])
def test_no_face_gives_none(name: str) -> None:
    assert blur_faces(encode(photo(name), "JPEG", quality=90)) is None
    assert blur_faces(encode(photo(name), "PNG")) is None


def test_the_same_bytes_twice(astronaut_png: bytes, astronaut_blur: FaceBlur) -> None:
    assert blur_faces(astronaut_png) == astronaut_blur
    jpeg = encode(photo("astronaut"), "JPEG", quality=80)
    assert blur_faces(jpeg) == blur_faces(jpeg)


# ----------------------------------------------------------------- detectors


def test_a_custom_detector_through_the_protocol() -> None:
    detector = FixedDetector(((100, 100, 200, 150),))
    assert isinstance(detector, FaceDetector)
    original = encode(photo("chelsea"), "PNG")  # no face for the bundled detector
    result = blur_faces(original, detector)
    assert result is not None
    # grown by 0.1 x the longer side (100) on every side
    assert result.boxes == ((90, 90, 210, 160),)
    before, after = pixels(original), pixels(result.data)
    keep = outside(before.shape, result.boxes)
    assert np.array_equal(before[keep], after[keep])
    assert laplacian_variance(after, (110, 105, 190, 145)) < 0.1 * laplacian_variance(
        before, (110, 105, 190, 145)
    )


def test_the_blur_radius_is_a_tenth_of_the_largest_face_as_detected() -> None:
    """The study's code: sigma = 0.1 x the longer side of the largest box, before growing it."""
    original = encode(photo("chelsea"), "PNG")
    small, large = (300, 250, 330, 270), (100, 100, 200, 150)  # longer sides 30 and 100
    result = blur_faces(original, FixedDetector((small, large)))
    assert result is not None
    source = Image.open(io.BytesIO(original)).convert("RGB")
    want = pixels(encode(source.filter(ImageFilter.GaussianBlur(BLUR * 100)), "PNG"))
    grown_sigma = pixels(encode(source.filter(ImageFilter.GaussianBlur(BLUR * 120)), "PNG"))
    after = pixels(result.data)
    # at the faces' centres the mask is whole: the pixels are the blurred copy's own
    for x, y in ((150, 125), (315, 260)):
        assert np.array_equal(after[y, x], want[y, x]), (x, y)
    centre = after[115:135, 140:160]
    assert np.array_equal(centre, want[115:135, 140:160])
    assert not np.array_equal(centre, grown_sigma[115:135, 140:160])


def test_boxes_are_clipped_ordered_and_merged() -> None:
    size = photo("coffee").size  # 600 x 400
    detector = FixedDetector(((550, 350, 700, 500), (40, 30, 10, 5), (40, 30, 10, 5), (5, 5, 5, 9)))
    result = blur_faces(encode(photo("coffee"), "PNG"), detector)
    assert result is not None
    # x reversed and duplicated -> one box; partly off the image -> grown by its
    # detected size, then clipped; zero-width -> dropped
    assert result.boxes == ((7, 2, 43, 33), (535, 335, size[0], size[1]))


def test_a_detector_with_no_boxes_or_boxes_off_the_image_gives_none() -> None:
    data = encode(photo("coffee"), "PNG")
    assert blur_faces(data, FixedDetector(())) is None
    assert blur_faces(data, FixedDetector(((700, 500, 800, 600),))) is None


@pytest.mark.parametrize("bad", [[(1, 2, 3)], [("a", 0, 1, 1)], [(0, 0, float("nan"), 1)], 5])
def test_a_detector_returning_garbage_is_an_error(bad: object) -> None:
    class Broken:
        name = "broken"

        def detect(self, image: Image.Image) -> object:
            return bad

    with pytest.raises(ReleaseError) as error:
        blur_faces(encode(photo("coffee"), "PNG"), Broken())  # type: ignore[arg-type]
    assert error.value.code == "E_DETECTOR"


def test_the_default_detector_is_lbp_and_pickles() -> None:
    detector = default_detector()
    assert isinstance(detector, LbpFaceDetector)
    assert detector.name == "skimage-lbp-frontal"
    assert pickle.loads(pickle.dumps(detector)) == detector  # for the process pool


@pytest.mark.parametrize("scale", [0.4, 0.7])
def test_smaller_faces_are_found(scale: float) -> None:
    side = round(512 * scale)
    boxes = default_detector().detect(photo("astronaut").resize((side, side)))
    assert len(boxes) == 1
    assert covers(boxes[0], tuple(round(v * scale) for v in FACE))  # type: ignore[arg-type]


def test_large_photos_are_searched_at_the_working_size() -> None:
    big = photo("astronaut").resize((1536, 1536), Image.Resampling.LANCZOS)
    boxes = LbpFaceDetector(max_side=512).detect(big)
    assert len(boxes) == 1
    assert covers(boxes[0], tuple(3 * v for v in FACE))  # type: ignore[arg-type]


def test_a_missing_scikit_image_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "skimage.feature", None)
    with pytest.raises(ReleaseError) as error:
        blur_faces(encode(photo("coffee"), "PNG"))
    assert error.value.code == "E_MISSING_EXTRA"
    assert "synsetdb[faces]" in str(error.value)


HAS_CV2 = importlib.util.find_spec("cv2") is not None


@pytest.mark.skipif(HAS_CV2, reason="OpenCV is installed; this checks the error without it")
def test_the_haar_detector_without_opencv_is_a_clear_error() -> None:
    with pytest.raises(ReleaseError) as error:
        OpenCvHaarDetector().detect(photo("astronaut"))
    assert error.value.code == "E_MISSING_EXTRA"
    assert "synsetdb[cv]" in str(error.value)


@pytest.mark.skipif(not HAS_CV2, reason="OpenCV 4 (the cv extra) is not installed here")
def test_the_haar_detector_finds_the_astronaut() -> None:  # pragma: no cover - needs cv2
    detector = OpenCvHaarDetector()
    boxes = detector.detect(photo("astronaut"))
    assert any(covers(b, (200, 95, 245, 145)) for b in boxes)
    assert detector.detect(photo("chelsea")) == []
    result = blur_faces(encode(photo("astronaut"), "PNG"), detector)
    assert result is not None


# ----------------------------------------------------------------- orientation and modes


def _stored_for(upright: Image.Image, orientation: int) -> Image.Image:
    """The stored pixels that EXIF ``orientation`` turns into ``upright``."""
    inverse = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_90,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_270,
    }
    stored = upright.transpose(inverse[orientation])
    assert np.array_equal(
        np.asarray(ImageOps.exif_transpose(_with_exif(stored, orientation))), np.asarray(upright)
    )
    return stored


def _with_exif(image: Image.Image, orientation: int) -> Image.Image:
    return Image.open(io.BytesIO(encode(image, "PNG", exif=orientation_exif(orientation))))


@pytest.mark.parametrize("orientation", range(2, 9))
def test_faces_are_found_upright_and_blurred_in_the_stored_grid(
    orientation: int, astronaut_blur: FaceBlur
) -> None:
    upright = photo("astronaut").crop((0, 0, 512, 384))  # not square: turns show
    plain = blur_faces(encode(upright, "PNG"))
    assert plain is not None
    stored = _stored_for(upright, orientation)
    result = blur_faces(encode(stored, "PNG", exif=orientation_exif(orientation)))
    assert result is not None
    decoded = Image.open(io.BytesIO(result.data))
    assert decoded.size == stored.size  # the stored grid is kept
    assert decoded.getexif().get(0x0112) == orientation
    assert np.array_equal(np.asarray(ImageOps.exif_transpose(decoded)), pixels(plain.data))
    # the boxes are given in the stored grid: painting them there and turning
    # the painting upright gives the upright image's boxes
    painted = Image.new("L", stored.size, 0)
    for x0, y0, x1, y1 in result.boxes:
        painted.paste(255, (x0, y0, x1, y1))
    turned = ImageOps.exif_transpose(_with_exif(painted, orientation))
    assert turned.getbbox() == plain.boxes[0]


def test_other_exif_is_dropped() -> None:
    exif = orientation_exif(1)
    exif[0x010F] = "Camera maker"  # Make
    data = encode(photo("astronaut"), "JPEG", quality=90, exif=exif)
    result = blur_faces(data)
    assert result is not None
    assert Image.open(io.BytesIO(result.data)).getexif().get(0x010F) is None


@pytest.mark.parametrize(
    ("mode", "fmt", "out_format", "out_mode"),
    [
        ("L", "JPEG", "JPEG", "L"),
        ("L", "PNG", "PNG", "L"),
        ("RGBA", "PNG", "PNG", "RGBA"),
        ("P", "PNG", "PNG", "RGB"),
        ("RGB", "WEBP", "WEBP", "RGB"),
        ("P", "GIF", "PNG", "RGB"),
        ("RGB", "BMP", "PNG", "RGB"),
        ("RGB", "TIFF", "PNG", "RGB"),
        ("CMYK", "JPEG", "JPEG", "CMYK"),
    ],
)
def test_modes_and_formats(mode: str, fmt: str, out_format: str, out_mode: str) -> None:
    base = photo("coffee")
    image = base.convert(mode) if mode != "RGBA" else _with_alpha(base)
    result = blur_faces(encode(image, fmt), FixedDetector(((100, 100, 200, 200),)))
    assert result is not None and result.format == out_format
    decoded = Image.open(io.BytesIO(result.data))
    decoded.load()
    assert (decoded.format, decoded.mode, decoded.size) == (out_format, out_mode, base.size)
    if mode == "RGBA":  # alpha survives outside the box
        assert np.array_equal(np.asarray(decoded)[..., 3][:80], np.asarray(image)[..., 3][:80])


def _with_alpha(image: Image.Image) -> Image.Image:
    rgba = image.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(image.size))
    return rgba


# ----------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "E_DECODE"),
        (b"<html>not an image</html>", "E_DECODE"),
        (encode(photo("coffee", (200, 150)), "JPEG")[:600], "E_DECODE"),
        (encode(photo("coffee", (200, 150)), "PNG")[:300], "E_DECODE"),
        (bomb_png(20_000, 20_000), "E_BOMB"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "E_DECODE"),
    ],
    ids=["empty", "html", "truncated-jpeg", "truncated-png", "bomb", "bad-png-header"],
)
def test_bad_input_is_refused_with_a_code(data: bytes, code: str) -> None:
    with pytest.raises(ReleaseError) as error:
        blur_faces(data, FixedDetector(((0, 0, 10, 10),)))
    assert error.value.code == code
