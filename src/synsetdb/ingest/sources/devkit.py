"""ILSVRC-2012's metadata files: the devkit, PASCAL-VOC boxes and Kaggle's CSVs.

The devkit (``ILSVRC2012_devkit_t12.tar.gz``) holds ``data/meta.mat``, a MATLAB
struct array ``synsets`` of 1,860 entries (the 1,000 leaf classes with
ILSVRC2012_IDs 1-1000, then the internal synsets above them), and
``data/ILSVRC2012_validation_ground_truth.txt``, one ILSVRC2012_ID per line for
validation images 1..50,000. The ids follow the devkit's own order, not sorted
wnids (id 1 is ``n02119789`` kit fox), so labels always go through ``meta.mat``.

Boxes come as PASCAL-VOC XML (the ``ILSVRC2012_bbox_*`` archives, Kaggle's
``ILSVRC/Annotations/CLS-LOC``) or as Kaggle's ``LOC_*_solution.csv`` rows;
Kaggle names classes in ``LOC_synset_mapping.txt``.

Example:
    >>> devkit = read_devkit("/data/imagenet/ILSVRC2012_devkit_t12.tar.gz")  # doctest: +SKIP
    >>> devkit.val_wnid(1)  # doctest: +SKIP
    'n01751748'
"""

from __future__ import annotations

import csv
import io
import logging
import math
import os
import re
import tarfile
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from xml.parsers import expat

import numpy as np

from synsetdb.errors import IngestError
from synsetdb.ingest.items import Box

__all__ = [
    "DEVKIT_ARCHIVE",
    "DEVKIT_FOLDER",
    "MAX_XML_BYTES",
    "META_MAT",
    "VAL_GROUND_TRUTH",
    "Devkit",
    "DevkitSynset",
    "find_devkit",
    "parse_ground_truth",
    "parse_meta_mat",
    "parse_prediction",
    "parse_voc",
    "read_devkit",
    "read_solution",
    "read_synset_mapping",
]

log = logging.getLogger(__name__)

DEVKIT_ARCHIVE = "ILSVRC2012_devkit_t12.tar.gz"
DEVKIT_FOLDER = "ILSVRC2012_devkit_t12"
META_MAT = "data/meta.mat"
VAL_GROUND_TRUTH = "data/ILSVRC2012_validation_ground_truth.txt"

_FIELDS = (
    "ILSVRC2012_ID",
    "WNID",
    "words",
    "gloss",
    "num_children",
    "children",
    "wordnet_height",
    "num_train_images",
)
_WNID = re.compile(r"n\d{8}")
MAX_XML_BYTES = 1 << 20  # real annotations are under 2 KB


@dataclass(frozen=True, slots=True)
class DevkitSynset:
    """One entry of ``meta.mat``'s ``synsets`` (fields renamed to snake case)."""

    ilsvrc2012_id: int
    wnid: str
    words: str
    gloss: str
    num_children: int
    children: tuple[int, ...]  # ILSVRC2012_IDs of the children
    wordnet_height: int
    num_train_images: int


@dataclass(frozen=True, slots=True)
class Devkit:
    """What ingest needs from the devkit.

    Attributes:
        path: the archive or folder it was read from.
        synsets: every ``meta.mat`` entry, in file order.
        val_ground_truth: the ILSVRC2012_ID of validation image ``i`` at index
            ``i - 1``; ``None`` where the line is not an integer.
    """

    path: str
    synsets: tuple[DevkitSynset, ...]
    val_ground_truth: tuple[int | None, ...]
    by_id: Mapping[int, DevkitSynset] = field(init=False, repr=False, compare=False)
    leaf_wnids: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {s.ilsvrc2012_id: s for s in self.synsets})
        leaves = frozenset(s.wnid for s in self.synsets if s.num_children == 0)
        object.__setattr__(self, "leaf_wnids", leaves)

    def val_wnid(self, index: int) -> str | None:
        """The wnid of validation image ``index`` (1-based), or None if the devkit has none."""
        if not 1 <= index <= len(self.val_ground_truth):
            return None
        ilsvrc_id = self.val_ground_truth[index - 1]
        synset = self.by_id.get(ilsvrc_id) if ilsvrc_id is not None else None
        return synset.wnid if synset is not None else None


def find_devkit(folder: str | os.PathLike[str]) -> Path | None:
    """The devkit archive or extracted folder inside ``folder``, if there is one."""
    root = Path(folder)
    for candidate in (root / DEVKIT_ARCHIVE, root / DEVKIT_FOLDER):
        if candidate.exists():
            return candidate
    return None


def read_devkit(path: str | os.PathLike[str]) -> Devkit:
    """Read ``meta.mat`` and the validation ground truth.

    Args:
        path: ``ILSVRC2012_devkit_t12.tar.gz`` (streamed, never extracted), the
            extracted ``ILSVRC2012_devkit_t12`` folder, or the folder holding it.

    Raises:
        IngestError: ``E_DEVKIT``, naming the file, when a file is missing or malformed.
    """
    where = str(path)
    if Path(path).is_dir():
        meta, truth = _read_folder(Path(path))
    else:
        meta, truth = _read_archive(Path(path))
    synsets = parse_meta_mat(meta, f"{where}:{META_MAT}")
    ground_truth = parse_ground_truth(truth, f"{where}:{VAL_GROUND_TRUTH}")
    log.debug("devkit %s: %d synsets, %d val labels", where, len(synsets), len(ground_truth))
    return Devkit(path=where, synsets=synsets, val_ground_truth=ground_truth)


def _read_folder(folder: Path) -> tuple[bytes, bytes]:
    root = folder / DEVKIT_FOLDER if (folder / DEVKIT_FOLDER).is_dir() else folder
    found = []
    for relative in (META_MAT, VAL_GROUND_TRUTH):
        try:
            found.append((root / relative).read_bytes())
        except OSError as exc:
            raise _devkit_error(f"{root / relative}: cannot read ({exc})") from exc
    return found[0], found[1]


def _read_archive(archive: Path) -> tuple[bytes, bytes]:
    wanted = {META_MAT: b"", VAL_GROUND_TRUTH: b""}
    seen: set[str] = set()
    try:
        with archive.open("rb") as raw, tarfile.open(fileobj=raw, mode="r|*") as tar:
            for member in tar:
                relative = next((w for w in wanted if _is(member.name, w)), None)
                reader = tar.extractfile(member) if relative and member.isfile() else None
                if relative is not None and reader is not None:
                    wanted[relative] = reader.read()
                    seen.add(relative)
    except (OSError, EOFError, tarfile.TarError, zlib.error) as exc:
        raise _devkit_error(f"{archive}: cannot read the devkit archive ({exc})") from exc
    missing = [w for w in wanted if w not in seen]
    if missing:
        raise _devkit_error(f"{archive}: no {' or '.join(missing)} in the devkit archive")
    return wanted[META_MAT], wanted[VAL_GROUND_TRUTH]


def _is(member_name: str, relative: str) -> bool:
    name = member_name.removeprefix("./")
    return name == relative or name.endswith("/" + relative)


def parse_meta_mat(data: bytes, where: str) -> tuple[DevkitSynset, ...]:
    """Parse the bytes of ``meta.mat`` into synsets.

    Raises:
        IngestError: ``E_DEVKIT`` when the file is not a MATLAB file holding the
            ``synsets`` struct array with the eight official fields.
    """
    try:
        import scipy.io  # only when a devkit is read: it is slow to import

        mat = scipy.io.loadmat(io.BytesIO(data), squeeze_me=True, struct_as_record=False)
    except Exception as exc:  # scipy raises ValueError, TypeError, MatReadError, …
        raise _devkit_error(f"{where}: not a readable MATLAB file ({exc})") from exc
    if "synsets" not in mat:
        raise _devkit_error(f"{where}: no 'synsets' struct array")
    records = np.atleast_1d(np.asarray(mat["synsets"], dtype=object)).ravel()
    synsets = tuple(_synset(record, where, i) for i, record in enumerate(records, start=1))
    ids = [s.ilsvrc2012_id for s in synsets]
    if not synsets or len(set(ids)) != len(ids):
        raise _devkit_error(f"{where}: 'synsets' is empty or repeats an ILSVRC2012_ID")
    return synsets


def _synset(record: Any, where: str, position: int) -> DevkitSynset:
    try:
        values = {name: getattr(record, name) for name in _FIELDS}
        synset = DevkitSynset(
            ilsvrc2012_id=int(values["ILSVRC2012_ID"]),
            wnid=_text(values["WNID"]),
            words=_text(values["words"]),
            gloss=_text(values["gloss"]),
            num_children=int(values["num_children"]),
            children=tuple(int(c) for c in np.atleast_1d(values["children"]).ravel()),
            wordnet_height=int(values["wordnet_height"]),
            num_train_images=int(values["num_train_images"]),
        )
    except (AttributeError, TypeError, ValueError) as exc:
        raise _devkit_error(f"{where}: synsets({position}) is malformed ({exc})") from exc
    if not _WNID.fullmatch(synset.wnid):
        raise _devkit_error(f"{where}: synsets({position}) has WNID {synset.wnid!r}")
    return synset


def _text(value: Any) -> str:
    # loadmat gives an empty char array, not "", for an empty MATLAB string.
    return "" if isinstance(value, np.ndarray) and value.size == 0 else str(value)


def parse_ground_truth(data: bytes, where: str) -> tuple[int | None, ...]:
    """Parse the validation ground truth: one ILSVRC2012_ID per line.

    A line that is not an integer becomes ``None`` (that image is rejected with
    ``E_LABEL``, the others keep their labels); trailing blank lines are ignored.

    Raises:
        IngestError: ``E_DEVKIT`` when the file is not text.
    """
    try:
        lines = data.decode("ascii").rstrip().splitlines()
    except UnicodeDecodeError as exc:
        raise _devkit_error(f"{where}: not a text file ({exc})") from exc
    return tuple(int(line) if line.strip().isdigit() else None for line in lines)


def _devkit_error(message: str) -> IngestError:
    return IngestError(message, code="E_DEVKIT")


# ---------------------------------------------------------------- box annotations


def parse_voc(data: bytes) -> tuple[Box, ...]:
    """The boxes of a PASCAL-VOC annotation (``<annotation><object><name>…<bndbox>…``).

    The XML is untrusted: a DOCTYPE or ENTITY declaration is refused before
    anything is expanded (no billion laughs, no external entities).

    Raises:
        ValueError: the XML is malformed, declares a DOCTYPE, or a box is incomplete.
    """
    root = _parse_untrusted_xml(data)
    if root.tag != "annotation":
        raise ValueError(f"root element is <{root.tag}>, not <annotation>")
    boxes = []
    for obj in root.iter("object"):
        wnid, bndbox = (obj.findtext("name") or "").strip(), obj.find("bndbox")
        if not wnid or bndbox is None:
            raise ValueError("an <object> without <name> or <bndbox>")
        coords = [_number(bndbox.findtext(tag)) for tag in ("xmin", "ymin", "xmax", "ymax")]
        boxes.append(Box(wnid, *coords))
    return tuple(boxes)


def _parse_untrusted_xml(data: bytes) -> ET.Element:
    if len(data) > MAX_XML_BYTES:
        raise ValueError(f"annotation of {len(data)} bytes is implausibly large")
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_doctype
    parser.EntityDeclHandler = _refuse_doctype
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ValueError(f"not well-formed XML ({exc})") from exc
    return builder.close()


def _refuse_doctype(*_: object) -> NoReturn:
    raise ValueError("DOCTYPE/ENTITY declarations are refused in annotations")


def _number(text: str | None) -> float:
    value = float(text or "")
    if not math.isfinite(value):
        raise ValueError(f"coordinate {text!r} is not finite")
    return value


def parse_prediction(text: str) -> tuple[Box, ...]:
    """The boxes of a Kaggle ``PredictionString``: repeated ``wnid xmin ymin xmax ymax``.

    Raises:
        ValueError: the tokens do not form such groups.
    """
    tokens = text.split()
    if len(tokens) % 5:
        raise ValueError(f"{len(tokens)} tokens is not a multiple of 5 (wnid x0 y0 x1 y1)")
    boxes = []
    for i in range(0, len(tokens), 5):
        if not _WNID.fullmatch(tokens[i]):
            raise ValueError(f"{tokens[i]!r} is not a wnid")
        boxes.append(Box(tokens[i], *(_number(t) for t in tokens[i + 1 : i + 5])))
    return tuple(boxes)


def read_synset_mapping(path: Path) -> dict[str, str]:
    """``LOC_synset_mapping.txt``: wnid → words (``n01440764 tench, Tinca tinca``).

    Raises:
        IngestError: ``E_LAYOUT`` naming the file (and line) when missing or malformed.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path}: cannot read ({exc})", code="E_LAYOUT") from exc
    mapping = {}
    for number, line in enumerate(lines, start=1):
        wnid, _, words = line.strip().partition(" ")
        if line.strip() and not _WNID.fullmatch(wnid):
            raise IngestError(f"{path}:{number}: expected 'wnid words'", code="E_LAYOUT")
        if wnid:
            mapping[wnid] = words
    return mapping


def read_solution(path: Path) -> dict[str, str]:
    """A Kaggle solution CSV: ImageId → PredictionString (parsed per image, on use).

    Raises:
        IngestError: ``E_LAYOUT`` naming the file when unreadable or its header is wrong.
    """
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = csv.reader(f)
            header = next(rows, None)
            if header != ["ImageId", "PredictionString"]:
                raise IngestError(
                    f"{path}: expected the header 'ImageId,PredictionString', got {header}",
                    code="E_LAYOUT",
                )
            # Extra columns are kept in the text so that the row fails to parse, per image.
            return {row[0]: " , ".join(row[1:]) for row in rows if row}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise IngestError(f"{path}: cannot read ({exc})", code="E_LAYOUT") from exc
