"""Validation of candidate image bytes: identity, format, size limits, full decode, renditions.

:func:`inspect_image` never raises for bad input; each failure is a
:class:`~synsetdb.ingest.items.Rejected` record with one of these codes, checked in order:

- ``E_EMPTY``: no bytes at all.
- ``E_FORMAT``: the bytes' signature is not JPEG (MPO included), PNG, WebP, GIF,
  TIFF or BMP. Only the bytes decide, never a file name or an HTTP header.
- ``E_BOMB``, ``E_TOO_SMALL``, ``E_ASPECT``: size limits, from the header,
  before any pixel data is decoded.
- ``E_TRUNCATED``, ``E_DECODE``: the full decode (first frame of animations and
  multi-page files) fails because data is missing or corrupt.
- ``E_CORRUPT_DATA``: the file decodes, but its data is damaged where the
  decoder repairs it silently (:mod:`synsetdb.imaging.integrity`): a PNG chunk
  whose CRC does not match, a JPEG whose blocks and entropy-coded data do not
  end together (libjpeg's "Corrupt JPEG data: premature end of data segment"
  or "extraneous bytes", the rows it fills with grey) or whose restart markers
  are missing or out of order. With ``ValidationConfig.corrupt = "flag"`` such
  an image is accepted instead, as a :class:`Flagged` record carrying the
  code and detail.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Literal

from PIL import Image, UnidentifiedImageError

from synsetdb.errors import ConfigError
from synsetdb.imaging.integrity import (
    jpeg_layout,
    load_checked,
    png_crc_problem,
    restart_problem,
)
from synsetdb.imaging.variants import pack, variant_hashes
from synsetdb.ingest.items import Inspected, Rejected
from synsetdb.ingest.phash import phash
from synsetdb.ingest.renditions import draft_for, resized, thumbnail, to_rgb, upright

__all__ = ["CORRUPT_POLICIES", "Flagged", "ValidationConfig", "inspect_image"]

CORRUPT_POLICIES = ("reject", "flag")

_DETAIL_CHARS = 160
# JPEGs decode at a reduced DCT scale when renditions this long (or thumbnail_side,
# if longer) remain possible; the pHash hardly depends on the scale.
_RENDER_SIDE = 256
# Signatures of the accepted formats (WebP aside), as Pillow's plugins recognise them.
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "JPEG": (b"\xff\xd8\xff",),
    "PNG": (b"\x89PNG\r\n\x1a\n",),
    "GIF": (b"GIF87a", b"GIF89a"),
    "TIFF": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
    "BMP": (b"BM",),
}
# What often arrives instead of an image, named in the reject detail (compared lowercased).
_NOT_IMAGES: dict[str, tuple[bytes, ...]] = {
    "an HTML page": (b"<!doctype html", b"<html"),
    "XML or SVG": (b"<?xml", b"<svg"),
    "a PDF document": (b"%pdf",),
    "JSON": (b"{", b"["),
}


@dataclass(frozen=True, slots=True)
class ValidationConfig:
    """Limits an image must meet to be stored, and how its renditions are made.

    Attributes:
        min_side: reject (``E_TOO_SMALL``) when the shorter side is below this.
        max_pixels: reject (``E_BOMB``) when width × height exceeds this, checked
            from the header before any pixel is decoded. Pillow's own
            ``Image.MAX_IMAGE_PIXELS`` (about 89 million by default) also applies.
        max_aspect: reject (``E_ASPECT``) when longer side / shorter side exceeds this.
        thumbnail_side: the longest side of the thumbnail, in pixels, at most. A
            JPEG's may be up to 3% shorter: decoded at a reduced DCT scale, not resampled.
        thumbnail_quality: JPEG quality of the thumbnail, 1–100.
        make_thumbnail: whether to make a thumbnail at all.
        resize_side: when set, every accepted image also gets a resized copy
            (rendition ``resized-<side>``): shorter side this many pixels,
            aspect kept, never upscaled, EXIF orientation applied, RGB JPEG.
        resize_quality: JPEG quality of the resized copy, 1–100.
        variant_hashes: also hash what people make of the picture (crops, turns, its
            mirror image: :mod:`synsetdb.imaging.variants`), for near-duplicate
            grouping; computed here from the decoded pixels, else later from
            the stored thumbnail the first time a grouping needs them.
        corrupt: what to do with an image whose data is damaged inside a file that
            decodes (``E_CORRUPT_DATA``): ``reject`` it, or ``flag`` it (stored,
            with the code and detail kept).
    """

    min_side: int = 32
    max_pixels: int = 40_000_000
    max_aspect: float = 20.0
    thumbnail_side: int = 256
    thumbnail_quality: int = 85
    make_thumbnail: bool = True
    variant_hashes: bool = True
    resize_side: int | None = None
    resize_quality: int = 90
    corrupt: str = "reject"

    def __post_init__(self) -> None:
        named = ("min_side", "max_pixels", "thumbnail_side", "thumbnail_quality", "resize_quality")
        optional = ("resize_side",) if self.resize_side is not None else ()
        for name in named + optional:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        for name in ("thumbnail_quality", "resize_quality"):
            if getattr(self, name) > 100:
                raise ConfigError(f"{name} must be <= 100, got {getattr(self, name)}")
        if self.min_side**2 > self.max_pixels:
            raise ConfigError(f"min_side {self.min_side} squared exceeds max_pixels: none can pass")
        aspect = self.max_aspect
        if isinstance(aspect, bool) or not isinstance(aspect, int | float) or not aspect >= 1:
            raise ConfigError(f"max_aspect must be a number >= 1, got {aspect!r}")  # NaN too
        if not isinstance(self.make_thumbnail, bool):
            raise ConfigError(f"make_thumbnail must be a bool, got {self.make_thumbnail!r}")
        if self.corrupt not in CORRUPT_POLICIES:
            raise ConfigError(f"corrupt must be 'reject' or 'flag', got {self.corrupt!r}")


@dataclass(frozen=True, slots=True)
class Flagged(Inspected):
    """A valid image accepted with a finding (``corrupt = "flag"``): ``code`` and ``detail``
    say what is wrong with it, to be recorded with the image rather than instead of it."""

    code: str = "E_CORRUPT_DATA"
    detail: str = ""


class _Reject(Exception):
    """Internal: ends the inspection of one image with a reason code."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code, detail[:_DETAIL_CHARS])
        self.code, self.detail = self.args


def inspect_image(data: bytes, config: ValidationConfig) -> Inspected | Rejected:
    """Validate the bytes of one image and compute its identity and renditions.

    The checks and their reject codes are listed in the module docstring.
    ``width`` and ``height`` are those of the stored original as decoded,
    before EXIF orientation: they describe the bytes that are kept, and the
    pixel grid that bounding boxes (ILSVRC's VOC XML) are given in. The
    thumbnail, the resized copy (when ``config.resize_side`` asks for one) and
    the perceptual hash are made in display orientation (EXIF applied), from
    an RGB rendition with alpha on white. ``sha256`` is always
    that of ``data`` exactly as given. ``format`` is Pillow's name, with MPO
    (multi-picture JPEG from cameras) reported as ``JPEG``.

    Args:
        data: the original bytes of the file.
        config: the limits and rendition settings.

    Returns:
        An ``Inspected`` record, or a ``Rejected`` one with a code and a short detail.

    Raises:
        MemoryError: only when the machine, not the input, runs out of memory.
    """
    if not data:
        return Rejected("E_EMPTY", "zero bytes")
    digest = hashlib.sha256(data).hexdigest()
    try:
        return _inspect(data, digest, config)
    except _Reject as reject:
        return Rejected(reject.code, reject.detail, digest)


def _inspect(data: bytes, digest: str, config: ValidationConfig) -> Inspected:
    fmt = _sniff(data)
    if fmt is None:
        raise _Reject("E_FORMAT", f"not an accepted image format: {_describe(data)}")
    finding = png_crc_problem(data) if fmt == "PNG" else None
    _corrupt(finding, config)
    with warnings.catch_warnings():
        # Pillow's bomb warning becomes an error (a reject); its corrupt-EXIF and
        # similar UserWarnings would only flood the log of a large ingest. (The
        # filters are process-wide: workers are processes, not threads.)
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        warnings.simplefilter("ignore", UserWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=(fmt,))
            width, height = image.size
            _check_geometry(width, height, config)
            draft_for(image, max(config.thumbnail_side, _RENDER_SIDE), config.resize_side)
            finding = finding or _load(image, data, fmt)
            _corrupt(finding, config)
            rgb = to_rgb(upright(image))
            thumb = None
            if config.make_thumbnail:
                thumb = thumbnail(rgb, config.thumbnail_side, config.thumbnail_quality)
            copy = None
            if config.resize_side is not None:
                # The full size in display orientation: EXIF's quarter turns swap the sides.
                full = (height, width) if rgb.size != image.size else (width, height)
                copy = resized(rgb, config.resize_side, config.resize_quality, full)
            image_hash = phash(rgb)
            variants = pack(variant_hashes(rgb)) if config.variant_hashes else None
        except (_Reject, MemoryError):
            raise
        except Exception as error:  # any failure of a decoder is a property of the input
            raise _classify(error, data, fmt) from error
    facts = {
        "sha256": digest,
        "width": width,
        "height": height,
        "format": "JPEG" if image.format == "MPO" else fmt,
        "byte_size": len(data),
        "phash": image_hash,
        "thumbnail": thumb,
        "resized": copy,
        "variants": variants,
    }
    if finding is not None:
        return Flagged(**facts, detail=finding[:_DETAIL_CHARS])  # type: ignore[arg-type]
    return Inspected(**facts)  # type: ignore[arg-type]


def _load(image: Image.Image, data: bytes, fmt: str) -> str | None:
    """Decode the image; for a JPEG, say what is corrupt in the data (None: nothing found)."""
    if fmt != "JPEG":
        image.load()
        return None
    layout = jpeg_layout(data)
    found = load_checked(image, data, layout)  # type: ignore[arg-type]
    return found or (restart_problem(data, layout) if layout is not None else None)


def _corrupt(finding: str | None, config: ValidationConfig) -> None:
    """Reject for corrupt data, unless the policy flags it."""
    if finding is not None and config.corrupt == "reject":
        raise _Reject("E_CORRUPT_DATA", finding)


def _check_geometry(width: int, height: int, config: ValidationConfig) -> None:
    pixels = width * height
    if pixels > config.max_pixels:
        raise _Reject("E_BOMB", f"{width}x{height} = {pixels:,} pixels > {config.max_pixels:,}")
    if min(width, height) < config.min_side:
        raise _Reject("E_TOO_SMALL", f"{width}x{height}: a side is under {config.min_side}")
    aspect = max(width, height) / min(width, height)
    if aspect > config.max_aspect:
        raise _Reject("E_ASPECT", f"{width}x{height}: aspect {aspect:.1f} over {config.max_aspect}")


def _classify(error: Exception, data: bytes, fmt: str) -> _Reject:
    """Map an exception raised while opening or decoding to a reject."""
    if isinstance(error, Image.DecompressionBombError | Image.DecompressionBombWarning):
        return _Reject("E_BOMB", f"Pillow's bomb guard: {str(error).split(',')[0]}")
    message = str(error)
    if "truncated" in message.lower() or _ends_early(data, fmt):
        return _Reject("E_TRUNCATED", f"{fmt}: {message or 'data ends early'}")
    if isinstance(error, UnidentifiedImageError):
        return _Reject("E_DECODE", f"{fmt} signature but its header cannot be read")
    return _Reject("E_DECODE", f"{fmt}: {type(error).__name__}: {message}")


def _sniff(data: bytes) -> str | None:
    """The accepted format that ``data`` starts like, or None."""
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "WEBP"
    return next((fmt for fmt, prefixes in _SIGNATURES.items() if data.startswith(prefixes)), None)


def _describe(data: bytes) -> str:
    """Name what some non-image bytes look like, for a human reading the reject."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if data[4:8] == b"ftyp":
        return "an ISO media file (AVIF, HEIC or video)"
    kind = next((kind for kind, prefixes in _NOT_IMAGES.items() if head.startswith(prefixes)), None)
    return kind or f"unrecognised bytes {data[:8].hex(' ')}"


def _ends_early(data: bytes, fmt: str) -> bool:
    """Whether the structure of a file that failed to decode says it was cut short.

    Pillow names most cut files truncated itself, but not those cut inside the
    headers, nor WebP files; only consulted once decoding has failed.
    """
    size = len(data)
    if fmt == "PNG":  # a chunk runs past the end before IEND
        pos = 8
        while pos + 8 <= size:
            kind = data[pos + 4 : pos + 8]
            if kind == b"IEND" or not kind.isalpha():  # complete, or corrupt rather than cut
                return False
            pos += 12 + int.from_bytes(data[pos : pos + 4], "big")
        return True
    if fmt == "WEBP":
        return size < 8 + int.from_bytes(data[4:8], "little")
    if fmt == "GIF":
        return not data.endswith(b";")  # the trailer
    if fmt == "BMP":
        return size < 18 or size < int.from_bytes(data[2:6], "little")
    if fmt == "TIFF":  # the first directory lies (partly) past the end
        big = data[2:4] in (b"+\x00", b"\x00+")  # BigTIFF: 8-byte offsets and counts
        order: Literal["little", "big"] = "little" if data[:2] == b"II" else "big"
        at = int.from_bytes(data[8:16] if big else data[4:8], order)
        count = int.from_bytes(data[at : at + (8 if big else 2)], order)
        entries = at + (8 + count * 20 + 8 if big else 2 + count * 12 + 4)
        return size < (16 if big else 8) or at + 2 > size or entries > size
    return False
