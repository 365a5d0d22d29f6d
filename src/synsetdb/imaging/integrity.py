"""Corrupt data inside a well-formed file: what decoders repair silently, found instead.

libjpeg decodes a JPEG whose entropy-coded data was damaged (a few kilobytes
zeroed by a disk, a transfer that scrambled a block) without an error: it
warns "Corrupt JPEG data: premature end of data segment" or "… extraneous
bytes before marker", fills the blocks it could not decode with grey, and
Pillow discards the warnings (its decoder sets no warning handler and exposes
no count). So the checks are made here, from what the decoder does:

- The blocks must end where the entropy-coded data ends. A JPEG with one
  sequential scan (baseline or extended; most photographs) is decoded in
  three steps through Pillow's incremental decoder, into an image pre-filled
  with a sentinel pattern no decoder writes, so the rows written so far can
  be told from the rest. Fed all but the scan's last 16 bytes, a sound file
  still lacks its last row of blocks; if every row is written, the blocks
  ended early and the bytes after them are garbage (*extraneous data*). Fed
  the whole scan but not the marker after it, a sound file lacks at most its
  last two rows of blocks (libjpeg needs a few bytes of look-ahead, and
  smooth upsampling one more block row); if more are missing, the data ran
  out before the blocks did (*premature end*), the rows libjpeg would fill
  with grey.
- Restart markers, where the file has them (``DRI``), must come in order
  (``RST0`` … ``RST7``, round again) and, in a sequential scan, as many as
  its restart intervals need: damage that destroys one is found even though
  libjpeg resynchronises at the next.
- Every PNG chunk's CRC must match its bytes (Pillow checks those before the
  image data only; damaged image data mostly fails to inflate, which is a
  decode error already).

Progressive JPEGs are checked for restart markers only: libjpeg reads all
their scans before it writes a row, so the decoder's progress shows nothing.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFile

__all__ = ["JpegLayout", "jpeg_layout", "load_checked", "png_crc_problem", "restart_problem"]

# Bytes of a scan held back in the first step. The last MCU always needs the
# scan's last byte, so one would do; a few spare the rare file whose encoder
# left a byte or two before the marker (libjpeg warns, the picture is whole).
_LOOKAHEAD = 4
_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # a marker that ends entropy-coded data
_RESTART = re.compile(rb"\xff[\xd0-\xd7]")
_SEQUENTIAL = (0xC0, 0xC1)  # Huffman baseline and extended sequential
_FRAMES = frozenset((0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF))
_STANDALONE = frozenset((0x01, *range(0xD0, 0xD8)))


@dataclass(frozen=True, slots=True)
class JpegLayout:
    """Where a JPEG's first frame keeps what the checks need.

    Attributes:
        frame: the SOF marker (0xC0 baseline, 0xC2 progressive, …).
        width, height: the frame's size.
        sampling: each component's (horizontal, vertical) sampling factors.
        restart_interval: MCUs per restart interval (0: no restart markers).
        scans: each scan's entropy-coded data as ``(start, end, components)``.
    """

    frame: int
    width: int
    height: int
    sampling: tuple[tuple[int, int], ...]
    restart_interval: int
    scans: tuple[tuple[int, int, int], ...]

    @property
    def single_sequential_scan(self) -> bool:
        return (
            self.frame in _SEQUENTIAL
            and len(self.scans) == 1
            and self.scans[0][2] == len(self.sampling)
        )

    @property
    def mcus(self) -> int:
        """MCUs in a scan of every component (one block each for a lone component)."""
        if len(self.sampling) == 1:
            return -(-self.width // 8) * -(-self.height // 8)
        hmax = max(h for h, _ in self.sampling)
        vmax = max(v for _, v in self.sampling)
        return -(-self.width // (8 * hmax)) * -(-self.height // (8 * vmax))

    @property
    def block_rows(self) -> int:
        """Pixel rows per row of MCUs."""
        return 8 * (max(v for _, v in self.sampling) if len(self.sampling) > 1 else 1)


def jpeg_layout(data: bytes) -> JpegLayout | None:
    """The markers of a JPEG's first image, or None when they cannot be walked (the decoder
    then judges the file alone)."""
    try:
        return _walk(data)
    except (IndexError, struct.error, ValueError):
        return None


def _walk(data: bytes) -> JpegLayout | None:
    pos, frame, size, interval = 2, 0, (0, 0), 0
    sampling: tuple[tuple[int, int], ...] = ()
    scans: list[tuple[int, int, int]] = []
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in _STANDALONE:
            pos += 2
            continue
        if marker == 0xD9:  # EOI
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        body = data[pos + 4 : pos + 2 + length]
        if marker in _FRAMES and not frame:
            frame, size = marker, struct.unpack(">HH", body[1:5])[::-1]
            sampling = tuple((b >> 4, b & 15) for b in body[7 : 6 + 3 * body[5] : 3])
        elif marker == 0xDD:
            (interval,) = struct.unpack(">H", body[:2])
        elif marker == 0xDA:
            start = pos + 2 + length
            found = _MARKER.search(data, start)
            end = found.start() if found else len(data)
            scans.append((start, end, body[0]))
            pos = end
            continue
        pos += 2 + length
    if not frame or not scans or not all(h and v for h, v in sampling):
        return None
    return JpegLayout(frame, size[0], size[1], sampling, interval, tuple(scans))


def restart_problem(data: bytes, layout: JpegLayout) -> str | None:
    """Why the restart markers of a JPEG's scans are wrong, or None."""
    if not layout.restart_interval:
        return None
    for number, (start, end, _) in enumerate(layout.scans, start=1):
        found = [data[m.start() + 1] - 0xD0 for m in _RESTART.finditer(data, start, end)]
        wrong = next((i for i, n in enumerate(found) if n != i % 8), None)
        if wrong is not None:
            seen = f"RST{found[wrong]}, not RST{wrong % 8}"
            return f"JPEG scan {number}: restart marker {wrong + 1} is {seen}"
        if layout.single_sequential_scan:
            expected = -(-layout.mcus // layout.restart_interval) - 1
            if len(found) != expected:
                need = f"its {layout.mcus} MCUs need {expected}"
                return f"JPEG: {len(found)} restart markers where {need}"
    return None


def load_checked(image: ImageFile.ImageFile, data: bytes, layout: JpegLayout | None) -> str | None:
    """Decode a JPEG opened from ``data`` (after any ``draft``), checking that its blocks and
    its entropy-coded data end together; returns why they do not, or None.

    Falls back to ``image.load()`` (no check) for anything but one sequential
    scan. Raises what ``load`` raises for data Pillow cannot decode, with the
    same messages (``image file is truncated`` for data that ends early).
    """
    tile = image.tile
    if layout is None or not layout.single_sequential_scan or len(tile) != 1 or tile[0][2] != 0:
        image.load()
        return None
    (name, extents, _, args) = tile[0]
    width, height = image.size
    bands = len(image.getbands())
    pattern = np.random.default_rng(0x5E17).integers(0, 256, width * bands, dtype=np.uint8)
    canvas = Image.frombytes(image.mode, image.size, np.tile(pattern, height).tobytes())
    image.im = canvas.im
    image.tile = []
    decoder = Image._getdecoder(image.mode, name, args, image.decoderconfig)
    decoder.setimage(image.im, extents)
    _, end, _ = layout.scans[0]
    lag = _lag(layout, height)
    feed = _Feed(decoder)
    # (Pillow's decoder reports the image complete once every row is written,
    # without waiting for the marker that ends the scan.)
    if end - _LOOKAHEAD > layout.scans[0][0]:
        early = feed.step(data[: end - _LOOKAHEAD]) or _rows_done(image, pattern) == height
        if early:
            feed.finish(data[end - _LOOKAHEAD :] if not feed.done else b"")
            return "JPEG: its blocks end before its entropy-coded data (extraneous bytes)"
    if not feed.step(data[max(0, end - _LOOKAHEAD) : end]):
        missing = height - _rows_done(image, pattern)
        if missing > lag:
            feed.finish(data[end:])
            rows = missing * layout.height // height  # in the file's rows, not the decode's
            return f"JPEG: its entropy-coded data ends {rows} of {layout.height} rows early"
    feed.finish(data[end:])
    if _grey_last_mcu(image, layout) and _grey_corner(image, layout) and _starved(image, data, end):
        return "JPEG: its entropy-coded data ends inside its last row of blocks"
    return None


def _grey_corner(image: Image.Image, layout: JpegLayout) -> bool:
    """Whether the bottom-right MCU is mid-grey (all but the pixels chroma upsampling blends
    with its neighbours): libjpeg fills every block from where the data ran out to the
    end of the image. (A grey run anywhere in the last row, confirmed by the decode with
    filler, rejected 24 of 5,000 sound grey photographs in bench/ingest.py.)"""
    if image.mode not in ("L", "RGB"):
        return False
    scale = max(1, round(layout.height / image.height))
    rows = layout.block_rows
    cols = 8 * (max(h for h, _ in layout.sampling) if len(layout.sampling) > 1 else 1)
    top = (-(-layout.height // rows) - 1) * rows // scale
    left = (-(-layout.width // cols) - 1) * cols // scale
    corner = np.asarray(image.crop((left, top, *image.size)))
    grey = corner == 128 if corner.ndim == 2 else np.all(corner == 128, axis=2)
    return bool(grey.size and grey.mean() >= 0.75)


def _grey_last_mcu(image: Image.Image, layout: JpegLayout) -> bool:
    """Whether the last row of MCUs holds a run of a block's width of mid-grey pixels
    (128 in every band): what libjpeg fills blocks with when the data ran out, and rare
    in a picture (a false alarm costs only the decode that confirms it)."""
    if image.mode not in ("L", "RGB"):
        return False
    scale = max(1, round(layout.height / image.height))
    top = (-(-layout.height // layout.block_rows) - 1) * layout.block_rows // scale
    rows = np.asarray(image.crop((0, min(top, image.height - 1), image.width, image.height)))
    grey = rows == 128 if rows.ndim == 2 else np.all(rows == 128, axis=2)
    run = max(1, 8 // scale)
    if grey.shape[1] < run:
        return False
    counts = np.cumsum(np.pad(grey, ((0, 0), (1, 0))), axis=1, dtype=np.int32)
    return bool(np.any(counts[:, run:] - counts[:, :-run] == run))


def _starved(image: Image.Image, data: bytes, end: int) -> bool:
    """Whether the decoder would read more data than the scan holds: a copy with filler
    bytes before the scan's closing marker decodes differently (a sound file's last
    block ends before them)."""
    padded = data[:end] + b"\x55" * 64 + data[end:]
    other = Image.open(io.BytesIO(padded))
    other.draft(image.mode, image.size)
    other.load()
    return other.size != image.size or not np.array_equal(np.asarray(other), np.asarray(image))


def _lag(layout: JpegLayout, height: int) -> int:
    """Rows a sound file may still lack when fed all of its scan but the marker after it:
    its last row of MCUs (libjpeg reads a few bytes ahead), and half an MCU row more
    when chroma is subsampled vertically (smooth upsampling needs the next rows)."""
    scale = max(1, round(layout.height / height))
    last_start = (-(-layout.height // layout.block_rows) - 1) * layout.block_rows
    last_rows = height - last_start // scale
    vertical = max(v for _, v in layout.sampling) > 1 and len(layout.sampling) > 1
    return last_rows + (layout.block_rows // 2 // scale if vertical else 0)


class _Feed:
    """Pillow's incremental decoding, as ``ImageFile.Parser`` does it, in steps we choose."""

    def __init__(self, decoder: Any) -> None:
        self.decoder = decoder
        self.pending = b""
        self.done = False

    def step(self, chunk: bytes) -> bool:
        """Feed more bytes; True once the image is complete."""
        if self.done:
            return True
        self.pending += chunk
        consumed, error = self.decoder.decode(self.pending)
        if consumed < 0:
            self.done = True
            if error < 0:
                status = Image.core.getcodecstatus(error)  # type: ignore[attr-defined]
                message = status or f"decoder error {error}"
                raise OSError(f"{message} when reading image file")
            return True
        self.pending = self.pending[consumed:]
        return False

    def finish(self, rest: bytes) -> None:
        if not self.done and not self.step(rest):
            raise OSError(f"image file is truncated ({len(self.pending)} bytes not processed)")


def _rows_done(image: Image.Image, pattern: NDArray[np.uint8]) -> int:
    """Rows the decoder has written: those above the trailing rows still holding the pattern."""
    rows = np.frombuffer(image.tobytes(), dtype=np.uint8).reshape(image.height, -1)
    untouched = np.all(rows == pattern, axis=1)
    written = np.flatnonzero(~untouched)
    return int(written[-1]) + 1 if len(written) else 0


def png_crc_problem(data: bytes) -> str | None:
    """The first PNG chunk whose CRC does not match its bytes, described, or None.

    Walks the chunks from the signature to ``IEND``; a file cut short is left
    to the decoder (it reports truncation).
    """
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if pos + 12 + length > len(data):
            return None
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        if zlib.crc32(data[pos + 4 : pos + 8 + length]) != crc:
            name = kind.decode("latin-1") if kind.isalpha() else kind.hex()
            return f"PNG: the CRC of {name} chunk at byte {pos} does not match its data"
        if kind == b"IEND":
            return None
        pos += 12 + length
    return None
