"""What sources yield and what processing an image produces: the ingest stage's records."""

from __future__ import annotations

from collections.abc import Container, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["Box", "Inspected", "Rejected", "Rendition", "Source", "SourceItem"]


@dataclass(frozen=True, slots=True)
class Box:
    """A bounding box in pixel coordinates of the original image (PASCAL VOC style)."""

    wnid: str
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True, slots=True)
class SourceItem:
    """One candidate image as a source found it.

    Exactly one of ``path`` (a local file the worker reads itself) and ``data``
    (bytes already in memory: tar members, downloads) is set, unless ``problem``
    is: then the item is only recorded, never read.

    Attributes:
        key: stable within the source; a re-run skips keys already recorded.
        wnid: the label the source gives, if any.
        name: the original file name (``n01440764_10026.JPEG``).
        split: the official split (``train``/``val``/``test``) when the source has one.
        boxes: bounding boxes that came with the image.
        provenance: anything else worth keeping (url, query, rank, source line…).
        problem: set when the source itself found the item unusable (an unreadable
            archive member, a malformed annotation); the pipeline records it as
            rejected with that code and never reads it.
    """

    key: str
    name: str
    wnid: str | None = None
    split: str | None = None
    boxes: tuple[Box, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None
    data: bytes | None = None
    problem: Rejected | None = None

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        if self.path is None:
            raise ValueError(f"source item {self.key!r} has neither path nor data")
        with open(self.path, "rb") as f:  # noqa: PTH123  (hot path: no Path object per file)
            return f.read()


@runtime_checkable
class Source(Protocol):
    """Where candidate images come from (a folder tree, the ILSVRC archives, a URL list…)."""

    @property
    def name(self) -> str:
        """A stable name (``folder:/data/imgs``): the namespace of item keys for resuming."""
        ...

    def items(self, skip: Container[str] = frozenset()) -> Iterator[SourceItem]:
        """Every item, streaming (never all in memory).

        Keys in ``skip`` are done already: a source may leave them out, and
        should when that saves real work (a download, an archive member read).
        """
        ...

    def total(self) -> int | None:
        """How many items the source holds (before skipping), or None when that is not cheap.

        Used only to show progress (a bar and an ETA), never to decide what is
        ingested. It may take seconds on huge inputs (a walk of 14 million
        files): the pipeline calls it on a background thread while the ingest
        runs, and an error in it only leaves the total unknown. Sources return
        None rather than read an archive or download anything to count.
        """
        ...

    # A source may also offer ``check_labels(synset_ids, describe)``, called
    # before any work, to refuse labels that cannot be right as a whole
    # (:meth:`synsetdb.ingest.FolderSource.check_labels`).


@dataclass(frozen=True, slots=True)
class Rendition:
    """An encoded derivative of an image, stored as a blob of its own.

    Attributes:
        kind: what it is, with its parameters (``resized-256``); one per image and kind.
        data: the encoded bytes (JPEG).
        width, height: its size in pixels, in display orientation.
    """

    kind: str
    data: bytes
    width: int
    height: int


@dataclass(frozen=True, slots=True)
class Inspected:
    """A valid image: identity, decoded facts and renditions."""

    sha256: str
    width: int
    height: int
    format: str  # PIL's format name: JPEG, PNG, WEBP, GIF, TIFF, BMP
    byte_size: int
    phash: int  # 64-bit DCT perceptual hash as a signed int64 (fits SQL BIGINT)
    thumbnail: bytes | None = None  # JPEG bytes, EXIF orientation applied
    resized: Rendition | None = None  # the resized copy, when one was asked for
    variants: bytes | None = None  # packed variant hashes (imaging.variants), when made


@dataclass(frozen=True, slots=True)
class Rejected:
    """An input that is not stored, and why (``code`` like ``E_DECODE``)."""

    code: str
    detail: str
    sha256: str | None = None
