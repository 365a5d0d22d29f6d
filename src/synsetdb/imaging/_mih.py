"""Multi-index hashing internals for ``dups`` and ``linking``: popcounts, split plans, tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from math import comb
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ConfigError

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
U8 = npt.NDArray[np.uint8]
Hashes = Sequence[int] | npt.NDArray[np.integer[Any]]
Pairs = tuple[I64, I64, U8]

_MASK64 = (1 << 64) - 1
PROBE_CHUNK = 1 << 16  # bucket probes per vectorised step: cache-sized arrays run ~2x faster
CAND_CHUNK = 1 << 17  # candidates verified per vectorised step (1 MiB per int64 array)
_MAX_MASKS = 1 << 16  # plans needing more flip masks per substring are not considered
_DIRECT_MAX_BITS = 24  # widest substring with a direct-address bucket table
# Cost of one bucket probe relative to one verified candidate, measured with numpy 2.
_PROBE_COST = 10.0  # direct-address table
_SEARCH_COST = 25.0  # binary search
_BYTE_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def popcount_bytes(x: U64) -> U8:
    """Popcount by byte lookup, for numpy < 2.0 (no ``np.bitwise_count``)."""
    per_byte = _BYTE_POPCOUNT[np.ascontiguousarray(x, dtype=np.uint64).view(np.uint8)]
    return np.asarray(per_byte.reshape(-1, 8).sum(axis=1), dtype=np.uint8).reshape(np.shape(x))


def popcount(x: U64) -> U8:
    count = getattr(np, "bitwise_count", None)
    return popcount_bytes(x) if count is None else np.asarray(count(x), dtype=np.uint8)


def as_unsigned(hashes: Hashes) -> U64:
    """64-bit hashes as unsigned integers; negative ones (SQL ``BIGINT``) wrap around.

    Raises:
        ValueError: a value is below ``-2**63`` or not below ``2**64``.
        TypeError: a value is not an integer (floats and booleans are refused).
    """
    arr = np.asarray(hashes)
    if arr.dtype.kind == "i":
        return arr.astype(np.int64, copy=False).view(np.uint64).ravel()
    if arr.dtype.kind == "u":
        return arr.astype(np.uint64, copy=False).ravel()
    if arr.size == 0:
        return np.zeros(0, dtype=np.uint64)
    if isinstance(hashes, np.ndarray) and hashes.dtype.kind != "O":
        raise TypeError(f"hashes must be integers, got an array of {hashes.dtype}")
    # Ints beyond int64 (or mixed with negatives) come back as float or object: check each.
    values = hashes.ravel().tolist() if isinstance(hashes, np.ndarray) else hashes
    return np.array([checked(h) for h in values], dtype=np.uint64)


def checked(h: object) -> int:
    if isinstance(h, bool | np.bool_) or not isinstance(h, int | np.integer):
        raise TypeError(f"hash {h!r} is not an integer")
    if not -(1 << 63) <= int(h) <= _MASK64:
        raise ValueError(f"hash {h} does not fit in 64 bits (signed or unsigned)")
    return int(h) & _MASK64


@dataclass(frozen=True, slots=True)
class Plan:
    bits: tuple[int, ...]
    radii: tuple[int, ...]
    cost: float
    expected_candidates: float


def direct(bits: int, distinct: int) -> bool:
    """Whether a substring gets a direct-address bucket table (else binary search)."""
    return bits <= _DIRECT_MAX_BITS and 1 << bits <= 16 * distinct + (1 << 16)


def plan(distinct: int, radius: int, substrings: int | None = None) -> Plan:
    """The substring split with the lowest modelled cost for this many distinct hashes."""
    if substrings is not None and not 1 <= substrings <= radius + 1:
        raise ConfigError(
            f"substrings must be in 1..radius + 1 = {radius + 1}, got {substrings}",
            code="E_SUBSTRINGS",
        )
    best: Plan | None = None
    k = float(max(distinct, 2))
    # More than radius + 1 substrings would only waste bits.
    for m in range(1, radius + 2) if substrings is None else (substrings,):
        bits = tuple(64 // m + (j < 64 % m) for j in range(m))
        s, a = divmod(radius, m)
        radii = tuple(s if j <= a else s - 1 for j in range(m))
        balls = [sum(comb(b, i) for i in range(r + 1)) for b, r in zip(bits, radii, strict=True)]
        if max(balls) > _MAX_MASKS:
            continue
        cands = sum(k * k / 2 * v / 2.0**b for b, v in zip(bits, balls, strict=True))
        probes = sum(
            k * v / 2 * (_PROBE_COST if direct(b, distinct) else _SEARCH_COST)
            for b, v in zip(bits, balls, strict=True)
        )
        if best is None or probes + cands < best.cost:
            best = Plan(bits, radii, probes + cands, cands)
    if best is None:  # only a forced split can need this many masks
        raise ConfigError(
            f"{substrings} substrings at radius {radius} need over {_MAX_MASKS} probes per hash",
            code="E_SUBSTRINGS",
        )
    return best


def flip_masks(bits: int, radius: int) -> U64:
    """Every nonzero ``bits``-wide mask with at most ``radius`` bits set."""
    masks = [
        sum(1 << i for i in chosen)
        for count in range(1, radius + 1)
        for chosen in combinations(range(bits), count)
    ]
    return np.array(masks, dtype=np.uint64)


@dataclass(frozen=True, slots=True)
class Table:
    """One substring's index: the distinct hashes sorted by the substring's value."""

    shift: int
    bits: int
    radius: int  # searched radius; -1: this substring is not searched
    order: I64  # distinct-hash numbers, sorted by key
    keys: U64  # their keys, sorted
    hashes: U64  # their full hashes, in the same order
    starts: I64 | None  # direct-address bucket offsets (2**bits + 1); None: binary search
    masks: U64  # nonzero flip masks within the radius
    cap: int | None
    oversized: tuple[int, int]  # buckets over the cap, and the distinct hashes in them

    @classmethod
    def build(cls, uniq: U64, shift: int, bits: int, radius: int, cap: int | None) -> Table:
        keys = (uniq >> np.uint64(shift)) & np.uint64((1 << bits) - 1)
        if shift + bits == 64:  # the leading bits of sorted hashes are sorted already
            order = np.arange(len(keys), dtype=np.int64)
        else:  # 32-bit keys sort about a quarter faster than 64-bit ones
            narrow = keys.astype(np.uint32) if bits <= 32 else keys
            order = np.argsort(narrow, kind="stable").astype(np.int64)
            keys = keys[order]
        starts = None
        if direct(bits, len(uniq)):
            counts = np.bincount(keys.view(np.int64), minlength=1 << bits)
            starts = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        masks = flip_masks(bits, radius) if radius > 0 else np.zeros(0, np.uint64)
        oversized = (0, 0)
        if cap is not None and len(keys) > cap:
            sizes = np.diff(np.flatnonzero(np.r_[True, keys[1:] != keys[:-1], True]))
            oversized = (int(np.count_nonzero(sizes > cap)), int(sizes[sizes > cap].sum()))
        return cls(shift, bits, radius, order, keys, uniq[order], starts, masks, cap, oversized)

    def key(self, h: U64) -> U64:
        return (h >> np.uint64(self.shift)) & np.uint64((1 << self.bits) - 1)

    def bounds(self, keys: U64, *, capped: bool = True) -> tuple[I64, I64]:
        """Start and end (sorted positions) of the buckets of these keys."""
        if self.starts is not None:
            at = keys.view(np.int64)  # keys are below 2**24 here
            lo, hi = self.starts[at], self.starts[at + 1]
        else:
            lo = np.searchsorted(self.keys, keys, "left").astype(np.int64)
            hi = np.searchsorted(self.keys, keys, "right").astype(np.int64)
        if capped and self.oversized[0]:
            hi = np.where(hi - lo > (self.cap or 0), lo, hi)
        return lo, hi


def ranges(lo: I64, hi: I64) -> tuple[I64, I64]:
    """Every position in the ranges ``[lo, hi)``, and the cumulative range ends."""
    lens = hi - lo
    ends = np.cumsum(lens)
    pos = np.repeat(lo - (ends - lens), lens)
    pos += np.arange(len(pos), dtype=np.int64)
    return pos, ends
