"""ILSVRC-2012 in each form users have it: the original archives, torchvision folders, Kaggle.

* :class:`IlsvrcArchives`: ``ILSVRC2012_img_train.tar`` (a tar of per-wnid tars),
  ``ILSVRC2012_img_val.tar`` (labels from the devkit), the test tar and the
  ``ILSVRC2012_bbox_*`` box archives, all streamed, never extracted.
* :class:`IlsvrcFolders`: the extracted torchvision layout, ``train/<wnid>/…``, ``val/<wnid>/…``.
* :class:`IlsvrcKaggle`: Kaggle's CLS-LOC layout with its CSVs and PASCAL-VOC boxes.

:func:`open_ilsvrc` tells them apart. Every image keeps its original file name,
official split and boxes; keys are relative paths (``train/n01440764/n01440764_10026.JPEG``,
``val/ILSVRC2012_val_00000001.JPEG``). Per-image problems come back as items
with a ``problem``; only an unusable top-level file raises :class:`IngestError`.

Example:
    >>> source = open_ilsvrc("/data/imagenet")  # doctest: +SKIP
    >>> source.name  # doctest: +SKIP
    'ilsvrc2012:/data/imagenet'
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import IO, Literal

from synsetdb.errors import IngestError
from synsetdb.ingest.items import Box, Rejected, Source, SourceItem
from synsetdb.ingest.sources._archive import (
    WNID,
    Label,
    count_files,
    iter_archive,
    iter_tar_of_tars,
    iter_wnid_folder,
    make_item,
    read_archive_member,
)
from synsetdb.ingest.sources.devkit import (
    DEVKIT_ARCHIVE,
    MAX_XML_BYTES,
    Devkit,
    find_devkit,
    parse_prediction,
    parse_voc,
    read_devkit,
    read_solution,
    read_synset_mapping,
)

__all__ = [
    "IlsvrcArchives",
    "IlsvrcFolders",
    "IlsvrcKaggle",
    "Layout",
    "open_ilsvrc",
]

log = logging.getLogger(__name__)

Layout = Literal["archives", "folders", "kaggle"]

TRAIN_ARCHIVE = "ILSVRC2012_img_train.tar"
VAL_ARCHIVE = "ILSVRC2012_img_val.tar"
TEST_ARCHIVES = ("ILSVRC2012_img_test_v10102019.tar", "ILSVRC2012_img_test.tar")
BBOX_PATTERNS = ("ILSVRC2012_bbox_*.tar.gz", "ILSVRC2012_bbox_*.tgz")
KAGGLE_MAPPING = "LOC_synset_mapping.txt"
KAGGLE_DATA = "ILSVRC/Data/CLS-LOC"
KAGGLE_ANNOTATIONS = "ILSVRC/Annotations/CLS-LOC"
# Kaggle's splits, and whether their images lie flat (no <wnid>/ folders).
_KAGGLE_FLAT = {"train": False, "val": True, "test": True}

_VAL_NAME = re.compile(r"ILSVRC2012_val_(\d+)\.\w+")

# Boxes as found: a tuple, a reason they are unusable, or None (no annotation).
Found = tuple[Box, ...] | Rejected | None


def _voc_found(data: bytes, where: str) -> Found:
    try:
        return parse_voc(data)
    except ValueError as exc:
        return Rejected("E_ANNOTATION", f"{where}: {exc}")


def _label_from_boxes(boxes: tuple[Box, ...], known: Mapping[str, str]) -> Label:
    wnids = sorted({b.wnid for b in boxes})
    if len(wnids) != 1:
        detail = f"boxes of several classes {wnids}" if wnids else "no label in the annotations"
        return Rejected("E_LABEL", detail)
    if wnids[0] not in known:
        return Rejected("E_LABEL", f"{wnids[0]} is not in {KAGGLE_MAPPING}")
    return wnids[0]


# ---------------------------------------------------------------- original archives


class IlsvrcArchives:
    """The original ILSVRC-2012 archives, streamed in stream mode without extracting.

    Items come in the order train, val, test. Train labels are the inner tars'
    wnids (checked against the devkit's 1,000 classes when it is given); val
    labels come from the devkit's ground truth through ``meta.mat``.

    Args:
        root: the folder the archives are in; names the source.
        train, val, test: the image archives present.
        devkit: ``ILSVRC2012_devkit_t12.tar.gz`` or its extracted folder; needed with ``val``.
        bboxes: ``ILSVRC2012_bbox_train_v2.tar.gz``, ``ILSVRC2012_bbox_val_v3.tgz``:
            VOC XMLs whose file names match image names.

    Raises:
        IngestError: ``E_LAYOUT`` without any image archive, ``E_ARCHIVE`` for a
            missing archive, ``E_DEVKIT`` for a missing or malformed devkit.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        train: Path | None = None,
        val: Path | None = None,
        test: Path | None = None,
        devkit: Path | None = None,
        bboxes: tuple[Path, ...] = (),
    ) -> None:
        self._root = Path(root).resolve()
        self._archives = [(s, p) for s, p in (("train", train), ("val", val), ("test", test)) if p]
        self._bboxes = bboxes
        if not self._archives:
            raise IngestError(f"{self._root}: no ILSVRC-2012 image archive", code="E_LAYOUT")
        for path in (*(p for _, p in self._archives), *bboxes):
            if not path.is_file():
                raise IngestError(f"{path}: no such archive", code="E_ARCHIVE")
        if val is not None and devkit is None:
            raise IngestError(
                f"{val}: val labels need the devkit; expected "
                f"{self._root / DEVKIT_ARCHIVE} (or its extracted folder)",
                code="E_DEVKIT",
            )
        self._devkit: Devkit | None = read_devkit(devkit) if devkit is not None else None

    @classmethod
    def from_folder(cls, folder: str | os.PathLike[str]) -> IlsvrcArchives:
        """Whichever of the official archives ``folder`` holds."""
        root = Path(folder).resolve()
        tests = [root / n for n in TEST_ARCHIVES if (root / n).is_file()]
        bboxes = tuple(sorted(p for pattern in BBOX_PATTERNS for p in root.glob(pattern)))
        return cls(
            root,
            train=_existing(root / TRAIN_ARCHIVE),
            val=_existing(root / VAL_ARCHIVE),
            test=tests[0] if tests else None,
            devkit=find_devkit(root),
            bboxes=bboxes,
        )

    @property
    def name(self) -> str:
        return f"ilsvrc2012:{self._root}"

    def items(self, skip: Container[str] = frozenset()) -> Iterator[SourceItem]:
        boxes = self._read_bboxes()
        for split, path in self._archives:
            with path.open("rb") as f:
                if split == "train":
                    stream = iter_tar_of_tars(
                        f,
                        where=str(path),
                        split=split,
                        prefix="train/",
                        label_of=self._train_label,
                        skip=skip,
                    )
                else:
                    stream = self._flat_items(f, path, split, skip)
                yield from _with_boxes(stream, boxes)

    def total(self) -> int | None:
        """Counted from the devkit, never from the archives (reading them is the ingest itself).

        Train: the sum of ``meta.mat``'s ``num_train_images`` over the 1,000
        classes; val: the ground-truth lines. None with a test archive or a
        train archive without the devkit: only reading them could count those.
        """
        if self._devkit is None or any(split == "test" for split, _ in self._archives):
            return None
        counts = {
            "train": sum(s.num_train_images for s in self._devkit.synsets if s.num_children == 0),
            "val": len(self._devkit.val_ground_truth),
        }
        return sum(counts[split] for split, _ in self._archives)

    def _train_label(self, wnid: str) -> Label:
        if self._devkit is None or wnid in self._devkit.leaf_wnids:
            return wnid
        return Rejected("E_LABEL", f"{wnid} is not one of the devkit's 1,000 classes")

    def _flat_items(
        self, f: IO[bytes], path: Path, split: str, skip: Container[str]
    ) -> Iterator[SourceItem]:
        for tar, member in iter_archive(f, str(path)):
            name = posixpath.basename(member.name)
            if f"{split}/{name}" in skip:
                continue
            data = read_archive_member(tar, member, str(path))
            label = self._val_label(name) if split == "val" else None
            provenance = {"archive": str(path), "member": member.name}
            yield make_item(f"{split}/{name}", name, split, label, data=data, provenance=provenance)

    def _val_label(self, name: str) -> Label:
        assert self._devkit is not None  # checked in __init__
        match = _VAL_NAME.fullmatch(name)
        if match is None:
            return Rejected("E_LABEL", f"{name}: not an ILSVRC2012_val_<number> name")
        index, truth = int(match[1]), self._devkit.val_ground_truth
        if not 1 <= index <= len(truth) or truth[index - 1] is None:
            return Rejected("E_LABEL", f"{name}: no ground-truth line {index} in the devkit")
        wnid = self._devkit.val_wnid(index)
        if wnid is None or wnid not in self._devkit.leaf_wnids:
            detail = f"ILSVRC2012_ID {truth[index - 1]} is not a class in meta.mat"
            return Rejected("E_LABEL", f"{name}: {detail}")
        return wnid

    def _read_bboxes(self) -> dict[str, Found]:
        """Boxes by image stem from the bbox archives (VOC XMLs named like the images)."""
        found: dict[str, Found] = {}
        for path in self._bboxes:
            with path.open("rb") as f:
                for tar, member in iter_archive(f, str(path)):
                    if member.name.endswith(".xml"):
                        stem = posixpath.basename(member.name).removesuffix(".xml")
                        data = read_archive_member(tar, member, str(path))
                        found[stem] = _voc_found(data, f"{path}/{member.name}")
        return found


def _with_boxes(items: Iterable[SourceItem], boxes: Mapping[str, Found]) -> Iterator[SourceItem]:
    for item in items:
        found = boxes.get(posixpath.splitext(item.name)[0]) if boxes else None
        if isinstance(found, Rejected) and item.problem is None:
            item = replace(item, problem=found)
        elif isinstance(found, tuple):
            item = replace(item, boxes=found)
        yield item


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None


# ---------------------------------------------------------------- extracted folders


class IlsvrcFolders:
    """The extracted torchvision layout: ``train/<wnid>/*`` and ``val/<wnid>/*``.

    The label is the folder's wnid and the split the top folder; files outside a
    wnid folder are rejected with ``E_LABEL``. Files are read by the worker.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = Path(root).resolve()
        self._splits = [s for s in ("train", "val") if (self._root / s).is_dir()]
        if not self._splits:
            raise IngestError(
                f"{self._root}: expected train/<wnid>/ or val/<wnid>/ folders", code="E_LAYOUT"
            )

    @property
    def name(self) -> str:
        return f"ilsvrc2012-folders:{self._root}"

    def items(self, skip: Container[str] = frozenset()) -> Iterator[SourceItem]:
        for split in self._splits:
            yield from _split_items(self._root, split, None, skip)

    def total(self) -> int:
        """The files under ``train/`` and ``val/`` (a walk; the files are not opened)."""
        return sum(_split_total(self._root, split) for split in self._splits)


def _split_items(
    root: Path,
    split: str,
    known: Mapping[str, str] | None,
    skip: Container[str],
    *,
    flat: bool = False,
) -> Iterator[SourceItem]:
    """The files of ``root/split``: in wnid folders (labelled) or, when ``flat``, unlabelled."""
    for entry, is_folder in _split_entries(root, split, flat=flat):
        key = f"{split}/{entry.name}"
        if is_folder:
            label = _folder_label(entry.name, known)
            yield from iter_wnid_folder(entry, root=root, label=label, split=split, skip=skip)
        elif key not in skip:
            label = None if flat else Rejected("E_LABEL", f"{key} is not in a wnid folder")
            yield make_item(key, entry.name, split, label, path=str(entry))


def _split_total(root: Path, split: str, *, flat: bool = False) -> int:
    """How many items :func:`_split_items` yields, skipping nothing (a walk; no file read)."""
    entries = _split_entries(root, split, flat=flat, quiet=True)
    return sum(count_files(entry) if is_folder else 1 for entry, is_folder in entries)


def _split_entries(
    root: Path, split: str, *, flat: bool, quiet: bool = False
) -> Iterator[tuple[Path, bool]]:
    """``(entry, is_folder)`` for the files and (unless ``flat``) folders of ``root/split``.

    Folders in a flat split are left out, with a warning unless ``quiet``.
    """
    top = root / split
    if not top.is_dir():
        return
    for entry in sorted(p for p in top.iterdir() if not p.name.startswith(".")):
        if entry.is_dir() and not flat:
            yield entry, True
        elif entry.is_file():
            yield entry, False
        elif entry.is_dir() and not quiet:
            log.warning("%s: ignoring folder %s/%s", root, split, entry.name)


def _folder_label(wnid: str, known: Mapping[str, str] | None) -> Label:
    if not WNID.fullmatch(wnid):
        return Rejected("E_LABEL", f"folder {wnid!r} is not a wnid")
    if known is not None and wnid not in known:
        return Rejected("E_LABEL", f"{wnid} is not in {KAGGLE_MAPPING}")
    return wnid


# ---------------------------------------------------------------- Kaggle CLS-LOC


class IlsvrcKaggle:
    """Kaggle's ``imagenet-object-localization-challenge`` layout.

    Train labels come from the ``train/<wnid>`` folders, val labels from
    ``LOC_val_solution.csv`` (the wnid of its boxes; the VOC XMLs where the CSV
    has no row), test images have none. Boxes come from the VOC XMLs under
    ``ILSVRC/Annotations/CLS-LOC`` where present, else from the CSVs.

    Raises:
        IngestError: ``E_LAYOUT`` naming the file when ``ILSVRC/Data/CLS-LOC`` or
            ``LOC_synset_mapping.txt`` is missing, or a CSV or the mapping is malformed.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = Path(root).resolve()
        self._data = self._root / KAGGLE_DATA
        if not self._data.is_dir():
            raise IngestError(f"{self._data}: no such folder", code="E_LAYOUT")
        self._mapping = read_synset_mapping(self._root / KAGGLE_MAPPING)

    @property
    def name(self) -> str:
        return f"ilsvrc2012-kaggle:{self._root}"

    def items(self, skip: Container[str] = frozenset()) -> Iterator[SourceItem]:
        train = _split_items(self._data, "train", self._mapping, skip, flat=_KAGGLE_FLAT["train"])
        yield from self._annotated(train, self._solution("train"))
        val = _split_items(self._data, "val", self._mapping, skip, flat=_KAGGLE_FLAT["val"])
        yield from self._annotated(val, self._solution("val"))
        yield from _split_items(self._data, "test", None, skip, flat=_KAGGLE_FLAT["test"])

    def total(self) -> int:
        """The image files under ``ILSVRC/Data/CLS-LOC`` (a walk; no file or annotation read)."""
        splits = _KAGGLE_FLAT.items()
        return sum(_split_total(self._data, split, flat=flat) for split, flat in splits)

    def _solution(self, split: str) -> dict[str, str]:
        path = self._root / f"LOC_{split}_solution.csv"
        return read_solution(path) if path.is_file() else {}

    def _annotated(
        self, items: Iterable[SourceItem], solution: Mapping[str, str]
    ) -> Iterator[SourceItem]:
        xmls: dict[str, Mapping[str, Path]] = {}
        for item in items:
            folder = posixpath.dirname(item.key)  # train/n01440764 or val
            if folder not in xmls:
                xmls = {folder: self._annotations(folder)}  # one folder at a time
            yield self._with_annotations(item, xmls[folder], solution)

    def _annotations(self, relative: str) -> Mapping[str, Path]:
        folder = self._root / KAGGLE_ANNOTATIONS / relative
        if not folder.is_dir():
            return {}
        return {p.name.removesuffix(".xml"): p for p in folder.iterdir() if p.suffix == ".xml"}

    def _with_annotations(
        self, item: SourceItem, xmls: Mapping[str, Path], solution: Mapping[str, str]
    ) -> SourceItem:
        if item.problem is not None:
            return item
        image_id = posixpath.splitext(item.name)[0]
        xml = xmls.get(image_id)
        from_xml = _xml_found(xml) if xml is not None else None
        from_csv = self._csv_found(solution, image_id, item.split or "")
        if isinstance(from_xml, Rejected):
            return replace(item, problem=from_xml)
        if isinstance(from_csv, Rejected):
            return replace(item, problem=from_csv)
        boxes = from_xml if from_xml is not None else from_csv or ()
        provenance = {"annotation": str(xml)} if xml is not None else {}
        if item.split != "val":
            return replace(item, boxes=boxes, provenance=provenance)
        # val: the class of the boxes, the CSV's first (it is the official solution)
        label = _label_from_boxes(from_csv or boxes, self._mapping)
        if isinstance(label, Rejected):
            return replace(item, problem=label)
        return replace(item, wnid=label, boxes=boxes, provenance=provenance)

    def _csv_found(self, solution: Mapping[str, str], image_id: str, split: str) -> Found:
        text = solution.get(image_id)
        if text is None:
            return None
        try:
            return parse_prediction(text)
        except ValueError as exc:
            return Rejected("E_ANNOTATION", f"LOC_{split}_solution.csv row {image_id}: {exc}")


def _xml_found(path: Path) -> Found:
    try:
        with path.open("rb") as f:
            data = f.read(MAX_XML_BYTES + 1)
    except OSError as exc:
        return Rejected("E_ANNOTATION", f"{path}: cannot read ({exc})")
    return _voc_found(data, str(path))


# ---------------------------------------------------------------- detection


def open_ilsvrc(path: str | os.PathLike[str], layout: Layout | None = None) -> Source:
    """The ILSVRC-2012 source for what ``path`` holds.

    Args:
        path: a folder with the original archives, a Kaggle CLS-LOC root, a
            torchvision root (``train/``, ``val/``), or one official archive.
        layout: force one layout instead of detecting it. Detection prefers the
            original archives where a folder holds both them and extracted folders.

    Raises:
        IngestError: ``E_LAYOUT`` with what was expected when no layout matches.
    """
    root = Path(path).resolve()
    if not root.exists():
        raise IngestError(f"{root}: no such file or folder", code="E_LAYOUT")
    if root.is_file():
        return _open_archive_file(root)
    detected = layout or _detect(root)
    if detected == "archives":
        return IlsvrcArchives.from_folder(root)
    if detected == "kaggle":
        return IlsvrcKaggle(root)
    if detected == "folders":
        return IlsvrcFolders(root)
    raise IngestError(
        f"{root}: no ILSVRC-2012 layout found; expected the original archives "
        f"({TRAIN_ARCHIVE} and/or {VAL_ARCHIVE} with ILSVRC2012_devkit_t12.tar.gz), "
        f"the Kaggle CLS-LOC layout ({KAGGLE_MAPPING} and {KAGGLE_DATA}/), "
        "or extracted folders (train/<wnid>/…, val/<wnid>/…)",
        code="E_LAYOUT",
    )


def _detect(root: Path) -> Layout | None:
    if any((root / n).is_file() for n in (TRAIN_ARCHIVE, VAL_ARCHIVE, *TEST_ARCHIVES)):
        return "archives"
    if (root / KAGGLE_DATA).is_dir():
        return "kaggle"
    for split in ("train", "val"):
        top = root / split
        if top.is_dir() and any(WNID.fullmatch(p.name) and p.is_dir() for p in top.iterdir()):
            return "folders"
    return None


def _open_archive_file(path: Path) -> IlsvrcArchives:
    roles = {TRAIN_ARCHIVE: "train", VAL_ARCHIVE: "val", **dict.fromkeys(TEST_ARCHIVES, "test")}
    role = roles.get(path.name)
    if role is None:
        raise IngestError(
            f"{path}: not an ILSVRC-2012 archive; expected {TRAIN_ARCHIVE}, {VAL_ARCHIVE} "
            "or a folder holding them",
            code="E_LAYOUT",
        )
    return IlsvrcArchives(
        path.parent,
        train=path if role == "train" else None,
        val=path if role == "val" else None,
        test=path if role == "test" else None,
        devkit=find_devkit(path.parent),
    )
