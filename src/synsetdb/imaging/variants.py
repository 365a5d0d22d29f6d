"""Variant hashes: the 64-bit DCT pHash of what people commonly make of one picture.

A single pHash changes by 6–20 bits when a photo is cropped by 5–20%, turned
by a few degrees or mirrored (measured in ``bench/near_duplicates.py``), so a
copy made that way is not within the usual radius of its original. Rather than
widen the radius (which groups unrelated pictures), each image also gets the
pHashes of the views that such copies show: the image mirrored, trimmed from
each side and corner by 5–20%, its centre, and straightened by a few degrees
(turned and cropped to the largest upright rectangle of the same shape, as a
photo editor's straighten tool does). A copy's own pHash then lies close to
one of its original's *variant* hashes; :mod:`synsetdb.imaging.linking` joins
every image's variant hashes against every image's own pHash with
multi-index hashing.

The views are taken from one 128 × 128 grey rendition of the picture, squashed
like the pHash's own 32 × 32 grid; a window of it is area-averaged to 32 × 32
by a matrix product, and the mirrored view of each window costs nothing: a
horizontal flip only negates the DCT coefficients of odd horizontal frequency.
Bits are set as in :func:`synsetdb.ingest.phash.phash` (above the median of
the 8 × 8 lowest frequencies), so the full view equals the pHash up to
resampling (0–2 bits).
"""

from __future__ import annotations

import functools
import io
import math
import warnings
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps

__all__ = [
    "VARIANTS_VERSION",
    "VARIANT_COUNT",
    "VIEWS",
    "pack",
    "packed_variants",
    "unpack",
    "variant_hashes",
]

#: Bump when the views or their order change: stored hashes of another version are recomputed.
VARIANTS_VERSION = 3

_GRID = 128  # side of the grey rendition the views are cut from
_SIDE = 32  # each view is area-averaged to _SIDE × _SIDE, as for the pHash
_KEEP = 8
_DECIMALS = 6
_MIDDLE = (_KEEP * _KEEP // 2 - 1, _KEEP * _KEEP // 2)
_TRIMS = (0.05, 0.1, 0.15, 0.2)  # one view per 5% step: each tolerates about ±2.5%
_CORNER_TRIMS = (0.05, 0.1, 0.15, 0.2)
_CENTRE_TRIMS = (0.05, 0.075, 0.1, 0.15)  # trimmed from every side
_ANGLES = (-9.0, -7.5, -6.0, -4.5, -3.0, 3.0, 4.5, 6.0, 7.5, 9.0)  # straightened, degrees

Window = tuple[float, float, float, float]  # left, top, right, bottom in 0..1


def _windows() -> tuple[tuple[str, Window], ...]:
    found: list[tuple[str, Window]] = []
    for t in _TRIMS:
        found += [
            (f"left-{t}", (t, 0.0, 1.0, 1.0)),
            (f"right-{t}", (0.0, 0.0, 1.0 - t, 1.0)),
            (f"top-{t}", (0.0, t, 1.0, 1.0)),
            (f"bottom-{t}", (0.0, 0.0, 1.0, 1.0 - t)),
        ]
    for t in _CORNER_TRIMS:
        found += [
            (f"top-left-{t}", (t, t, 1.0, 1.0)),
            (f"top-right-{t}", (0.0, t, 1.0 - t, 1.0)),
            (f"bottom-left-{t}", (t, 0.0, 1.0, 1.0 - t)),
            (f"bottom-right-{t}", (0.0, 0.0, 1.0 - t, 1.0 - t)),
        ]
    found += [(f"centre-{t}", (t, t, 1.0 - t, 1.0 - t)) for t in _CENTRE_TRIMS]
    return tuple(found)


_WINDOWS = _windows()
#: The name of each variant hash, in stored order.
VIEWS: tuple[str, ...] = (
    "mirror",
    *(name for name, _ in _WINDOWS),
    *(f"turn{a:+g}" for a in _ANGLES),
)
VARIANT_COUNT = len(VIEWS)


def variant_hashes(image: Image.Image) -> NDArray[np.int64]:
    """The variant hashes of an upright picture, in the order of :data:`VIEWS`.

    Args:
        image: a decoded image in display orientation (RGB or grey; a
            thumbnail is enough: the views are 128 pixels across).

    Returns:
        ``VARIANT_COUNT`` signed 64-bit hashes.

    Example:
        >>> from PIL import Image
        >>> variant_hashes(Image.radial_gradient("L").resize((300, 200))).shape
        (45,)
    """
    grey = image if image.mode == "L" else image.convert("L")
    factor = min(grey.size) // _GRID  # an integer box reduction first: the two resizes
    if factor > 1:  # below then read a quarter of a 500 × 375 photo's pixels
        grey = grey.reduce(factor)
    square = np.asarray(grey.resize((_GRID, _GRID), Image.Resampling.BOX), dtype=np.float64)
    full = _mirror(_window_coeffs(square, (0.0, 0.0, 1.0, 1.0)))
    windows = _windows_coeffs(square)
    return _bits(np.concatenate((full[None], windows, _turned_coeffs(grey, _ANGLES))))


def packed_variants(data: bytes) -> bytes:
    """The variant hashes of an encoded image (a stored thumbnail or original), packed.

    The image is decoded (a JPEG at a reduced scale), turned upright by its
    EXIF orientation and flattened on white. Returns ``b""`` when the bytes
    cannot be decoded: the image then links by its own pHash alone.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            opened = Image.open(io.BytesIO(data))
            opened.draft("RGB", (2 * _GRID, 2 * _GRID))  # JPEG only: a reduced DCT scale
            image: Image.Image = ImageOps.exif_transpose(opened)
            if image.mode in ("RGBA", "LA", "PA", "P"):
                rgba = image.convert("RGBA")
                image = Image.new("RGB", rgba.size, (255, 255, 255))
                image.paste(rgba, mask=rgba.getchannel("A"))
            return pack(variant_hashes(image.convert("RGB")))
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return b""


def pack(hashes: NDArray[np.int64]) -> bytes:
    """Hashes as stored: big-endian signed 64-bit integers, concatenated."""
    return np.asarray(hashes, dtype=">i8").tobytes()


def unpack(data: bytes) -> NDArray[np.int64]:
    """The hashes of :func:`pack`'s bytes (none for ``b""``)."""
    return np.frombuffer(data, dtype=">i8").astype(np.int64)


def _window_coeffs(square: NDArray[np.float64], window: Window) -> NDArray[np.float64]:
    left, top, right, bottom = window
    rows = _projection(top, bottom)
    cols = _projection(left, right)
    result: NDArray[np.float64] = rows @ square @ cols.T
    return result


def _windows_coeffs(square: NDArray[np.float64]) -> NDArray[np.float64]:
    """The coefficients of every trimmed window at once: rows first, then columns."""
    rows, cols, row_of, col_of = _window_projections()
    across = rows @ square  # each distinct row range, once (batched BLAS: 5x einsum's speed)
    result: NDArray[np.float64] = across[row_of] @ cols[col_of].transpose(0, 2, 1)
    return result


@functools.cache
def _window_projections() -> tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.intp], NDArray[np.intp]
]:
    """The distinct row and column projections of the windows, and each window's pair."""
    row_ranges = sorted({(w[1], w[3]) for _, w in _WINDOWS})
    col_ranges = sorted({(w[0], w[2]) for _, w in _WINDOWS})
    rows = np.stack([_projection(*r) for r in row_ranges])
    cols = np.stack([_projection(*c) for c in col_ranges])
    row_of = np.array([row_ranges.index((w[1], w[3])) for _, w in _WINDOWS], dtype=np.intp)
    col_of = np.array([col_ranges.index((w[0], w[2])) for _, w in _WINDOWS], dtype=np.intp)
    return rows, cols, row_of, col_of


def _mirror(coeffs: NDArray[np.float64]) -> NDArray[np.float64]:
    """The coefficients of the horizontally mirrored view: odd horizontal frequencies negated."""
    signs = np.where(np.arange(_KEEP) % 2 == 1, -1.0, 1.0)
    result: NDArray[np.float64] = coeffs * signs[None, :]
    return result


def _turned_coeffs(grey: Image.Image, angles: tuple[float, ...]) -> NDArray[np.float64]:
    """The views a straighten tool gives: turned, cut to the largest same-shape rectangle.

    Each angle's view samples that rectangle of a small rendition bilinearly on
    a 64 × 64 grid, area-averaged to the pHash's 32 × 32: one sparse matrix for
    all angles, made once per size of the rendition (its longer side is
    ``_GRID``; the shorter is rounded to a multiple of ``_SIZE_STEP``, so a few
    dozen sizes cover every aspect ratio).
    """
    width, height = grey.size
    scale = _GRID / max(width, height)
    w, h = (max(_SIZE_STEP, _SIZE_STEP * round(side * scale / _SIZE_STEP)) for side in grey.size)
    small = np.asarray(grey.resize((w, h), Image.Resampling.BOX), dtype=np.float32).ravel()
    views = (_turn_matrix(w, h, angles) @ small).reshape(len(angles), _SIDE, _SIDE)
    basis = _dct_basis()
    result: NDArray[np.float64] = basis @ views.astype(np.float64) @ basis.T
    return result


_SIZE_STEP = 8  # the rendition's shorter side, in steps of this many pixels


@functools.lru_cache(maxsize=40)  # ~1.3 MB each
def _turn_matrix(w: int, h: int, angles: tuple[float, ...]) -> Any:
    """Pixels of a w × h rendition -> every angle's 32 × 32 view (a scipy CSR matrix).

    Row ``(a, i, j)`` averages the four bilinear samples of grid points
    ``(2i + di, 2j + dj)`` of angle ``a``'s 64 × 64 grid, whose pixel centres
    map into the kept rectangle turned about the rendition's centre (the
    source of an output point is the point turned back, as an affine resampling
    takes it).
    """
    from scipy.sparse import csr_matrix

    n = 2 * _SIDE
    centres = np.arange(n) + 0.5
    u, v = np.meshgrid(centres, centres)  # output pixel centres, x and y
    rows, cols, weights = [], [], []
    out = (np.arange(n)[:, None] // 2) * _SIDE + np.arange(n)[None, :] // 2  # its 32 × 32 cell
    for k, angle in enumerate(angles):
        t = math.radians(angle)
        cos, sin = math.cos(t), math.sin(t)
        keep = min(w / (w * abs(cos) + h * abs(sin)), h / (w * abs(sin) + h * abs(cos)))
        sx, sy = w * keep / n, h * keep / n
        a, b, d, e = cos * sx, -sin * sy, sin * sx, cos * sy
        x = a * (u - _SIDE) + b * (v - _SIDE) + w / 2 - 0.5
        y = d * (u - _SIDE) + e * (v - _SIDE) + h / 2 - 0.5
        x0, y0 = np.floor(x), np.floor(y)
        fx, fy = x - x0, y - y0
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                xi = np.clip(x0 + dx, 0, w - 1).astype(np.int64)
                yi = np.clip(y0 + dy, 0, h - 1).astype(np.int64)
                rows.append(k * _SIDE * _SIDE + out)
                cols.append(yi * w + xi)
                weights.append(wx * wy / 4.0)  # a quarter: four grid points per cell
    matrix = csr_matrix(
        (
            np.concatenate([x.ravel() for x in weights]).astype(np.float32),
            (np.concatenate([x.ravel() for x in rows]), np.concatenate([x.ravel() for x in cols])),
        ),
        shape=(len(angles) * _SIDE * _SIDE, w * h),
    )
    matrix.sum_duplicates()
    return matrix


def _bits(coeffs: NDArray[np.float64]) -> NDArray[np.int64]:
    """One hash per 8 × 8 block: bit i set when coefficient i is above the block's median."""
    low = np.round(coeffs.reshape(len(coeffs), _KEEP * _KEEP), _DECIMALS)
    middle = np.partition(low, _MIDDLE, axis=1)
    median = (middle[:, _MIDDLE[0]] + middle[:, _MIDDLE[1]]) / 2.0
    packed = np.packbits(low > median[:, None], axis=1)
    return packed.view(">i8").astype(np.int64).ravel()


@functools.cache
def _projection(start: float, stop: float) -> NDArray[np.float64]:
    """The DCT basis times the area-averaging of ``[start, stop]`` of the grid to _SIDE samples."""
    edges = np.linspace(start * _GRID, stop * _GRID, _SIDE + 1)
    pixel = np.arange(_GRID, dtype=np.float64)
    lo, hi = edges[:-1, None], edges[1:, None]
    overlap = np.clip(np.minimum(hi, pixel + 1) - np.maximum(lo, pixel), 0.0, None)
    averaging = overlap / overlap.sum(axis=1, keepdims=True)
    result: NDArray[np.float64] = _dct_basis() @ averaging
    result.setflags(write=False)
    return result


@functools.cache
def _dct_basis() -> NDArray[np.float64]:
    """The first _KEEP rows of the orthonormal _SIDE-point DCT-II matrix (as the pHash's)."""
    n = np.arange(_SIDE, dtype=np.float64)
    k = np.arange(_KEEP, dtype=np.float64)[:, None]
    basis: NDArray[np.float64] = np.cos(np.pi * (2.0 * n + 1.0) * k / (2.0 * _SIDE))
    basis *= np.sqrt(2.0 / _SIDE)
    basis[0] /= np.sqrt(2.0)
    basis.setflags(write=False)
    return basis
