"""Draft decode, EXIF orientation, resize-and-crop and uint8 tensors, on real photographs."""

from __future__ import annotations

import io
import pickle
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from synsetdb.loaders import DecodeError
from synsetdb.loaders.decode import (
    DraftDecoder,
    DraftResize,
    ResizeCenterCrop,
    decode_image,
    draft_size,
    load_image,
    resize_center_crop,
    resize_center_crop_tensor,
    to_tensor_uint8,
)
from tests.fixtures.photos import encode, orientation_exif, photo

BIG = encode(photo("astronaut", (1000, 750)), "JPEG", quality=90)


def diff(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute difference per channel value."""
    return float(np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).mean())


def best_of(runs: int, fn: object) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


# ----------------------------------------------------------------------------- draft


@pytest.mark.parametrize(
    ("min_side", "size"),
    [
        (700, (1000, 750)),
        (375, (500, 375)),
        (300, (500, 375)),
        (187, (250, 188)),
        (188, (500, 375)),
        (90, (125, 94)),
    ],
)
def test_a_jpeg_is_decoded_at_the_smallest_scale_not_below_min_side(
    min_side: int, size: tuple[int, int]
) -> None:
    image = decode_image(BIG, min_side=min_side)
    assert image.size == size and image.mode == "RGB"
    assert min(image.size) >= min_side


@pytest.mark.parametrize("shape", [(1000, 750), (750, 1000), (999, 333), (640, 641), (97, 3001)])
def test_draft_never_goes_below_the_requested_side(shape: tuple[int, int]) -> None:
    data = encode(photo("coffee", shape), "JPEG", quality=85)
    for min_side in range(1, min(shape) + 1, 7):
        decoded = decode_image(data, min_side=min_side)
        assert min(decoded.size) >= min_side, (shape, min_side, decoded.size)
        eighth = tuple(-(-side // 8) for side in shape)
        assert min(decoded.size) < 2 * min_side or decoded.size == eighth  # as small as allowed


def test_draft_is_faster_for_a_jpeg() -> None:
    # Entropy decoding is not reduced, only the IDCT and colour work: 1/8 scale takes
    # about 40% of the full decode here; the bound leaves room for a busy machine.
    full = best_of(9, lambda: decode_image(BIG))
    eighth = best_of(9, lambda: decode_image(BIG, min_side=90))  # decodes 125x94
    assert eighth < 0.75 * full, (eighth, full)


def test_other_formats_are_decoded_in_full() -> None:
    png = encode(photo("astronaut", (1000, 750)), "PNG")
    webp = encode(photo("astronaut", (1000, 750)), "WEBP", quality=90)
    for data in (png, webp):
        assert decode_image(data, min_side=100).size == (1000, 750)
    assert draft_size((1000, 750), 100) == (133, 100)  # what a JPEG would have been asked for
    assert draft_size((1000, 750), 376) is None  # no DCT scale can help


def test_the_reduced_decode_looks_like_a_resize_of_the_full_one() -> None:
    reduced = decode_image(BIG, min_side=300)
    full = decode_image(BIG).resize(reduced.size, Image.Resampling.BOX)
    assert diff(reduced, full) < 3


def test_grey_and_cmyk_jpegs_come_back_rgb() -> None:
    grey = encode(photo("camera", (400, 400)).convert("L"), "JPEG")
    cmyk = encode(photo("coffee", (400, 300)).convert("CMYK"), "JPEG")
    assert decode_image(grey, min_side=100).mode == "RGB"
    assert decode_image(grey, min_side=100).size == (100, 100)
    assert decode_image(cmyk, min_side=100).mode == "RGB"


# ----------------------------------------------------------------------------- EXIF


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_exif_orientation_is_applied(orientation: int) -> None:
    stored = photo("rocket", (400, 200))
    data = encode(stored, "JPEG", quality=95, exif=orientation_exif(orientation))
    want = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")
    upright = (400, 200) if orientation in (1, 3) else (200, 400)
    got = decode_image(data)
    assert got.size == want.size == upright
    assert diff(got, want) == 0
    small = decode_image(data, min_side=100)  # drafted to 1/2, then turned
    assert small.size == (upright[0] // 2, upright[1] // 2)
    assert diff(small, want.resize(small.size, Image.Resampling.BOX)) < 4


def test_bytes_that_are_not_an_image_are_e_decode() -> None:
    for data in (b"", b"GIF89a broken", BIG[: len(BIG) // 3]):
        with pytest.raises(DecodeError) as err:
            decode_image(data, min_side=64)
        assert err.value.code == "E_DECODE"


# ----------------------------------------------------------------------------- resize, tensors


def torchvision_like(image: Image.Image, size: int, resize: int) -> Image.Image:
    """torchvision's Resize(resize) then CenterCrop(size) on a PIL image, written out."""
    w, h = image.size
    short, long_ = (w, h) if w <= h else (h, w)
    long_side = int(resize * long_ / short)
    new = (resize, long_side) if w <= h else (long_side, resize)
    resized = image.resize(new, Image.Resampling.BILINEAR)
    left, top = round((new[0] - size) / 2), round((new[1] - size) / 2)
    return resized.crop((left, top, left + size, top + size))


@pytest.mark.parametrize("shape", [(500, 375), (375, 500), (333, 500), (100, 80)])
def test_resize_center_crop_matches_resize_then_crop(shape: tuple[int, int]) -> None:
    image = photo("chelsea", shape)
    ours = resize_center_crop(image, 224, resize=256)
    assert ours.size == (224, 224)
    assert diff(ours, torchvision_like(image, 224, 256)) < 0.5
    assert resize_center_crop(image, 64).size == (64, 64)
    assert ResizeCenterCrop(64)(image) == resize_center_crop(image, 64)


def test_to_tensor_uint8_is_channels_first() -> None:
    image = photo("coffee", (40, 30))
    tensor = to_tensor_uint8(image)
    assert tensor.shape == (3, 30, 40) and tensor.dtype == torch.uint8 and tensor.is_contiguous()
    assert np.array_equal(tensor.permute(1, 2, 0).numpy(), np.asarray(image))
    assert to_tensor_uint8(image.convert("L")).shape == (3, 30, 40)


def test_draft_resize_goes_from_bytes_or_a_path_to_a_tensor(tmp_path: Path) -> None:
    path = tmp_path / "a.JPEG"
    path.write_bytes(BIG)
    to_tensor = DraftResize(224, resize=256)
    from_bytes, from_path = to_tensor(BIG), to_tensor(path)
    assert isinstance(from_bytes, torch.Tensor) and from_bytes.shape == (3, 224, 224)
    assert torch.equal(from_bytes, from_path)  # type: ignore[arg-type]
    full = load_image(path)
    exact = to_tensor_uint8(resize_center_crop(full, 224, resize=256))
    mean_diff = (from_bytes.int() - exact.int()).abs().float().mean()  # type: ignore[union-attr]
    assert mean_diff < 3  # decoded at 1/2 scale (500x375), then resized by torch
    image = DraftResize(224, resize=256, tensor=False)(BIG)
    assert isinstance(image, Image.Image) and image.size == (224, 224)
    assert diff(image, resize_center_crop(full, 224, resize=256)) < 3


@pytest.mark.parametrize("shape", [(500, 375), (375, 500), (333, 500), (224, 224), (640, 230)])
def test_the_tensor_resize_matches_the_pillow_one(shape: tuple[int, int]) -> None:
    image = photo("astronaut", shape)
    by_torch = resize_center_crop_tensor(image, 224, resize=256)
    by_pil = to_tensor_uint8(resize_center_crop(image, 224, resize=256))
    assert by_torch.shape == (3, 224, 224) and by_torch.dtype == torch.uint8
    assert by_torch.is_contiguous()
    # the crop box is rounded to whole source pixels (up to half a pixel of shift, the
    # astronaut's fine detail makes that about 2 levels of 255 on average)
    assert (by_torch.int() - by_pil.int()).abs().float().mean() < 3
    assert resize_center_crop_tensor(image.convert("L"), 32).shape == (3, 32, 32)


def test_resize_below_the_crop_is_refused() -> None:
    with pytest.raises(ValueError, match="at least the crop"):
        resize_center_crop(photo("coffee", (300, 200)), 224, resize=200)


def test_the_decoders_pickle() -> None:
    for fn in (DraftDecoder(128), DraftResize(96), ResizeCenterCrop(32)):
        assert pickle.loads(pickle.dumps(fn)) == fn
    assert DraftDecoder(128)(BIG).size == (250, 188)  # 1/4: 1/8 would be 125x94
