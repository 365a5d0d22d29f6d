"""Reading ImageNet's archives and folders: the tar and folder helpers the sources share.

ImageNet packages a synset's images as ``<wnid>.tar`` holding ``<wnid>_<n>.JPEG``;
ImageNet-21k is a folder of such tars (or of ``<wnid>/`` folders once extracted),
and ILSVRC-2012's ``ILSVRC2012_img_train.tar`` is a tar of 1,000 of them. Tars
are always read in stream mode: nothing is extracted to disk and only one image
is in memory at a time.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import tarfile
import zlib
from collections.abc import Callable, Container, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Self, cast

from synsetdb.errors import IngestError
from synsetdb.ingest.items import Box, Rejected, SourceItem

__all__ = [
    "WNID",
    "Label",
    "count_files",
    "iter_archive",
    "iter_tar_of_tars",
    "iter_wnid_folder",
    "iter_wnid_tar",
    "make_item",
    "read_archive_member",
    "walk_files",
]

log = logging.getLogger(__name__)

WNID = re.compile(r"n\d{8}")
TAR_ERRORS = (OSError, EOFError, tarfile.TarError, zlib.error)

# A label as a source decides it: a wnid, a reason the item has none it can use, or no label.
Label = str | Rejected | None


class _StrictTarInfo(tarfile.TarInfo):
    """Makes a bad header after the first member an error; tarfile would just stop there."""

    @classmethod
    def fromtarfile(cls, tarfile_: tarfile.TarFile) -> Self:
        try:
            return super().fromtarfile(tarfile_)
        except tarfile.HeaderError as exc:
            # EOF and empty headers are the normal end of an archive.
            if type(exc).__name__ in ("EOFHeaderError", "EmptyHeaderError"):
                raise
            raise tarfile.ReadError(f"bad header at byte {tarfile_.offset}: {exc}") from None


def open_tar_stream(fileobj: IO[bytes]) -> tarfile.TarFile:
    """A tar (any compression) read strictly in stream mode: it never seeks backwards."""
    return tarfile.open(fileobj=fileobj, mode="r|*", tarinfo=_StrictTarInfo)


def iter_members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    """Regular-file members in archive order."""
    while (member := tar.next()) is not None:
        # Stream mode keeps every header it read (50,000 for the val tar); nothing
        # here looks back, so drop them. `members` is missing from typeshed.
        cast(Any, tar).members.clear()
        if member.isfile():
            yield member


def read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    reader = tar.extractfile(member)
    if reader is None:  # pragma: no cover  (regular files always have a reader)
        raise tarfile.ReadError(f"{member.name}: no data")
    return reader.read()


def make_item(
    key: str,
    name: str,
    split: str | None,
    label: Label,
    *,
    data: bytes | None = None,
    path: str | None = None,
    boxes: tuple[Box, ...] = (),
    provenance: Mapping[str, Any] | None = None,
    problem: Rejected | None = None,
) -> SourceItem:
    """A SourceItem; a rejected label becomes its problem (and it carries no wnid)."""
    problem = label if isinstance(label, Rejected) else problem
    return SourceItem(
        key=key,
        name=name,
        wnid=label if isinstance(label, str) else None,
        split=split,
        boxes=boxes,
        provenance=dict(provenance or {}),
        path=path,
        data=data,
        problem=problem,
    )


def iter_wnid_tar(
    fileobj: IO[bytes],
    *,
    wnid: str,
    label: Label,
    split: str | None,
    prefix: str,
    where: str,
    skip: Container[str] = frozenset(),
) -> Iterator[SourceItem]:
    """The images of one ``<wnid>.tar``, keyed ``{prefix}{wnid}/{member}``.

    Members whose key is in ``skip`` are passed over unread. An unreadable tar,
    or an unreadable rest of one, ends in one item keyed ``{prefix}{wnid}.tar``
    with problem ``E_ARCHIVE``; the images before it stand.
    """
    try:
        with open_tar_stream(fileobj) as tar:
            for member in iter_members(tar):
                inner = member.name.removeprefix("./")
                key = f"{prefix}{wnid}/{inner}"
                if key in skip:
                    continue
                data = read_member(tar, member)
                yield make_item(
                    key,
                    posixpath.basename(inner),
                    split,
                    label,
                    data=data,
                    provenance={"archive": where, "member": inner},
                )
    except TAR_ERRORS as exc:
        log.warning("%s: unreadable tar (%s)", where, exc)
        problem = Rejected("E_ARCHIVE", f"{where}: unreadable tar ({exc})")
        if f"{prefix}{wnid}.tar" not in skip:
            kept = label if isinstance(label, str) else None
            yield make_item(f"{prefix}{wnid}.tar", f"{wnid}.tar", split, kept, problem=problem)


def iter_tar_of_tars(
    fileobj: IO[bytes],
    *,
    where: str,
    split: str | None,
    prefix: str,
    label_of: Callable[[str], Label],
    skip: Container[str] = frozenset(),
) -> Iterator[SourceItem]:
    """Stream a tar of per-wnid tars (``ILSVRC2012_img_train.tar``, ``fall11_whole.tar``).

    Args:
        fileobj: the outer archive, read front to back (need not be seekable).
        where: the archive's name in messages and provenance.
        split: the split every image gets.
        prefix: prepended to every key (``"train/"``).
        label_of: the label for the images of a wnid's tar.
        skip: keys not to yield; their members are passed over unread.

    Raises:
        IngestError: ``E_ARCHIVE`` when the outer archive itself cannot be read.
    """
    for outer, member in iter_archive(fileobj, where):
        yield from _inner_tar(outer, member, where, split, prefix, label_of, skip)


def iter_archive(
    fileobj: IO[bytes], where: str
) -> Iterator[tuple[tarfile.TarFile, tarfile.TarInfo]]:
    """The regular members of a top-level archive, streamed.

    Raises:
        IngestError: ``E_ARCHIVE`` naming ``where`` when the archive cannot be read.
    """
    try:
        tar = open_tar_stream(fileobj)
    except TAR_ERRORS as exc:
        raise archive_error(where, exc) from exc
    with tar:
        members = iter_members(tar)
        while True:
            try:
                member = next(members, None)
            except TAR_ERRORS as exc:
                raise archive_error(where, exc) from exc
            if member is None:
                return
            yield tar, member


def read_archive_member(tar: tarfile.TarFile, member: tarfile.TarInfo, where: str) -> bytes:
    """A member of a top-level archive; an unreadable one raises IngestError ``E_ARCHIVE``."""
    try:
        return read_member(tar, member)
    except TAR_ERRORS as exc:
        raise archive_error(f"{where}/{member.name}", exc) from exc


def archive_error(where: str, exc: BaseException) -> IngestError:
    return IngestError(f"{where}: unreadable archive ({exc})", code="E_ARCHIVE")


def _inner_tar(
    outer: tarfile.TarFile,
    member: tarfile.TarInfo,
    where: str,
    split: str | None,
    prefix: str,
    label_of: Callable[[str], Label],
    skip: Container[str],
) -> Iterator[SourceItem]:
    name = posixpath.basename(member.name)
    wnid = name.removesuffix(".tar")
    if not name.endswith(".tar") or not WNID.fullmatch(wnid):
        problem = Rejected("E_ARCHIVE", f"{where}: {member.name} is not a <wnid>.tar")
        if f"{prefix}{name}" not in skip:
            yield make_item(f"{prefix}{name}", name, split, problem)
        return
    reader = outer.extractfile(member)
    if reader is None:  # pragma: no cover  (regular files always have a reader)
        return
    inner_where = f"{where}/{member.name.removeprefix('./')}"
    label = label_of(wnid)
    yield from iter_wnid_tar(
        reader, wnid=wnid, label=label, split=split, prefix=prefix, where=inner_where, skip=skip
    )


def walk_files(folder: Path) -> Iterator[Path]:
    """Every regular file under ``folder`` in sorted order, skipping hidden names."""
    return (Path(entry.path) for entry in _walk(folder))


def count_files(folder: Path) -> int:
    """How many files :func:`walk_files` yields, without making a Path of each (for totals)."""
    return sum(1 for _ in _walk(folder))


def _walk(folder: str | Path) -> Iterator[os.DirEntry[str]]:
    with os.scandir(folder) as scan:
        entries = sorted((e for e in scan if not e.name.startswith(".")), key=lambda e: e.name)
    for entry in entries:
        if entry.is_dir():
            yield from _walk(entry.path)
        elif entry.is_file():
            yield entry


def iter_wnid_folder(
    folder: Path,
    *,
    root: Path,
    label: Label,
    split: str | None,
    skip: Container[str] = frozenset(),
) -> Iterator[SourceItem]:
    """The files under one folder, keyed by their path relative to ``root``, read by the worker."""
    for path in walk_files(folder):
        key = path.relative_to(root).as_posix()
        if key not in skip:
            yield make_item(key, path.name, split, label, path=str(path))
