"""ImageNet-21k (fall11 / winter21), and the per-wnid tar format ImageNet ships everything in.

ImageNet packages a synset's images as ``<wnid>.tar`` holding ``<wnid>_<n>.JPEG``;
ImageNet-21k is a folder of such tars (or of ``<wnid>/`` folders once extracted,
or the one ``fall11_whole.tar`` / ``winter21_whole.tar.gz`` holding them all), and
ILSVRC-2012's ``ILSVRC2012_img_train.tar`` is a tar of 1,000 of them. Tars are
read in stream mode (see :mod:`synsetdb.ingest.sources._archive`): nothing is
extracted to disk and only one image is in memory at a time.

Example:
    >>> source = ImageNet21k("/data/winter21_whole")  # doctest: +SKIP
    >>> next(source.items()).key  # doctest: +SKIP
    'n00004475/n00004475_15899.JPEG'
"""

from __future__ import annotations

import logging
import os
from collections.abc import Container, Iterator
from pathlib import Path

from synsetdb.errors import IngestError
from synsetdb.ingest.items import Rejected, SourceItem
from synsetdb.ingest.sources._archive import (
    WNID,
    Label,
    count_files,
    iter_tar_of_tars,
    iter_wnid_folder,
    iter_wnid_tar,
    make_item,
)

__all__ = ["ImageNet21k"]

log = logging.getLogger(__name__)


class ImageNet21k:
    """ImageNet-21k as per-wnid tars, per-wnid folders or one whole tar of tars.

    Labels are the wnids in the tar or folder names; there is no split. Where
    both ``n01440764.tar`` and ``n01440764/`` exist, the tar (the original) is
    read and the folder skipped, so keys never repeat.

    Args:
        root: a folder of ``<wnid>.tar`` files and/or ``<wnid>/`` folders, or a
            tar of per-wnid tars (``fall11_whole.tar``, ``winter21_whole.tar.gz``).

    Raises:
        IngestError: ``E_LAYOUT`` when ``root`` holds neither.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = Path(root).resolve()
        if not self._root.exists():
            raise IngestError(f"{self._root}: no such file or folder", code="E_LAYOUT")
        if self._root.is_file():
            return
        if not self._root.is_dir() or not any(_wnid_entry(p) for p in self._root.iterdir()):
            raise IngestError(
                f"{self._root}: not an ImageNet-21k layout; expected <wnid>.tar files "
                "or <wnid>/ folders (n01440764.tar, n01440764/…) or a tar of them",
                code="E_LAYOUT",
            )

    @property
    def name(self) -> str:
        return f"imagenet21k:{self._root}"

    def items(self, skip: Container[str] = frozenset()) -> Iterator[SourceItem]:
        if self._root.is_file():
            with self._root.open("rb") as f:
                yield from iter_tar_of_tars(
                    f, where=str(self._root), split=None, prefix="", label_of=str, skip=skip
                )
            return
        entries, tars = self._entries()
        for entry in entries:
            yield from self._entry_items(entry, tars, skip)

    def total(self) -> int | None:
        """The files in ``<wnid>/`` folders (a walk); None if there are tars (not read to count)."""
        if self._root.is_file():
            return None
        entries, _ = self._entries()
        if any(_wnid_entry(entry) is not None and entry.is_file() for entry in entries):
            return None
        # As in _entry_items: each file in a folder is an item, a misnamed tar one (E_LABEL).
        return sum(count_files(e) if e.is_dir() else int(e.suffix == ".tar") for e in entries)

    def _entries(self) -> tuple[list[Path], set[str]]:
        """The root's visible entries in name order, and the names of its files less ``.tar``."""
        entries = sorted(p for p in self._root.iterdir() if not p.name.startswith("."))
        return entries, {p.name.removesuffix(".tar") for p in entries if p.is_file()}

    def _entry_items(
        self, entry: Path, tars: set[str], skip: Container[str]
    ) -> Iterator[SourceItem]:
        wnid = _wnid_entry(entry)
        if entry.is_dir():
            if wnid is not None and wnid in tars:
                log.info("%s: reading %s.tar, skipping the folder", self._root, wnid)
                return
            label: Label = wnid or Rejected("E_LABEL", f"{entry.name!r} is not a wnid")
            yield from iter_wnid_folder(entry, root=self._root, label=label, split=None, skip=skip)
        elif wnid is not None:
            yield from self._tar_items(entry, wnid, skip)
        elif entry.suffix == ".tar" and entry.name not in skip:
            problem = Rejected("E_LABEL", f"{entry.name!r} is not named <wnid>.tar")
            yield make_item(entry.name, entry.name, None, problem)
        elif entry.suffix != ".tar":
            log.warning("%s: ignoring %s (not a <wnid>.tar or folder)", self._root, entry.name)

    def _tar_items(self, path: Path, wnid: str, skip: Container[str]) -> Iterator[SourceItem]:
        try:
            f = path.open("rb")
        except OSError as exc:
            if path.name not in skip:
                problem = Rejected("E_ARCHIVE", f"{path}: cannot open ({exc})")
                yield make_item(path.name, path.name, None, problem)
            return
        with f:
            yield from iter_wnid_tar(
                f, wnid=wnid, label=wnid, split=None, prefix="", where=str(path), skip=skip
            )


def _wnid_entry(path: Path) -> str | None:
    """The wnid a root entry is named after (``n01440764.tar`` or ``n01440764/``)."""
    stem = path.name.removesuffix(".tar") if path.is_file() else path.name
    if WNID.fullmatch(stem) and (path.is_dir() or path.name.endswith(".tar")):
        return stem
    return None
