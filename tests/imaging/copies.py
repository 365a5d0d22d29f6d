"""What people make of one photo: crops, straightened turns, mirror images, rescales, JPEGs."""

from __future__ import annotations

import io
import math

from PIL import Image

__all__ = ["crop", "mirror", "recompress", "rescale", "straighten"]


def crop(image: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    """Cut these fractions of the width and height off each side."""
    w, h = image.size
    box = (round(left * w), round(top * h), round(w - right * w), round(h - bottom * h))
    return image.crop(box)


def straighten(image: Image.Image, degrees: float) -> Image.Image:
    """Turn, then keep the largest centred rectangle of the same shape (a straighten tool)."""
    w, h = image.size
    turned = image.rotate(degrees, resample=Image.Resampling.BICUBIC)
    t = math.radians(abs(degrees))
    keep = min(w / (w * math.cos(t) + h * math.sin(t)), h / (w * math.sin(t) + h * math.cos(t)))
    box = ((w - w * keep) / 2, (h - h * keep) / 2, (w + w * keep) / 2, (h + h * keep) / 2)
    return turned.crop(tuple(round(v) for v in box))


def mirror(image: Image.Image) -> Image.Image:
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def rescale(image: Image.Image, factor: float) -> Image.Image:
    w, h = image.size
    return image.resize((round(w * factor), round(h * factor)), Image.Resampling.BICUBIC)


def recompress(image: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")
