"""Reading a WebDataset export: its ``index.json`` and its tar shards, streaming, with stdlib only.

The layout (``docs/formats.md``): ``OUT/index.json`` lists, per split, the
shards ``<split>-NNNNNN.tar`` with their sample counts, sizes and sha256;
each shard is a plain tar whose members ``<key>.<ext>`` are grouped by key,
one sample's members adjacent: an image (``jpg``, ``png``, ``webp``, …), a
``cls`` (ASCII decimal class index) and a ``json``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ._tar import TarFormatError, tar_members
from .errors import (
    SampleClassError,
    SampleNoClassError,
    SampleNoImageError,
    ShardCorruptError,
    ShardIndexError,
    ShardMissingError,
)

__all__ = [
    "INDEX_FILE",
    "INDEX_FORMAT",
    "RawSample",
    "ShardIndex",
    "ShardInfo",
    "iter_shard",
    "read_index",
]

INDEX_FILE = "index.json"
INDEX_FORMAT = "synsetdb-webdataset/1"
# Image members in the order a sample's image is looked for.
_BUFFER = 1 << 20  # bytes read from a shard at a time
IMAGE_EXTS = ("jpg", "jpeg", "png", "webp", "ppm", "bmp", "tif", "tiff", "gif")


@dataclass(frozen=True, slots=True)
class ShardInfo:
    """One shard as the index lists it."""

    file: str
    path: Path
    samples: int
    bytes: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ShardIndex:
    """A WebDataset export's ``index.json``, checked."""

    root: Path
    release_name: str
    release_sha256: str
    classes: tuple[tuple[int, str, str], ...]
    splits: dict[str, tuple[ShardInfo, ...]]


@dataclass(frozen=True, slots=True)
class RawSample:
    """A sample as read from a shard, not yet decoded."""

    key: str
    image: bytes
    ext: str
    cls: int


# ----------------------------------------------------------------------------- the index


def read_index(source: str | os.PathLike[str]) -> ShardIndex:
    """Read and check an export's index, given the export folder or the index file.

    Raises:
        ShardIndexError: ``E_INDEX_MISSING`` when there is no index file,
            ``E_INDEX_CORRUPT`` when it is not a valid synsetdb WebDataset index.
    """
    path = Path(source)
    if path.is_dir():
        path = path / INDEX_FILE
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise ShardIndexError(f"no WebDataset index at {path}", code="E_INDEX_MISSING") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ShardIndexError(f"{path} is not a JSON index: {e}") from e
    try:
        return _parse_index(raw, path.parent)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise ShardIndexError(f"{path}: a malformed index ({type(e).__name__}: {e})") from e


def _parse_index(raw: Any, root: Path) -> ShardIndex:
    if not isinstance(raw, dict) or raw.get("format") != INDEX_FORMAT:
        raise ValueError(f"not a {INDEX_FORMAT} index")
    classes = tuple((int(i), str(w), str(n)) for i, w, n in raw["classes"])
    if [c[0] for c in classes] != list(range(len(classes))) or not classes:
        raise ValueError("class indices must run 0, 1, 2, … in order")
    splits = {str(name): _parse_split(name, split, root) for name, split in raw["splits"].items()}
    release = raw["release"]
    return ShardIndex(root, str(release["name"]), str(release["sha256"]), classes, splits)


def _parse_split(name: str, raw: dict[str, Any], root: Path) -> tuple[ShardInfo, ...]:
    shards = tuple(_parse_shard(s, root) for s in raw["shards"])
    total = sum(s.samples for s in shards)
    if total != int(raw["samples"]):
        raise ValueError(f"split {name!r}: its shards hold {total} samples, not {raw['samples']}")
    return shards


def _parse_shard(raw: dict[str, Any], root: Path) -> ShardInfo:
    file = str(raw["file"])
    if not file or "/" in file or "\\" in file or file.startswith("."):
        raise ValueError(f"shard file {file!r} is not a plain file name")
    samples, size = int(raw["samples"]), int(raw["bytes"])
    if samples < 1 or size < 0:
        raise ValueError(f"shard {file}: samples must be positive and bytes not negative")
    return ShardInfo(file, root / file, samples, size, str(raw["sha256"]))


# ----------------------------------------------------------------------------- the shards


class _HashingReader:
    """A read-only file wrapper that hashes what is read through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data

    def hexdigest(self) -> str:
        while self.read(1 << 20):  # tar padding after the end-of-archive blocks
            pass
        return self.digest.hexdigest()


def iter_shard(shard: ShardInfo, classes: int, *, verify: bool = False) -> Iterator[RawSample]:
    """The samples of one shard, in order, streaming (one sample in memory at a time).

    Checks each sample (an image member, a valid ``cls``), the sample count
    against the index and, with ``verify``, the shard's sha256 (checked when
    the shard has been read to its end).

    Raises:
        ShardMissingError, ShardCorruptError, SampleNoImageError,
        SampleNoClassError, SampleClassError.
    """
    try:
        f = shard.path.open("rb", buffering=_BUFFER)
    except FileNotFoundError:
        raise ShardMissingError(f"shard {shard.path} is missing") from None
    with f:
        reader = _HashingReader(f)
        count = 0
        try:
            for sample in _grouped(tar_members(reader if verify else f), shard, classes):
                count += 1
                yield sample
        except (TarFormatError, OSError) as e:
            raise ShardCorruptError(f"shard {shard.path} cannot be read: {e}") from e
        if count != shard.samples:
            raise ShardCorruptError(
                f"shard {shard.path} holds {count} samples; the index says {shard.samples}"
            )
        if verify and (digest := reader.hexdigest()) != shard.sha256:
            raise ShardCorruptError(f"shard {shard.path} has sha256 {digest}, not {shard.sha256}")


def _grouped(
    members: Iterator[tuple[str, bytes]], shard: ShardInfo, classes: int
) -> Iterator[RawSample]:
    """Adjacent members with the same key (the name up to the first dot of its base name)."""
    key: str | None = None
    found: dict[str, bytes] = {}
    for name, data in members:
        folder, _, base = name.rpartition("/")
        stem, _, ext = base.partition(".")
        this = f"{folder}/{stem}" if folder else stem
        if this != key:
            if key is not None:
                yield _sample(key, found, shard, classes)
            key, found = this, {}
        found[ext.lower()] = data
    if key is not None:
        yield _sample(key, found, shard, classes)


def _sample(key: str, members: dict[str, bytes], shard: ShardInfo, classes: int) -> RawSample:
    ext = next((e for e in IMAGE_EXTS if e in members), None)
    where = f"shard {shard.file}, sample {key!r}"
    if ext is None:
        found = ", ".join(sorted(members)) or "none"
        raise SampleNoImageError(f"{where} has no image member (members: {found})")
    raw = members.get("cls")
    if raw is None:
        raise SampleNoClassError(f"{where} has no .cls member")
    text = raw.strip()
    if not text.isdigit() or int(text) >= classes:
        raise SampleClassError(f"{where}: .cls is {raw[:20]!r}, not a class index below {classes}")
    return RawSample(key, members[ext], ext, int(text))
