"""Validation of image bytes (synsetdb.ingest.validate): every accepted form, every reject code."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import random
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageFile

from synsetdb.errors import ConfigError
from synsetdb.ingest.items import Inspected, Rejected, SourceItem
from synsetdb.ingest.phash import hamming, phash
from synsetdb.ingest.validate import ValidationConfig, inspect_image
from tests.fixtures.photos import bomb_png, encode, orientation_exif, photo

CONFIG = ValidationConfig()
CODES = {
    *("E_EMPTY", "E_FORMAT", "E_BOMB", "E_DECODE", "E_TRUNCATED", "E_TOO_SMALL", "E_ASPECT"),
    "E_CORRUPT_DATA",
}
# (Pillow format, save options) for each accepted format, and a few variants of each.
ACCEPTED: list[tuple[str, dict[str, Any]]] = [
    ("JPEG", {"quality": 90}),
    ("JPEG", {"quality": 75, "progressive": True}),
    ("PNG", {}),
    ("WEBP", {"quality": 80}),
    ("WEBP", {"lossless": True}),
    ("GIF", {}),
    ("TIFF", {}),
    ("TIFF", {"compression": "tiff_deflate"}),
    ("TIFF", {"compression": "jpeg"}),
    ("BMP", {}),
]


def inspected(data: bytes, config: ValidationConfig = CONFIG) -> Inspected:
    result = inspect_image(data, config)
    assert isinstance(result, Inspected), result
    return result


def rejected(data: bytes, code: str, config: ValidationConfig = CONFIG) -> Rejected:
    result = inspect_image(data, config)
    assert isinstance(result, Rejected), result
    assert result.code == code, result
    assert 0 < len(result.detail) <= 160
    if data:
        assert result.sha256 == hashlib.sha256(data).hexdigest()
    return result


def thumb_of(result: Inspected) -> Image.Image:
    assert result.thumbnail is not None
    image = Image.open(io.BytesIO(result.thumbnail))
    image.load()
    assert (image.format, image.mode) == ("JPEG", "RGB")
    return image


def assert_thumbnail_size(result: Inspected, width: int, height: int, side: int = 256) -> None:
    """Longest side <= side (JPEGs decoded at a DCT scale may be up to 3% short), aspect kept."""
    thumb = thumb_of(result)
    assert 0.97 * side <= max(thumb.size) <= side
    assert abs(thumb.width / thumb.height - width / height) < 0.02


# --- accepted inputs -----------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "options"), ACCEPTED, ids=lambda v: str(v))
def test_every_accepted_format(fmt: str, options: dict[str, Any]) -> None:
    image = photo("rocket", (500, 375))
    data = encode(image, fmt, **options)
    result = inspected(data)
    assert result.format == fmt
    assert (result.width, result.height) == (500, 375)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert result.byte_size == len(data)
    assert hamming(result.phash, phash(image)) <= 6  # GIF's 256 colours included
    assert_thumbnail_size(result, 500, 375)


def test_same_bytes_give_the_same_record() -> None:
    data = encode(photo("coffee", (500, 375)), "JPEG")
    assert inspect_image(data, CONFIG) == inspect_image(bytes(data), CONFIG)


def test_mpo_from_a_camera_is_a_jpeg() -> None:
    first, second = photo("chelsea", (300, 200)), photo("coffee", (300, 200))
    result = inspected(encode(first, "MPO", save_all=True, append_images=[second]))
    assert result.format == "JPEG"
    assert hamming(result.phash, phash(first)) <= 4


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG", "TIFF"])
def test_animation_or_multipage_uses_the_first_frame(fmt: str) -> None:
    first, second = photo("chelsea", (300, 200)), photo("rocket", (300, 200))
    result = inspected(encode(first, fmt, save_all=True, append_images=[second]))
    assert result.format == fmt
    assert hamming(result.phash, phash(first)) <= 6
    assert hamming(result.phash, phash(second)) >= 16


def test_png_named_jpeg_is_identified_from_its_bytes(tmp_path: Path) -> None:
    """ILSVRC-2012's train set holds a PNG named n02105855_2933.JPEG."""
    path = tmp_path / "n02105855_2933.JPEG"
    path.write_bytes(encode(photo("chelsea", (500, 333)), "PNG"))
    item = SourceItem(key="n02105855_2933", name=path.name, path=str(path))
    assert inspected(item.read()).format == "PNG"


def test_cmyk_jpeg_is_accepted_and_converted() -> None:
    """ILSVRC-2012 holds 22 CMYK JPEGs."""
    image = photo("coffee", (400, 300))
    cmyk = encode(image.convert("CMYK"), "JPEG", quality=95)
    assert Image.open(io.BytesIO(cmyk)).mode == "CMYK"
    result = inspected(cmyk)
    assert (result.format, result.width, result.height) == ("JPEG", 400, 300)
    expected = np.asarray(image.resize(thumb_of(result).size), dtype=np.int16)
    assert np.abs(np.asarray(thumb_of(result), dtype=np.int16) - expected).mean() < 8
    assert hamming(result.phash, phash(image)) <= 4


def _with_transparent_left_half(image: Image.Image, mode: str) -> Image.Image:
    rgba = image.convert("RGBA")
    alpha = np.full((rgba.height, rgba.width), 255, dtype=np.uint8)
    alpha[:, : rgba.width // 2] = 0
    rgba.putalpha(Image.fromarray(alpha))
    return rgba if mode == "RGBA" else rgba.convert(mode)


@pytest.mark.parametrize(
    ("fmt", "mode"), [("PNG", "RGBA"), ("PNG", "LA"), ("WEBP", "RGBA"), ("TIFF", "RGBA")]
)
def test_alpha_is_composited_on_white(fmt: str, mode: str) -> None:
    data = encode(_with_transparent_left_half(photo("astronaut", (400, 200)), mode), fmt)
    assert Image.open(io.BytesIO(data)).mode == mode
    thumb = np.asarray(thumb_of(inspected(data)))
    assert thumb[:, : thumb.shape[1] // 2 - 4].min() >= 245
    assert thumb[:, thumb.shape[1] // 2 + 4 :].mean() < 200


def test_palette_png_with_transparency() -> None:
    palette = photo("coffee", (300, 200)).quantize(200)
    pixels = np.asarray(palette).copy()
    pixels[:, :150] = 200  # a palette entry that no pixel used, made transparent below
    transparent = Image.fromarray(pixels)
    transparent.putpalette((palette.getpalette() or [])[:600] + [0, 0, 0] * 56)
    data = encode(transparent, "PNG", transparency=200)
    assert Image.open(io.BytesIO(data)).mode == "P"
    thumb = np.asarray(thumb_of(inspected(data)))
    assert thumb[:, : thumb.shape[1] // 2 - 4].min() >= 245
    assert thumb[:, thumb.shape[1] // 2 + 4 :].mean() < 200


@pytest.mark.parametrize(("fmt", "mode"), [("PNG", "P"), ("PNG", "1"), ("BMP", "1"), ("GIF", "L")])
def test_palette_grey_and_one_bit_images(fmt: str, mode: str) -> None:
    data = encode(photo("camera", (300, 300)).convert(mode), fmt)
    result = inspected(data)
    assert (result.format, result.width) == (fmt, 300)
    assert_thumbnail_size(result, 300, 300)


def test_16_bit_png_is_scaled_not_clipped() -> None:
    grey = photo("camera", (320, 240)).convert("L")
    data = encode(Image.fromarray(np.asarray(grey, dtype=np.uint16) * 257), "PNG")
    assert Image.open(io.BytesIO(data)).mode == "I;16"
    result = inspected(data)
    assert result.phash == phash(grey)
    thumb = np.asarray(thumb_of(result).convert("L"), dtype=np.int16)
    assert abs(thumb.mean() - np.asarray(grey).mean()) < 3  # not the all-white of clipping


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_applies_to_renditions_only(orientation: int) -> None:
    stored = photo("chelsea", (450, 300))
    data = encode(stored, "JPEG", quality=92, exif=orientation_exif(orientation))
    result = inspected(data)
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    assert (result.width, result.height) == (450, 300)  # the stored original's
    shown = stored.transpose(_TRANSPOSE[orientation]) if orientation > 1 else stored
    assert_thumbnail_size(result, *shown.size)
    assert hamming(result.phash, phash(shown)) <= 4
    thumb = np.asarray(thumb_of(result), dtype=np.int16)
    expected = np.asarray(shown.resize(thumb.shape[1::-1]), dtype=np.int16)
    assert np.abs(thumb - expected).mean() < 8


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def test_broken_exif_does_not_reject_a_good_image() -> None:
    data = encode(photo("coffee", (300, 200)), "JPEG", exif=b"Exif\x00\x00II*\x00\xff\xff")
    assert inspected(data).width == 300


def test_trailing_bytes_after_a_complete_jpeg_are_tolerated() -> None:
    """Web servers and broken uploaders often append junk after the end marker."""
    data = encode(photo("rocket", (300, 200)), "JPEG") + b"\x00" * 100 + b"<html>"
    assert inspected(data).format == "JPEG"


def test_large_jpeg_decodes_at_reduced_scale_with_the_same_checks() -> None:
    image = photo("retina")  # 1411 x 1411: decoded at 1/4 scale for a 256-px thumbnail
    data = encode(image, "JPEG", quality=90)
    result = inspected(data)
    assert (result.width, result.height) == (1411, 1411)
    assert_thumbnail_size(result, 1411, 1411)
    assert hamming(result.phash, phash(image)) <= 2
    rejected(data[: len(data) // 2], "E_TRUNCATED")
    scan = data.index(b"\xff\xda") + 20  # into the entropy-coded data
    rejected(data[:scan] + random.Random(1).randbytes(len(data) - scan), "E_DECODE")


def test_without_thumbnail_and_with_other_sizes() -> None:
    data = encode(photo("astronaut", (512, 512)), "PNG")
    assert inspected(data, ValidationConfig(make_thumbnail=False)).thumbnail is None
    small = inspected(data, ValidationConfig(thumbnail_side=64, thumbnail_quality=50))
    assert thumb_of(small).size == (64, 64)


# --- resized copies ------------------------------------------------------------------------


def copy_of(result: Inspected, side: int) -> Image.Image:
    """The decoded resized copy, checked to be an RGB JPEG of the size its record says."""
    assert result.resized is not None
    assert result.resized.kind == f"resized-{side}"
    image = Image.open(io.BytesIO(result.resized.data))
    image.load()
    assert (image.format, image.mode) == ("JPEG", "RGB")
    assert image.size == (result.resized.width, result.resized.height)
    return image


def assert_looks_like(image: Image.Image, expected: Image.Image) -> None:
    pixels = np.asarray(image, dtype=np.int16)
    assert np.abs(pixels - np.asarray(expected.resize(image.size), dtype=np.int16)).mean() < 8


@pytest.mark.parametrize(
    ("fmt", "size", "expected"),
    [
        ("JPEG", (500, 375), (341, 256)),  # decoded in full
        ("JPEG", (2000, 1500), (341, 256)),  # decoded at 1/4 (375 px)
        ("JPEG", (680, 510), (341, 256)),  # decoded at 1/2 (255 px): still exactly 256
        ("PNG", (300, 600), (256, 512)),
        ("WEBP", (256, 400), (256, 400)),
        ("JPEG", (200, 150), (200, 150)),  # never upscaled
    ],
)
def test_resized_copy_has_the_shorter_side_asked_for(
    fmt: str, size: tuple[int, int], expected: tuple[int, int]
) -> None:
    original = photo("rocket", size)
    result = inspected(encode(original, fmt), ValidationConfig(resize_side=256))
    assert (result.width, result.height) == size  # the original, as stored
    copy = copy_of(result, 256)
    assert copy.size == expected
    assert_looks_like(copy, original)
    assert_thumbnail_size(result, *size, side=min(256, max(size)))  # made as before


@pytest.mark.parametrize("size", [(450, 300), (1800, 1200)])  # decoded in full, at 1/4
def test_resized_copy_is_upright(size: tuple[int, int]) -> None:
    stored = photo("chelsea", size)
    data = encode(stored, "JPEG", quality=92, exif=orientation_exif(6))
    result = inspected(data, ValidationConfig(resize_side=256))
    copy = copy_of(result, 256)
    assert copy.size == (256, 384)
    assert_looks_like(copy, stored.transpose(Image.Transpose.ROTATE_270))


@pytest.mark.parametrize("mode", ["CMYK", "P", "RGBA", "LA", "I;16"])
def test_resized_copy_is_rgb_whatever_the_input_mode(mode: str) -> None:
    image = photo("coffee", (600, 400))
    if mode in ("RGBA", "LA"):
        source = _with_transparent_left_half(image, mode)
    elif mode == "I;16":
        source = Image.fromarray(np.asarray(image.convert("L"), dtype=np.uint16) * 257)
    else:
        source = image.convert(mode)
    data = encode(source, "JPEG" if mode == "CMYK" else "PNG")
    assert Image.open(io.BytesIO(data)).mode == mode
    copy = copy_of(inspected(data, ValidationConfig(resize_side=128)), 128)
    assert copy.size == (192, 128)
    if mode in ("RGBA", "LA"):  # alpha composited on white, as in the thumbnail
        pixels = np.asarray(copy)
        assert pixels[:, : copy.width // 2 - 4].min() >= 245
        assert pixels[:, copy.width // 2 + 4 :].mean() < 200
    else:
        assert_looks_like(
            copy, image if mode in ("CMYK", "P") else image.convert("L").convert("RGB")
        )


def test_no_resized_copy_unless_asked_and_its_quality() -> None:
    data = encode(photo("astronaut", (512, 512)), "PNG")
    assert inspected(data).resized is None
    low, high = (
        inspected(data, ValidationConfig(resize_side=128, resize_quality=q)).resized
        for q in (30, 95)
    )
    assert low is not None and high is not None
    assert len(low.data) < len(high.data)


# --- rejected inputs -----------------------------------------------------------------------


def test_empty() -> None:
    assert rejected(b"", "E_EMPTY").sha256 is None


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (b"<!DOCTYPE html><html><body>Not Found</body></html>", "HTML"),
        (b"\xef\xbb\xbf\n  <html lang='en'><head>", "HTML"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (b'{"error": "rate limited"}', "JSON"),
        (b"\x00\x01\x02\x03garbage", "unrecognised bytes 00 01 02 03"),
    ],
)
def test_non_images_are_format_errors_named_in_the_detail(data: bytes, named: str) -> None:
    assert named in rejected(data, "E_FORMAT").detail


@pytest.mark.parametrize(("fmt", "options"), [("ICO", {}), ("AVIF", {}), ("JPEG2000", {})])
def test_images_in_formats_not_accepted(fmt: str, options: dict[str, Any]) -> None:
    rejected(encode(photo("coffee", (64, 64)), fmt, **options), "E_FORMAT")


def test_garbage_after_a_valid_jpeg_header() -> None:
    data = encode(photo("rocket", (500, 375)), "JPEG")
    rng = random.Random(0)
    rejected(data[:600] + rng.randbytes(len(data) - 600), "E_DECODE")  # header tables broken
    scan = data.index(b"\xff\xda") + 20
    rejected(data[:scan] + rng.randbytes(len(data) - scan), "E_DECODE")  # entropy data broken


def test_garbage_after_a_png_signature() -> None:
    rejected(b"\x89PNG\r\n\x1a\n" + random.Random(2).randbytes(3000), "E_DECODE")


@pytest.mark.parametrize(("fmt", "options"), ACCEPTED, ids=lambda v: str(v))
@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_cut_files_are_truncated(fmt: str, options: dict[str, Any], fraction: float) -> None:
    data = encode(photo("coffee", (500, 375)), fmt, **options)
    rejected(data[: int(len(data) * fraction)], "E_TRUNCATED")


def test_jpeg_cut_in_half() -> None:
    jpeg = encode(photo("chelsea"), "JPEG")
    assert "truncated" in rejected(jpeg[: len(jpeg) // 2], "E_TRUNCATED").detail


@pytest.mark.parametrize(("fmt", "options"), ACCEPTED, ids=lambda v: str(v))
@pytest.mark.parametrize("length", [16, 30, 60, 120, 400])
def test_files_cut_inside_their_headers_are_truncated(
    fmt: str, options: dict[str, Any], length: int
) -> None:
    rejected(encode(photo("coffee", (500, 375)), fmt, **options)[:length], "E_TRUNCATED")


def test_bomb_is_rejected_from_the_header_quickly() -> None:
    data = bomb_png(50_000, 50_000)  # 2.5 gigapixels declared in 77 bytes
    assert len(data) < 200
    start = time.perf_counter()
    rejected(data, "E_BOMB")
    assert time.perf_counter() - start < 0.5


@pytest.mark.parametrize(
    ("width", "height", "max_pixels"),
    [
        (8_000, 6_000, 40_000_000),  # our limit, under Pillow's
        (10_000, 10_000, 10**9),  # Pillow's warning threshold (89 M), under ours
        (50_000, 50_000, 10**12),  # Pillow's error threshold (179 M), under ours
    ],
)
def test_bomb_limits_ours_and_pillows(width: int, height: int, max_pixels: int) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rejected(bomb_png(width, height), "E_BOMB", ValidationConfig(max_pixels=max_pixels))
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_a_real_photo_over_a_small_pixel_limit() -> None:
    config = ValidationConfig(min_side=8, max_pixels=100_000)
    rejected(encode(photo("coffee", (500, 375)), "JPEG"), "E_BOMB", config)
    inspected(encode(photo("coffee", (400, 250)), "JPEG"), config)


_NO_ALLOCATION = """
import resource, sys
from synsetdb.ingest.validate import ValidationConfig, inspect_image
from tests.fixtures.photos import bomb_png
data = bomb_png(50_000, 50_000)
with open("/proc/self/status") as f:
    vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
resource.setrlimit(resource.RLIMIT_AS, (vm + 512 * 2**20, resource.RLIM_INFINITY))
for max_pixels in (40_000_000, 10**12):  # our check, and Pillow's own
    result = inspect_image(data, ValidationConfig(max_pixels=max_pixels))
    assert result.code == "E_BOMB", result
print("ok")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs /proc and RLIMIT_AS")
def test_bomb_is_rejected_without_allocating_the_canvas() -> None:
    """With address space capped at +512 MiB, a 7.5 GB canvas could not even be reserved."""
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [sys.executable, "-c", _NO_ALLOCATION], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]


@pytest.mark.parametrize(("size", "ok"), [((31, 100), False), ((32, 100), True), ((64, 5), False)])
def test_too_small(size: tuple[int, int], ok: bool) -> None:
    data = encode(photo("coffee", size), "PNG")
    if ok:
        assert inspected(data).width == size[0]
    else:
        assert "32" in rejected(data, "E_TOO_SMALL").detail


@pytest.mark.parametrize(
    ("size", "ok"), [((1000, 40), False), ((800, 40), True), ((40, 900), False)]
)
def test_aspect_ratio(size: tuple[int, int], ok: bool) -> None:
    data = encode(photo("rocket", size), "JPEG")
    if ok:
        assert inspected(data).height == size[1]
    else:
        rejected(data, "E_ASPECT")


def test_never_raises_on_damaged_bytes() -> None:
    """Cuts and scribbles anywhere in every format: a record with a known code, no exception."""
    rng = random.Random(1234)
    image = photo("astronaut", (120, 90))
    seen: set[str] = set()
    for fmt, options in ACCEPTED:
        data = encode(image, fmt, **options)
        for _ in range(25):
            damaged = bytearray(data[: rng.randrange(1, len(data))])
            for _ in range(rng.randrange(0, 4)):
                at = rng.randrange(len(damaged))
                damaged[at : at + 8] = rng.randbytes(len(damaged[at : at + 8]))
            result = inspect_image(bytes(damaged), CONFIG)
            code = result.code if isinstance(result, Rejected) else "OK"
            assert code in CODES | {"OK"}
            seen.add(code)
    assert {"E_TRUNCATED", "E_DECODE"} <= seen


def test_pillow_globals_are_left_alone() -> None:
    before = (ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS, list(warnings.filters))
    jpeg = encode(photo("chelsea"), "JPEG")
    rejected(jpeg[: len(jpeg) // 2], "E_TRUNCATED")
    rejected(bomb_png(10_000, 10_000), "E_BOMB")
    after = (ImageFile.LOAD_TRUNCATED_IMAGES, Image.MAX_IMAGE_PIXELS, list(warnings.filters))
    assert after == before
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


# --- configuration -------------------------------------------------------------------------


def test_config_defaults_and_immutability() -> None:
    config = ValidationConfig()
    assert (config.min_side, config.max_pixels, config.max_aspect) == (32, 40_000_000, 20.0)
    assert (config.thumbnail_side, config.thumbnail_quality, config.make_thumbnail) == (
        256,
        85,
        True,
    )
    assert (config.resize_side, config.resize_quality) == (None, 90)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.min_side = 1  # type: ignore[misc]
    assert not hasattr(config, "__dict__")


@pytest.mark.parametrize(
    "options",
    [
        {"min_side": 0},
        {"min_side": -5},
        {"min_side": 2.5},
        {"min_side": True},
        {"max_pixels": 0},
        {"min_side": 10_000, "max_pixels": 1_000_000},
        {"max_aspect": 0.5},
        {"max_aspect": float("nan")},
        {"max_aspect": "20"},
        {"thumbnail_side": 0},
        {"thumbnail_quality": 0},
        {"thumbnail_quality": 101},
        {"make_thumbnail": "yes"},
        {"resize_side": 0},
        {"resize_side": -256},
        {"resize_side": 256.0},
        {"resize_side": True},
        {"resize_side": "256"},
        {"resize_quality": 0},
        {"resize_quality": 101},
        {"resize_quality": None},
    ],
    ids=str,
)
def test_config_rejects_nonsense(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as raised:
        ValidationConfig(**options)
    assert raised.value.code == "E_CONFIG"
    assert isinstance(raised.value, ValueError)
