"""Fast decode: JPEGs decoded at a reduced DCT scale when the transform shrinks them anyway.

A JPEG holds 8×8 blocks of frequencies; libjpeg can reconstruct each block at
1/2, 1/4 or 1/8 of its size for a fraction of the work (PIL's
``Image.draft``). When a transform will shrink the image's shorter side to
``min_side`` pixels, decoding at the smallest such scale whose shorter side is
still at least ``min_side`` loses nothing the transform keeps. Other formats
are decoded in full. EXIF orientation is applied, and the result is RGB.

Nothing here needs torchvision; only the tensor functions need torch, which
they import when called::

    from synsetdb.loaders.decode import DraftResize

    to_tensor = DraftResize(224, resize=256)   # bytes or path -> 3×224×224 uint8 tensor
    tensor = to_tensor(jpeg_bytes)

An ImageNet-sized photograph (500×375) cannot be decoded smaller for a 256
shorter side (1/2 would give 188), so there the work saved is in the resize:
only the pixels the crop keeps are resampled, by torch's vectorised
antialiased kernel when the result is a tensor.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageOps

from .errors import DecodeError, ImageReadError

if TYPE_CHECKING:
    import torch

__all__ = [
    "DraftDecoder",
    "DraftResize",
    "ResizeCenterCrop",
    "crop_box",
    "decode_image",
    "draft_size",
    "load_image",
    "resize_center_crop",
    "resize_center_crop_tensor",
    "to_tensor_uint8",
]

ImageSource = bytes | str | os.PathLike[str]
_ORIENTATION = 0x0112
_JPEG = ("JPEG", "MPO")  # MPO: a camera JPEG with extra frames; the first decodes alike


# ----------------------------------------------------------------------------- decode


def decode_image(data: bytes, *, min_side: int | None = None) -> Image.Image:
    """Decode image bytes to an RGB image, upright as its EXIF orientation says.

    Args:
        data: the encoded image (JPEG, PNG, WebP, … anything Pillow reads).
        min_side: the shorter side a later transform will shrink the image to.
            A JPEG is then decoded at the smallest DCT scale (1/2, 1/4, 1/8)
            whose shorter side is still at least ``min_side``; never below it.
            ``None``: full size.

    Raises:
        DecodeError: ``E_DECODE`` when the bytes are not a readable image.

    Example:
        >>> image = decode_image(jpeg_bytes, min_side=256)  # doctest: +SKIP
        >>> min(image.size) >= 256 or min(image.size) == min(original.size)  # doctest: +SKIP
        True
    """
    try:
        opened = Image.open(io.BytesIO(data))
        if opened.format in _JPEG and min_side is not None:
            target = draft_size(opened.size, min_side)
            if target is not None:
                opened.draft("RGB", target)
        opened.load()
        image = _upright(opened)
        return image if image.mode == "RGB" else image.convert("RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise DecodeError(f"cannot decode image ({len(data)} bytes): {e}") from e


def draft_size(size: tuple[int, int], min_side: int) -> tuple[int, int] | None:
    """The size to ask ``Image.draft`` for, or None when no reduction can help.

    It is the image's size with its shorter side scaled to ``min_side`` (the
    longer side rounded down: only the shorter side is a bound); draft picks
    the largest DCT scale that keeps the result at least that large.
    """
    width, height = size
    short = min(width, height)
    if short < 2 * min_side:  # even 1/2 would go below min_side
        return None
    return (max(1, width * min_side // short), max(1, height * min_side // short))


def _upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation tag, if any (cheap when there is no EXIF block)."""
    if "exif" not in image.info:
        return image
    if image.getexif().get(_ORIENTATION, 1) in (None, 1):
        return image
    return ImageOps.exif_transpose(image)


def load_image(path: str | os.PathLike[str]) -> Image.Image:
    """Read and decode one file to RGB (the default ``loader`` of the folder datasets).

    Raises:
        ImageReadError: ``E_IMAGE_READ`` when the file is gone or unreadable.
        DecodeError: ``E_DECODE`` when it is not an image.
    """
    return decode_image(_read(path))


def _read(source: ImageSource) -> bytes:
    if isinstance(source, bytes):
        return source
    try:
        return Path(source).read_bytes()
    except OSError as e:  # a class per code: the code survives a DataLoader worker
        raise ImageReadError(f"cannot read image file {source}: {e.strerror or e}") from e


@dataclass(frozen=True, slots=True)
class DraftDecoder:
    """``decode_image`` with fixed options, as a picklable callable.

    Takes bytes or a path, so it serves as WebDatasetShards' ``decode``, as
    ReleaseDataset's ``loader`` and as ImageFolderExport's ``loader`` alike.
    """

    min_side: int | None = None

    def __call__(self, source: ImageSource) -> Image.Image:
        return decode_image(_read(source), min_side=self.min_side)


# ----------------------------------------------------------------------------- resize


def crop_box(size: tuple[int, int], crop: int, resize: int) -> tuple[float, float, float, float]:
    """Where torchvision's ``Resize(resize)`` + ``CenterCrop(crop)`` take their pixels from.

    Returns the crop as a box in source pixels (left, top, right, bottom): the
    same integer resized size and crop offsets as torchvision, mapped back.

    Raises:
        ValueError: when ``resize`` is smaller than ``crop``.
    """
    if resize < crop:
        raise ValueError(f"resize ({resize}) must be at least the crop size ({crop})")
    width, height = size
    short, long_ = sorted((width, height))
    new_long = int(resize * long_ / short)
    new_w, new_h = (resize, new_long) if width <= height else (new_long, resize)
    left, top = round((new_w - crop) / 2), round((new_h - crop) / 2)
    sx, sy = width / new_w, height / new_h  # source pixels per resized pixel
    return (left * sx, top * sy, (left + crop) * sx, (top + crop) * sy)


def resize_center_crop(
    image: Image.Image,
    size: int = 224,
    *,
    resize: int | None = None,
    resample: Image.Resampling = Image.Resampling.BILINEAR,
) -> Image.Image:
    """Scale the shorter side to ``resize`` (default ``size``), then crop the centre ``size``².

    The same pixels as torchvision's ``Resize(resize)`` then ``CenterCrop(size)``
    on a PIL image, in one antialiased ``Image.resize`` over only the source
    pixels the crop keeps.
    """
    box = crop_box(image.size, size, resize or size)
    return image.resize((size, size), resample, box=box)


@dataclass(frozen=True, slots=True)
class ResizeCenterCrop:
    """``resize_center_crop`` as a picklable transform (image -> image)."""

    size: int = 224
    resize: int | None = None

    def __call__(self, image: Image.Image) -> Image.Image:
        return resize_center_crop(image, self.size, resize=self.resize)


def to_tensor_uint8(image: Image.Image) -> torch.Tensor:
    """An RGB image as a C×H×W ``torch.uint8`` tensor (what torchvision's ``PILToTensor`` gives).

    Imports torch on first use (the ``torch`` extra).
    """
    import numpy as np
    import torch

    if image.mode != "RGB":
        image = image.convert("RGB")
    return torch.from_numpy(np.ascontiguousarray(np.asarray(image).transpose(2, 0, 1)))


def resize_center_crop_tensor(
    image: Image.Image, size: int = 224, *, resize: int | None = None
) -> torch.Tensor:
    """``to_tensor_uint8(resize_center_crop(...))``, resampled by torch.

    torch's antialiased bilinear kernel for ``uint8`` (vectorised; the one
    torchvision's tensor transforms use) is about twice as fast as Pillow's
    here. The crop box is rounded to whole source pixels (at most half a
    pixel from ``resize_center_crop``'s); pixel values differ from it by about
    one level of 255 on average.
    """
    import numpy as np
    import torch
    from torch.nn.functional import interpolate

    if image.mode != "RGB":
        image = image.convert("RGB")
    x0, y0, x1, y1 = (round(v) for v in crop_box(image.size, size, resize or size))
    region = np.array(np.asarray(image)[y0:y1, x0:x1])  # a writable copy of the crop alone
    batch = torch.from_numpy(region).permute(2, 0, 1).unsqueeze(0)
    out = interpolate(batch, size=(size, size), mode="bilinear", antialias=True)
    return out[0].contiguous()


@dataclass(frozen=True, slots=True)
class DraftResize:
    """Bytes or a path straight to a ``size``² centre crop: draft decode, resize, crop.

    The decode is told the shorter side the resize goes to, so JPEGs large
    enough are decoded at a reduced DCT scale first (see ``decode_image``);
    the resize then resamples only the pixels the crop keeps.

    Attributes:
        size: the side of the square output.
        resize: the shorter side before the centre crop (default ``size``;
            ImageNet evaluation uses 256 for a 224 crop).
        tensor: return a 3×size×size ``torch.uint8`` tensor, resampled by
            torch (``resize_center_crop_tensor``); else an RGB image, by Pillow.
    """

    size: int = 224
    resize: int | None = None
    tensor: bool = True

    def __call__(self, source: ImageSource) -> Image.Image | torch.Tensor:
        side = self.resize or self.size
        image = decode_image(_read(source), min_side=side)
        if self.tensor:
            return resize_center_crop_tensor(image, self.size, resize=side)
        return resize_center_crop(image, self.size, resize=side)
