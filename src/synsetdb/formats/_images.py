"""Images as a format wants them: the blob's own bytes, or decoded and encoded again.

Blobs already in a format the export keeps go out untouched (no decode). The
others, and every image when resizing, are decoded, turned upright (EXIF),
flattened to 8-bit RGB, resized so the shorter side is the target (never
upscaled; a JPEG decodes at a reduced DCT scale first when that still covers
the target) and saved as JPEG. The work runs in ``synsetdb.engine``'s process
pool; this module holds the picklable pieces.
"""

from __future__ import annotations

import io
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..catalog.blobs import BlobStore
from ..engine import LocalEngine
from ..errors import FormatError, SynsetdbError
from ..release import Release, ReleaseItem
from ..release.manifest import Box
from .base import ExportOptions

__all__ = [
    "Rendered",
    "Rendering",
    "exported_boxes",
    "output_size",
    "read_blob",
    "render",
    "render_stream",
]

_RESAMPLE = Image.Resampling.BICUBIC
_REDUCING_GAP = 2.0
_POOL_MIN = 16  # images to decode before a process pool is worth starting
_EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


@dataclass(frozen=True, slots=True)
class Rendering:
    """What an export needs of its images.

    Attributes:
        keep: blob formats (Pillow's names) written as they are.
        quality: JPEG quality for images converted from other formats.
        resize_side: the shorter side of every image, never upscaled; None: no resize.
        resize_quality: JPEG quality of resized images.
        verify: re-hash every blob against its key.
    """

    keep: frozenset[str]
    quality: int = 95
    resize_side: int | None = None
    resize_quality: int = 90
    verify: bool = True

    @classmethod
    def of(cls, options: ExportOptions, keep: frozenset[str], quality: int = 95) -> Rendering:
        """What ``options`` ask of the images, keeping formats in ``keep`` as they are."""
        return cls(
            keep=keep,
            quality=quality,
            resize_side=options.resize_side,
            resize_quality=options.resize_quality,
            verify=options.verify_blobs,
        )

    def needs_work(self, item: ReleaseItem) -> bool:
        """Whether ``item`` must be decoded (resized or converted)."""
        return self.resize_side is not None or item.format.upper() not in self.keep


@dataclass(frozen=True, slots=True)
class Rendered:
    """An image's output bytes.

    Attributes:
        data: the bytes to write.
        format: their format (``JPEG``, ``PNG``, ``WEBP``).
        reencoded: whether they were decoded and encoded here.
    """

    data: bytes
    format: str
    reencoded: bool = False

    @property
    def extension(self) -> str:
        """``jpg``, ``png`` or ``webp`` (WebDataset's and Hugging Face's spelling)."""
        return _EXTENSIONS.get(self.format, "jpg")


def read_blob(release: Release | BlobStore, item: ReleaseItem, *, verify: bool = True) -> bytes:
    """An item's blob bytes; missing and corrupt blobs become ``FormatError``s naming the item."""
    blobs = release.blobs if isinstance(release, Release) else release
    try:
        return blobs.get(item.blob, verify=verify)
    except SynsetdbError as exc:  # NotFoundError E_BLOB_MISSING, CatalogError E_BLOB_CORRUPT
        raise FormatError(
            f"item {item.name!r} ({item.split}, {item.wnid}): {exc}", code=exc.code
        ) from None
    except OSError as exc:
        raise FormatError(
            f"item {item.name!r}: cannot read blob {item.blob}: {exc}", code="E_BLOB_READ"
        ) from None


def render(blobs: BlobStore, rendering: Rendering, item: ReleaseItem) -> Rendered | None:
    """Worker side: the item's output bytes, or None when it goes out as stored.

    None lets the parent read a passthrough blob itself rather than receive its
    bytes through a pipe.
    """
    if not rendering.needs_work(item):
        return None
    data = read_blob(blobs, item, verify=rendering.verify)
    try:
        return _reencode(data, rendering, item)
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as exc:
        raise FormatError(
            f"item {item.name!r}: cannot decode its image ({exc})", code="E_DECODE"
        ) from None


def render_stream(
    release: Release, items: Sequence[ReleaseItem], rendering: Rendering, workers: int | None
) -> Generator[tuple[ReleaseItem, Rendered], None, None]:
    """Every item's output bytes, in input order.

    Items that must be decoded go to ``workers`` processes (the engine keeps a
    bounded window of them in flight, ahead of this loop); the others are read
    here, so a blob that goes out as stored never crosses a pipe. With nothing
    to decode, or too little to pay for starting one (~0.1 s), no pool is started.
    """
    work = (item for item in items if rendering.needs_work(item))
    busy = sum(1 for item in items if rendering.needs_work(item))
    engine = LocalEngine(workers if busy >= _POOL_MIN else 0, chunk_size=4)
    done = engine.imap(partial(_render_work, release.blobs, rendering), work)
    try:
        for item in items:
            if rendering.needs_work(item):
                _, rendered = next(done)
            else:
                rendered = Rendered(
                    read_blob(release, item, verify=rendering.verify), item.format.upper()
                )
            yield item, rendered
    finally:
        close = getattr(done, "close", None)
        if close is not None:
            close()  # stop the pool now when the caller stops early


def _render_work(blobs: BlobStore, rendering: Rendering, item: ReleaseItem) -> Rendered:
    rendered = render(blobs, rendering, item)
    assert rendered is not None  # only items that need work are sent
    return rendered


def output_size(size: tuple[int, int], side: int | None) -> tuple[int, int]:
    """The size an image of ``size`` gets: shorter side ``side``, aspect kept, never larger."""
    width, height = size
    if side is None or min(width, height) <= side:
        return size
    scale = side / min(width, height)
    scaled = (max(1, round(width * scale)), max(1, round(height * scale)))
    # the shorter side is exactly `side`, whatever the rounding of the longer one
    return (side, scaled[1]) if width <= height else (scaled[0], side)


def exported_boxes(data: bytes, rendering: Rendering, item: ReleaseItem) -> list[Box]:
    """``item.boxes`` (the stored pixel grid) in the pixels of the image the export writes.

    A blob written as it is keeps its grid and its EXIF tag, and the boxes stay
    as they are; a re-encoded image is turned upright by its EXIF orientation,
    then resized, and its boxes are turned and scaled with it.
    """
    source = Image.open(io.BytesIO(data))  # the header only
    if not _reencodes(source, rendering, item):
        return list(item.boxes)
    full = _display_size(source)
    target = output_size(full, rendering.resize_side)
    sx, sy = target[0] / full[0], target[1] / full[1]
    orientation = _orientation(source)
    upright = (_upright_box(box, source.size, orientation) for box in item.boxes)
    return [(x0 * sx, y0 * sy, x1 * sx, y1 * sy) for x0, y0, x1, y1 in upright]


def _reencodes(source: Image.Image, rendering: Rendering, item: ReleaseItem) -> bool:
    """Whether the export decodes and encodes ``item`` (else its blob goes out as it is)."""
    if not rendering.needs_work(item):
        return False
    fmt = (source.format or item.format).upper()
    full = _display_size(source)
    small = output_size(full, rendering.resize_side) == full
    return not (small and fmt == "JPEG" and "JPEG" in rendering.keep)  # never re-compress


def _reencode(data: bytes, rendering: Rendering, item: ReleaseItem) -> Rendered:
    source = Image.open(io.BytesIO(data))
    if not _reencodes(source, rendering, item):
        return Rendered(data, "JPEG")  # a JPEG already small enough
    full = _display_size(source)
    target = output_size(full, rendering.resize_side)
    if target != full:
        source.draft(source.mode, _stored_orientation(source, target))
    image = _to_rgb(_upright(source))
    if image.size != target:
        image = image.resize(target, _RESAMPLE, reducing_gap=_REDUCING_GAP)
    quality = rendering.resize_quality if rendering.resize_side is not None else rendering.quality
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return Rendered(out.getvalue(), "JPEG", reencoded=True)


_ROTATED = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:  # malformed EXIF: keep the image as stored
        return 1


def _upright(image: Image.Image) -> Image.Image:
    if _orientation(image) not in range(2, 9):
        return image
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # Pillow raises many types on odd EXIF; keep the image as stored
        return image


def _upright_box(box: Box, size: tuple[int, int], orientation: int) -> Box:
    """A box of the stored grid (of ``size``) in the grid ``ImageOps.exif_transpose`` gives."""
    x0, y0, x1, y1 = box
    w, h = size
    turned = {
        2: (w - x1, y0, w - x0, y1),  # mirrored left-right
        3: (w - x1, h - y1, w - x0, h - y0),  # rotated 180°
        4: (x0, h - y1, x1, h - y0),  # mirrored top-bottom
        5: (y0, x0, y1, x1),  # transposed
        6: (h - y1, x0, h - y0, x1),  # turned a quarter clockwise for display
        7: (h - y1, w - x1, h - y0, w - x0),  # transversed
        8: (y0, w - x1, y1, w - x0),  # turned a quarter anticlockwise for display
    }
    return turned.get(orientation, box)


def _display_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    return (height, width) if _orientation(image) in _ROTATED else (width, height)


def _stored_orientation(image: Image.Image, size: tuple[int, int]) -> tuple[int, int]:
    return (size[1], size[0]) if _orientation(image) in _ROTATED else size


def _to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB; alpha composited on white, wide greys scaled rather than clipped."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        grey = np.asarray(image.convert("F"), dtype=np.float32)
        lo, hi = float(grey.min()), float(grey.max())
        scaled = (grey - lo) * (255.0 / (hi - lo) if hi > lo else 0.0)
        return Image.fromarray(np.rint(scaled).astype(np.uint8)).convert("RGB")
    if image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")
