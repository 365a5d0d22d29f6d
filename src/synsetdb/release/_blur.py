"""Face blurring of a whole release: the slow filter, on the engine, cached per image.

For every image of a manifest, ``faces.blur_faces`` runs on the local process
pool (``synsetdb.engine``); each blurred copy becomes a new blob and the item
points at it (``blurred=True``); originals are never touched. Results, "no
face" included, are cached in a JSON-lines file keyed by the detector's name,
its parameters and the blurring constants, so a rebuild (or a build resumed
after a crash) detects each image once.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .._version import __version__
from ..catalog.blobs import BlobStore
from ..errors import ReleaseError, SynsetdbError
from .manifest import Manifest, ReleaseItem

if TYPE_CHECKING:
    from ..engine import Engine
    from .faces import FaceBlur, FaceDetector

__all__ = ["blur_manifest", "detector_key"]

log = logging.getLogger(__name__)

# (blurred blob key or None, its format)
Outcome = tuple[str | None, str | None]


def detector_key(detector: FaceDetector) -> str:
    """What a cached result depends on: detector name and parameters, the blur constants."""
    from . import faces

    params = repr(detector) if " at 0x" not in repr(detector) else ""
    constants = (faces.EXPAND, faces.BLUR, faces.JPEG_QUALITY, faces.METHOD, __version__)
    text = json.dumps([detector.name, params, [str(c) for c in constants]])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def blur_manifest(
    manifest: Manifest,
    blobs: BlobStore,
    cache_dir: Path,
    *,
    detector: FaceDetector | None = None,
    engine: Engine | None = None,
) -> tuple[Manifest, dict[str, Any]]:
    """The manifest with every face-bearing image replaced by its blurred copy, and a summary.

    The summary (for the build report) holds ``blurred``, the images whose
    items now point at a blurred copy, and ``face_detector``, the detector's name.

    Raises:
        ReleaseError: naming the image: ``E_BLOB_MISSING``/``E_BLOB_CORRUPT``
            for a blob that is gone or no longer hashes to its key, and those
            of ``blur_faces`` (``E_DECODE``, ``E_MISSING_EXTRA``, …); results
            so far stay cached, so a re-run resumes.
    """
    from ..engine import LocalEngine
    from .faces import default_detector

    detector = detector or default_detector()
    cache = _Cache(cache_dir / f"faces-{detector_key(detector)}.jsonl", blobs)
    todo = sorted({(it.image, it.blob) for it in manifest.items if it.image not in cache.known})
    if todo:
        log.info("face blurring: %d image(s) to search with %s", len(todo), detector.name)
        pool = engine or LocalEngine(chunk_size=4)
        work = functools.partial(_blur_one, detector)
        with cache.appending() as out:
            for (image, _), blur in pool.imap(work, _read(blobs, todo)):
                cache.record(out, image, blur)
    items = tuple(_item(it, cache.known.get(it.image)) for it in manifest.items)
    blurred = len({it.image for it in items if it.blurred})
    summary = {"blurred": blurred, "face_detector": detector.name}
    return dataclasses.replace(manifest, items=items), summary


def _read(blobs: BlobStore, todo: list[tuple[str, str]]) -> Iterator[tuple[str, bytes]]:
    """Each image's bytes, re-hashed: a blurred copy of the wrong bytes would be published."""
    for image, blob in todo:
        try:
            data = blobs.get(blob, verify=True)
        except SynsetdbError as exc:  # E_BLOB_MISSING, E_BLOB_CORRUPT
            raise _naming(image, exc) from exc
        yield image, data


def _blur_one(detector: FaceDetector, pair: tuple[str, bytes]) -> FaceBlur | None:
    from .faces import blur_faces

    try:
        return blur_faces(pair[1], detector)
    except SynsetdbError as exc:  # E_DECODE, E_BOMB, E_DETECTOR, …
        raise _naming(pair[0], exc) from exc


def _naming(image: str, exc: SynsetdbError) -> ReleaseError:
    return ReleaseError(f"face blurring: image {image}: {exc}", code=exc.code)


def _item(item: ReleaseItem, outcome: Outcome | None) -> ReleaseItem:
    if outcome is None or outcome[0] is None:
        return item
    return dataclasses.replace(
        item, blob=outcome[0], format=outcome[1] or item.format, blurred=True
    )


_BLOB_KEY = re.compile(r"^[0-9a-f]{64}$")


def _entry_of(line: str) -> tuple[str, str | None, str | None] | None:
    """``(image, blob or None, format or None)`` from a cache line, or None if it is not one."""
    try:
        entry = json.loads(line)
        image, blob, fmt = entry["image"], entry["blob"], entry["format"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(image, str) or not (blob is None or isinstance(fmt, str)):
        return None
    if blob is not None and not (isinstance(blob, str) and _BLOB_KEY.match(blob)):
        return None
    return image, blob, fmt


class _Cache:
    """image sha256 -> outcome, read from and appended to one JSON-lines file."""

    def __init__(self, path: Path, blobs: BlobStore) -> None:
        self.path = path
        self.blobs = blobs
        self.known: dict[str, Outcome] = dict(self._load())

    def _load(self) -> Iterator[tuple[str, Outcome]]:
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return
        for line in lines:
            entry = _entry_of(line)
            if entry is None:  # a line cut short by a crash, or damaged: searched again
                continue
            image, blob, fmt = entry
            if blob is None or self.blobs.exists(blob):  # a deleted blob is made again
                yield image, (blob, fmt)

    @staticmethod
    def _entry(image: str, blur: FaceBlur | None, blob: str | None) -> Mapping[str, Any]:
        if blur is None:
            return {"image": image, "blob": None, "format": None}
        return {"image": image, "blob": blob, "format": blur.format, "faces": blur.boxes}

    def appending(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.path.open("a", encoding="utf-8")

    def record(self, out: IO[str], image: str, blur: FaceBlur | None) -> None:
        blob = self.blobs.put(blur.data) if blur is not None else None
        out.write(json.dumps(self._entry(image, blur, blob)) + "\n")
        out.flush()
        if blur is not None:
            os.fsync(out.fileno())  # the blob is durable (put); so is the line naming it
        self.known[image] = (blob, blur.format if blur is not None else None)
