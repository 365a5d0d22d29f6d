"""Renditions of a decoded image: 8-bit RGB, JPEG thumbnails and resized copies.

The thumbnail, the resized copy and the perceptual hash all start from
:func:`to_rgb`, so every mode Pillow decodes (palette, alpha, CMYK, 16-bit,
1-bit…) is judged the same way.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps

from synsetdb.ingest.items import Rendition

__all__ = [
    "draft_for",
    "fit_shorter",
    "fit_within",
    "resized",
    "thumbnail",
    "to_rgb",
    "upright",
]

_WHITE = (255, 255, 255)
_ORIENTATION = 0x0112  # the EXIF tag
# Modes with an alpha channel; "transparency" in ``info`` (a palette index or a
# tRNS colour key) makes any other mode transparent too.
_ALPHA_MODES = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})
# Renditions resample like Pillow's own Image.thumbnail: bicubic, after a cheap
# integer box reduction when shrinking by more than twice. Lanczos costs ~40% more
# time here for no difference visible at thumbnail size.
_RESAMPLE = Image.Resampling.BICUBIC
_REDUCING_GAP = 2.0
# A JPEG may decode at a DCT scale that leaves its renditions up to 3% short.
_DRAFT_SLACK = 0.97


def to_rgb(image: Image.Image) -> Image.Image:
    """Return ``image`` as 8-bit RGB, alpha composited on white.

    Integer and float grey modes (``I;16`` from 16-bit PNGs, ``I``, ``F``) are
    scaled to 0–255; Pillow's own ``convert("L")`` clips them instead, and a
    16-bit photo comes out nearly all white.
    CMYK, YCbCr, 1-bit and palette images use Pillow's conversions.

    Args:
        image: a decoded image in any mode.

    Returns:
        ``image`` itself when it is already opaque RGB, otherwise a new image.
    """
    mode = image.mode
    if mode.startswith("I") or mode == "F":
        return _wide_grey_to_l(image).convert("RGB")
    if mode in _ALPHA_MODES or "transparency" in image.info:
        return _flatten(image.convert("RGBA"))
    if mode == "RGB":
        return image
    return image.convert("RGB")


def upright(image: Image.Image) -> Image.Image:
    """Return ``image`` in display orientation, its EXIF orientation tag applied.

    Returns ``image`` itself when there is nothing to turn. Malformed EXIF leaves
    the image as stored: broken metadata must not cost a good picture its renditions.
    """
    try:
        if image.getexif().get(_ORIENTATION, 1) not in range(2, 9):
            return image  # exif_transpose would return a copy
        return ImageOps.exif_transpose(image)
    except Exception:  # Pillow raises many types on odd EXIF; none is the caller's problem
        return image


def thumbnail(image: Image.Image, side: int, quality: int) -> bytes:
    """Encode a small RGB JPEG rendition of ``image``.

    The longest side becomes at most ``side`` pixels with the aspect ratio
    kept; smaller images are never upscaled. The output carries no metadata
    (no EXIF, so no orientation tag to apply twice; no ICC profile), and the
    same input gives the same bytes.

    Args:
        image: a decoded image in any mode, already in display orientation.
        side: the longest side of the result, in pixels (at least 1).
        quality: JPEG quality, 1–100.

    Returns:
        The JPEG bytes.

    Raises:
        ValueError: if ``side`` or ``quality`` is out of range.

    Example:
        >>> from PIL import Image
        >>> data = thumbnail(Image.new("RGB", (1000, 500)), 256, 85)
        >>> Image.open(io.BytesIO(data)).size
        (256, 128)
    """
    _check_rendition(side, quality)
    rgb = to_rgb(image)
    return _jpeg(rgb, fit_within(rgb.size, side), quality)


def resized(
    image: Image.Image, side: int, quality: int, full_size: tuple[int, int] | None = None
) -> Rendition:
    """Make the resized copy of ``image``: an RGB JPEG whose shorter side is ``side`` pixels.

    The aspect ratio is kept and images whose shorter side is ``side`` or less
    keep their size (never upscaled), as img2dataset's ``resize_mode=keep_ratio``
    does with ``resize_only_if_bigger``, and as trainers pre-shrink ImageNet
    (shorter side 256, then random or centre crops of 224). Resampling, colour
    conversion and metadata are as for :func:`thumbnail`.

    Args:
        image: a decoded image in any mode, already in display orientation.
        side: the shorter side of the result, in pixels (at least 1).
        quality: JPEG quality, 1–100.
        full_size: the full-resolution size in display orientation when
            ``image`` is a reduced JPEG decode (:func:`draft_for`). The copy's
            size comes from it, so it never depends on how the JPEG was decoded.

    Returns:
        A rendition of kind ``resized-<side>`` with the JPEG bytes and their size.

    Raises:
        ValueError: if ``side`` or ``quality`` is out of range.

    Example:
        >>> from PIL import Image
        >>> copy = resized(Image.new("RGB", (500, 375)), 256, 90)
        >>> (copy.kind, copy.width, copy.height)
        ('resized-256', 341, 256)
    """
    _check_rendition(side, quality)
    size = fit_shorter(full_size or image.size, side)
    return Rendition(f"resized-{side}", _jpeg(to_rgb(image), size, quality), *size)


def _check_rendition(side: int, quality: int) -> None:
    if side < 1:
        raise ValueError(f"rendition side must be at least 1, got {side}")
    if not 1 <= quality <= 100:
        raise ValueError(f"JPEG quality must be in 1..100, got {quality}")


def _jpeg(rgb: Image.Image, size: tuple[int, int], quality: int) -> bytes:
    """Resample an RGB image to ``size`` (when it differs) and encode it as a bare JPEG."""
    if size != rgb.size:
        rgb = rgb.resize(size, _RESAMPLE, reducing_gap=_REDUCING_GAP)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=quality)  # optimize=True: 2x the encode time for 4% fewer bytes
    return out.getvalue()


def draft_for(image: Image.Image, side: int, shorter: int | None = None) -> None:
    """Let a JPEG decode at a reduced DCT scale (1/2, 1/4 or 1/8) when renditions allow.

    Picks the smallest scale whose longest side is still at least 97% of
    ``side``: a 500×375 photo, ImageNet's typical size, then decodes straight
    to 250×188, with no resampling, for a 256-px thumbnail (resampling costs
    several times the decode). With ``shorter`` (the shorter side of a
    :func:`resized` copy), the scale must also leave at least 97% of that
    copy's size, so a 500×375 photo with a 256-px copy decodes in full while a
    2000×1500 one still decodes at 1/4. Call before ``load()``; other formats
    are left alone. libjpeg still entropy-decodes every block at a reduced
    scale (only the inverse DCT shrinks), so truncated and corrupt data are
    detected exactly as in a full-size decode. ``image.size`` becomes the
    reduced size.
    """
    if image.format not in ("JPEG", "MPO"):
        return
    width, height = image.size
    longest, shortest = max(width, height), min(width, height)
    # The copy's shorter side is `shorter`, or the image's own when that is not larger.
    copy = min(shortest, shorter) if shorter is not None else 0
    need_long, need_short = side * _DRAFT_SLACK, copy * _DRAFT_SLACK
    fits = (s for s in (8, 4, 2) if longest / s >= need_long and shortest / s >= need_short)
    scale = next(fits, 1)
    if scale > 1:
        # Pillow picks the largest scale that keeps both sides >= the request.
        image.draft(image.mode, (max(1, width // scale), max(1, height // scale)))


def fit_within(size: tuple[int, int], side: int) -> tuple[int, int]:
    """Scale ``(width, height)`` so the longest side is at most ``side``; never enlarge."""
    return _scaled(size, side / max(size))


def fit_shorter(size: tuple[int, int], side: int) -> tuple[int, int]:
    """Scale ``(width, height)`` so the shorter side is ``side``; never enlarge."""
    return _scaled(size, side / min(size))


def _scaled(size: tuple[int, int], scale: float) -> tuple[int, int]:
    """``size`` times ``scale`` when that shrinks it, rounded, no side under 1 pixel."""
    if scale >= 1:
        return size
    width, height = size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _flatten(rgba: Image.Image) -> Image.Image:
    """Composite an RGBA image on an opaque white background."""
    base = Image.new("RGB", rgba.size, _WHITE)
    base.paste(rgba, mask=rgba.getchannel("A"))
    return base


def _wide_grey_to_l(image: Image.Image) -> Image.Image:
    """Scale a 16/32-bit integer or float grey image to 8-bit ``L``.

    ``I;16*`` is 16-bit by definition. For ``I`` and ``F`` the range is not
    recorded in the mode, so values above 255 are taken as 16-bit and a float
    image within 0–1 as normalised.
    """
    pixels = np.asarray(image, dtype=np.float64)
    peak = float(pixels.max(initial=0.0))
    if image.mode.startswith("I;16") or peak > 255.0:
        pixels = np.clip(pixels, 0.0, 65535.0) / 257.0
    elif image.mode == "F" and peak <= 1.0:
        pixels = pixels * 255.0
    grey = np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
    return Image.fromarray(grey)
