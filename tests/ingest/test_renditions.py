"""Thumbnails, resized copies, reduced JPEG decodes and colour normalisation (ingest.renditions)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from synsetdb.ingest.renditions import (
    draft_for,
    fit_shorter,
    fit_within,
    resized,
    thumbnail,
    to_rgb,
    upright,
)
from tests.fixtures.photos import encode, orientation_exif, photo


def _decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _half_transparent(image: Image.Image) -> Image.Image:
    """RGBA copy whose left half is fully transparent."""
    rgba = image.convert("RGBA")
    alpha = np.full((rgba.height, rgba.width), 255, dtype=np.uint8)
    alpha[:, : rgba.width // 2] = 0
    rgba.putalpha(Image.fromarray(alpha))
    return rgba


@pytest.mark.parametrize(
    ("size", "side", "expected"),
    [
        ((1000, 500), 256, (256, 128)),
        ((500, 1000), 256, (128, 256)),
        ((451, 300), 256, (256, 170)),
        ((256, 256), 256, (256, 256)),
        ((40, 30), 256, (40, 30)),  # never upscaled
        ((5000, 3), 256, (256, 1)),  # never collapses to zero
    ],
)
def test_fit_within_keeps_aspect_and_never_enlarges(
    size: tuple[int, int], side: int, expected: tuple[int, int]
) -> None:
    assert fit_within(size, side) == expected


@pytest.mark.parametrize(
    ("size", "side", "expected"),
    [
        ((500, 375), 256, (341, 256)),  # ImageNet's typical photo
        ((375, 500), 256, (256, 341)),
        ((1000, 500), 256, (512, 256)),
        ((256, 300), 256, (256, 300)),
        ((200, 150), 256, (200, 150)),  # never upscaled
        ((3, 5000), 2, (2, 3333)),
    ],
)
def test_fit_shorter_keeps_aspect_and_never_enlarges(
    size: tuple[int, int], side: int, expected: tuple[int, int]
) -> None:
    assert fit_shorter(size, side) == expected


def test_resized_copy_has_the_shorter_side_asked_for() -> None:
    copy = resized(photo("rocket"), 256, 90)  # 640x427
    assert (copy.kind, copy.width, copy.height) == ("resized-256", 384, 256)
    image = _decode(copy.data)
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (384, 256))
    assert 0x0112 not in image.getexif() and "icc_profile" not in image.info
    assert copy == resized(photo("rocket"), 256, 90)  # deterministic bytes


def test_resized_copy_of_a_small_image_keeps_its_size() -> None:
    small = photo("coffee", (200, 150))
    copy = resized(small, 256, 95)
    assert (copy.width, copy.height) == (200, 150) == _decode(copy.data).size
    pixels = np.asarray(_decode(copy.data), dtype=np.int16)
    assert np.abs(pixels - np.asarray(small, dtype=np.int16)).mean() < 4  # re-encoded only


def test_resized_copy_size_comes_from_the_full_size() -> None:
    """A JPEG decoded at 1/2 scale (255 px) still gives a copy of exactly 256 px."""
    reduced = photo("chelsea", (340, 255))
    copy = resized(reduced, 256, 90, full_size=(680, 510))
    assert (copy.width, copy.height) == (341, 256) == _decode(copy.data).size


def test_resized_copy_quality_and_bad_arguments() -> None:
    image = photo("astronaut")
    assert len(resized(image, 256, 30).data) < len(resized(image, 256, 95).data)
    for side, quality in ((0, 90), (256, 0), (256, 101)):
        with pytest.raises(ValueError, match="must be"):
            resized(image, side, quality)


def _jpeg_header(size: tuple[int, int]) -> Image.Image:
    return Image.open(io.BytesIO(encode(photo("coffee", size), "JPEG")))


@pytest.mark.parametrize(
    ("size", "shorter", "decoded"),
    [
        ((500, 375), None, (250, 188)),  # the thumbnail alone: 1/2
        ((500, 375), 256, (500, 375)),  # a 256-px copy needs the full 375 px
        ((500, 375), 128, (250, 188)),  # 188 >= 128: the copy allows 1/2 too
        ((2000, 1500), None, (250, 188)),  # 1/8: 250 >= 97% of 256
        ((2000, 1500), 256, (500, 375)),  # 1/4: 375 >= 256, where 1/8 would leave 188
        ((2000, 1500), 400, (1000, 750)),  # 375 < 97% of 400: only 1/2
        ((680, 510), 256, (340, 255)),  # 255 >= 97% of 256: the 3% slack
        ((200, 150), 100, (200, 150)),  # the copy keeps 200x150: no reduction at all
    ],
)
def test_draft_leaves_enough_pixels_for_every_rendition(
    size: tuple[int, int], shorter: int | None, decoded: tuple[int, int]
) -> None:
    image = _jpeg_header(size)
    draft_for(image, 256, shorter)
    image.load()
    assert image.size == decoded


def test_thumbnail_is_rgb_jpeg_with_longest_side_bounded() -> None:
    data = thumbnail(photo("rocket"), 256, 85)
    thumb = _decode(data)
    assert thumb.format == "JPEG"
    assert thumb.mode == "RGB"
    assert thumb.size == (256, 171)  # 640x427 scaled by 0.4


def test_thumbnail_never_upscales() -> None:
    assert _decode(thumbnail(photo("coffee", (60, 40)), 256, 85)).size == (60, 40)


def test_thumbnail_bytes_are_deterministic() -> None:
    image = photo("chelsea")
    assert thumbnail(image, 128, 80) == thumbnail(image.copy(), 128, 80)


def test_thumbnail_quality_changes_size() -> None:
    image = photo("astronaut")
    assert len(thumbnail(image, 256, 30)) < len(thumbnail(image, 256, 95))


def test_thumbnail_carries_no_metadata() -> None:
    """No EXIF: an orientation tag in a thumbnail would be applied a second time."""
    stored = _decode(encode(photo("chelsea", (120, 80)), "JPEG", exif=orientation_exif(6)))
    thumb = _decode(thumbnail(stored, 256, 85))
    assert 0x0112 not in thumb.getexif()
    assert "icc_profile" not in thumb.info


@pytest.mark.parametrize(("side", "quality"), [(0, 85), (256, 0), (256, 101)])
def test_thumbnail_rejects_bad_arguments(side: int, quality: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        thumbnail(photo("coffee", (64, 64)), side, quality)


def test_thumbnail_of_transparent_image_is_white_where_transparent() -> None:
    thumb = np.asarray(_decode(thumbnail(_half_transparent(photo("coffee", (200, 100))), 256, 95)))
    assert thumb[:, :90].min() >= 245  # JPEG ringing aside, pure white
    assert thumb[:, 110:].mean() < 200


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB", "CMYK", "YCbCr", "LA", "RGBA", "I", "F"])
def test_to_rgb_gives_rgb_of_the_same_size(mode: str) -> None:
    image = photo("astronaut", (64, 48)).convert(mode)
    rgb = to_rgb(image)
    assert rgb.mode == "RGB"
    assert rgb.size == (64, 48)


def test_to_rgb_returns_opaque_rgb_unchanged() -> None:
    image = photo("chelsea", (32, 32))
    assert to_rgb(image) is image


def test_to_rgb_composites_alpha_on_white() -> None:
    rgb = np.asarray(to_rgb(_half_transparent(photo("rocket", (100, 50)))))
    assert (rgb[:, :50] == 255).all()
    assert rgb[:, 50:].mean() < 250


def test_to_rgb_palette_transparency_is_white() -> None:
    palette = photo("coffee", (40, 40)).convert("P")
    index = palette.getpixel((0, 0))
    palette.info["transparency"] = index
    rgb = to_rgb(palette)
    assert rgb.getpixel((0, 0)) == (255, 255, 255)


def test_to_rgb_cmyk_keeps_colours() -> None:
    image = photo("coffee", (80, 60))
    back = np.asarray(to_rgb(image.convert("CMYK")), dtype=np.int16)
    assert np.abs(back - np.asarray(image, dtype=np.int16)).max() <= 2


def _wide(values: np.ndarray, mode: str) -> Image.Image:
    """A 16/32-bit grey image holding ``values`` exactly (Pillow's convert would clip)."""
    if mode == "I;16B":
        return Image.frombytes(mode, values.shape[::-1], values.astype(">u2").tobytes())
    return Image.fromarray(values.astype(np.int32 if mode == "I" else np.uint16))


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I"])
def test_to_rgb_scales_16_bit_instead_of_clipping(mode: str) -> None:
    """Pillow's own convert('L') clips 16-bit values to 255: a nearly white picture."""
    grey = np.asarray(photo("camera", (64, 48)).convert("L"), dtype=np.int64)
    wide = _wide(grey * 257, mode)
    assert wide.mode == mode
    rgb = np.asarray(to_rgb(wide), dtype=np.int16)
    assert np.abs(rgb[..., 0] - grey).max() <= 1


def test_to_rgb_float_zero_to_one_is_normalised() -> None:
    grey = np.asarray(photo("moon", (32, 32)).convert("L"), dtype=np.float32)
    rgb = np.asarray(to_rgb(Image.fromarray(grey / 255.0)), dtype=np.int16)
    assert np.abs(rgb[..., 0] - grey.astype(np.int16)).max() <= 1


def test_upright_applies_exif_orientation() -> None:
    stored = _decode(encode(photo("chelsea", (120, 80)), "JPEG", exif=orientation_exif(6)))
    assert stored.size == (120, 80)
    assert upright(stored).size == (80, 120)


def test_upright_ignores_broken_exif() -> None:
    stored = _decode(encode(photo("chelsea", (120, 80)), "JPEG", exif=b"Exif\x00\x00II*\x00\xff"))
    assert upright(stored).size == (120, 80)
