"""The 64-bit DCT perceptual hash, and Hamming distance between hashes.

The hash follows the usual recipe: grey, shrink to 32×32 (area averaging), take the 2-D DCT-II,
keep the 8×8 lowest frequencies and set one bit per coefficient above their
median. Near-identical pictures (re-encoded, resized, lightly edited) get hashes
a few bits apart; unrelated pictures differ in about half of the 64 bits.

Hashes are stored as signed 64-bit integers (two's complement) so they fit a
SQL ``BIGINT``; :func:`hamming` accepts either representation.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from synsetdb.ingest.renditions import to_rgb

__all__ = ["HASH_BITS", "hamming", "phash", "to_signed", "to_unsigned"]

HASH_BITS = 64
_SIDE = 32  # the image is shrunk to _SIDE × _SIDE before the DCT
_KEEP = 8  # the _KEEP × _KEEP lowest frequencies make the hash
_MASK = (1 << HASH_BITS) - 1
_SIGN = 1 << (HASH_BITS - 1)
_DECIMALS = 6  # coefficients are rounded to this many decimals before the median test
# The two middle ranks of the _KEEP² coefficients: their mean is the median.
_MIDDLE = (_KEEP * _KEEP // 2 - 1, _KEEP * _KEEP // 2)


def phash(image: Image.Image) -> int:
    """Compute the 64-bit DCT perceptual hash of ``image``.

    The image is made RGB with :func:`~synsetdb.ingest.renditions.to_rgb`
    (alpha on white, 16-bit scaled), converted to grey (ITU-R 601 luma), shrunk
    to 32×32 by area averaging (Pillow's box filter: every source pixel counts,
    at a third of a Lanczos filter's cost) and transformed with an orthonormal DCT-II.
    Bit *i* (row-major over the top-left 8×8 block, the DC term included) is set
    when that coefficient is above the block's median; bit 0 is the most
    significant. Coefficients are rounded to 6 decimals first, so that float
    noise cannot set bits: a flat image hashes the same on every platform.

    Args:
        image: a decoded image in any mode, already in display orientation.

    Returns:
        The hash as a signed 64-bit integer (``-2**63 <= h < 2**63``).

    Example:
        >>> from PIL import Image
        >>> h = phash(Image.radial_gradient("L").resize((400, 300)))
        >>> -(2**63) <= h < 2**63
        True
    """
    grey = image if image.mode == "L" else to_rgb(image).convert("L")
    small = grey.resize((_SIDE, _SIDE), Image.Resampling.BOX)
    basis = _dct_basis()
    # Rounding makes the zero coefficients of flat areas exactly zero, so float
    # noise (which differs between BLAS builds) cannot decide any bit.
    low = np.round(basis @ np.asarray(small, dtype=np.float64) @ basis.T, _DECIMALS).ravel()
    middle = np.partition(low, _MIDDLE)  # np.median, at half its cost on 64 values
    median = (middle[_MIDDLE[0]] + middle[_MIDDLE[1]]) / 2.0
    return int(np.packbits(low > median).view(">i8")[0])


def to_unsigned(h: int) -> int:
    """Return the unsigned 64-bit form (``0 <= h < 2**64``) of a signed or unsigned hash.

    Raises:
        ValueError: if ``h`` fits neither a signed nor an unsigned 64-bit integer.
    """
    if not -_SIGN <= h <= _MASK:
        raise ValueError(f"{h} is not a 64-bit hash")
    return h & _MASK


def to_signed(h: int) -> int:
    """Return the signed 64-bit form (two's complement) of a signed or unsigned hash.

    Raises:
        ValueError: if ``h`` fits neither a signed nor an unsigned 64-bit integer.
    """
    u = to_unsigned(h)
    return u - (1 << HASH_BITS) if u & _SIGN else u


def hamming(a: int, b: int) -> int:
    """Count the bits in which two hashes differ; each may be signed or unsigned.

    Example:
        >>> hamming(-1, 0), hamming(-1, 2**64 - 1)
        (64, 0)

    Raises:
        ValueError: if either value is not a 64-bit hash.
    """
    return (to_unsigned(a) ^ to_unsigned(b)).bit_count()


@functools.cache
def _dct_basis() -> NDArray[np.float64]:
    """The first ``_KEEP`` rows of the orthonormal ``_SIDE``-point DCT-II matrix.

    Row *k* is ``s_k · cos(π (2n + 1) k / 2N)`` with ``s_0 = √(1/N)`` and
    ``s_k = √(2/N)``, so ``C @ X @ C.T`` is the low-frequency corner of
    ``scipy.fft.dctn(X, norm="ortho")`` without computing the rest.
    """
    n = np.arange(_SIDE, dtype=np.float64)
    k = np.arange(_KEEP, dtype=np.float64)[:, None]
    angles = np.pi * (2.0 * n + 1.0) * k / (2.0 * _SIDE)
    basis: NDArray[np.float64] = np.cos(angles) * np.sqrt(2.0 / _SIDE)
    basis[0] /= np.sqrt(2.0)
    basis.setflags(write=False)  # cached and shared: must not be modified
    return basis
