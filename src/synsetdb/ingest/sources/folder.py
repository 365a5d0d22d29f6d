"""Images in a folder tree: ``<root>/<wnid>/…`` or any tree with a mapping file."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Container, Iterator, Mapping
from pathlib import Path
from typing import Any

from ...errors import IngestError
from ..items import Rejected, SourceItem

__all__ = ["FolderSource"]


class FolderSource:
    """A folder of images.

    Without a mapping, every file under ``<root>/<label>/`` (any depth) gets the
    folder name as its label, as torchvision's ImageFolder does; a file directly
    in ``root`` is rejected (``E_NO_LABEL``) rather than stored without one.
    With a mapping file (CSV or TSV with columns ``path`` and ``wnid``, header
    optional), exactly the listed files are read, paths relative to ``root``.
    Hidden files and folders are skipped.

    Args:
        root: the folder.
        mapping: the mapping file, if the labels are not folder names.
        label: one wnid for every file (``root`` is one class's folder).
        unlabelled: store every file without a label (folder names are not labels).
        licence, author: recorded for every image (a lab's own photos).
        name: the source's name, the namespace of its keys for resuming
            (default ``folder:<root>``).
    """

    def __init__(
        self,
        root: str | Path,
        mapping: str | Path | None = None,
        *,
        label: str | None = None,
        unlabelled: bool = False,
        licence: str | None = None,
        author: str | None = None,
        name: str | None = None,
    ) -> None:
        self.root = Path(root).resolve()
        self.mapping = Path(mapping).resolve() if mapping is not None else None
        if not self.root.is_dir():
            raise IngestError(f"{self.root} is not a folder", code="E_LAYOUT")
        if self.mapping is not None and not self.mapping.is_file():
            raise IngestError(f"mapping file {self.mapping} does not exist", code="E_LAYOUT")
        if sum((mapping is not None, label is not None, unlabelled)) > 1:
            raise IngestError(
                "give at most one of a mapping, one label for all, or unlabelled",
                code="E_CONFIG",
            )
        if name is not None and not name.strip():
            raise IngestError("a source name cannot be empty", code="E_CONFIG")
        self.label, self.unlabelled = label, unlabelled
        self.provenance: Mapping[str, Any] = {
            k: v for k, v in (("licence", licence), ("author", author)) if v
        }
        self._name = name.strip() if name is not None else None

    @property
    def name(self) -> str:
        return self._name or f"folder:{self.root}"

    def check_labels(self, synset_ids: Container[str], describe: Callable[[str], str]) -> None:
        """Refuse, before anything is read, a tree whose labels cannot be right.

        Without a mapping or a label for all: a folder with no ``<wnid>/``
        folders (often one class's folder given by itself) would store its
        images without a label, and a tree none of whose folders is a synset
        (``cats/``, ``dogs/``) would reject every image. ``describe`` says
        what an unknown label probably meant.

        Raises:
            IngestError: ``E_NO_LABELS`` or ``E_LABEL``, saying what to do.
        """
        if self.label is not None and self.label not in synset_ids:
            raise IngestError(describe(self.label), code="E_LABEL")
        if self.mapping is not None or self.label is not None or self.unlabelled:
            return
        folders = sorted(
            e.name for e in os.scandir(self.root) if e.is_dir() and not e.name.startswith(".")
        )
        if not folders and self.root.name in synset_ids:
            raise IngestError(
                f"{self.root} looks like one class's folder ({self.root.name}): ingest it with "
                f"--synset {self.root.name}, or give its parent folder",
                code="E_NO_LABELS",
            )
        if not folders:
            raise IngestError(
                f"{self.root} has no <wnid>/ folders, so its images would get no label. "
                "If it is one class's folder, name the class with --synset WNID; "
                "label files with --mapping FILE; or pass --unlabelled to store them unlabelled",
                code="E_NO_LABELS",
            )
        if not any(f in synset_ids for f in folders):
            shown = "; ".join(describe(f) for f in folders[:3])
            more = f" (and {len(folders) - 3} more folders)" if len(folders) > 3 else ""
            raise IngestError(
                f"none of the {len(folders)} folders in {self.root} is a synset id: {shown}{more}. "
                "Rename the folders to wnids, label the files with --mapping FILE, "
                "or pass --unlabelled",
                code="E_LABEL",
            )

    def items(self, skip: Container[str] = frozenset()) -> Iterator[SourceItem]:
        found = self._mapped() if self.mapping is not None else self._walk()
        return (item for item in found if item.key not in skip)

    def total(self) -> int:
        """The files under ``root``, or the data rows of the mapping: what ``items`` yields."""
        if self.mapping is not None:
            return sum(1 for _ in self._mapping_rows())
        return sum(len(files) for _, _, files in self._folders())

    def _walk(self) -> Iterator[SourceItem]:
        for here, relative, files in self._folders():
            label = self._label_of(relative)
            for file in files:
                key = (relative / file).as_posix()
                problem = None
                if label is None and not self.unlabelled:
                    problem = Rejected("E_NO_LABEL", f"{key} is not in a <wnid>/ folder")
                yield SourceItem(
                    key=key,
                    name=file,
                    wnid=label,
                    path=str(here / file),
                    provenance=self.provenance,
                    problem=problem,
                )

    def _label_of(self, relative: Path) -> str | None:
        if self.unlabelled:
            return None
        if self.label is not None:
            return self.label
        return relative.parts[0] if relative.parts else None

    def _folders(self) -> Iterator[tuple[Path, Path, list[str]]]:
        """(folder, its path relative to ``root``, its files) in walk order, hidden names out."""
        for top, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            here = Path(top)
            visible = sorted(f for f in files if not f.startswith("."))
            yield here, here.relative_to(self.root), visible

    def _mapped(self) -> Iterator[SourceItem]:
        for line_no, row in self._mapping_rows():
            yield self._mapped_item(line_no, row)

    def _mapping_rows(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, cells) of every data row of the mapping: no header, no blank lines."""
        assert self.mapping is not None
        try:
            with self.mapping.open(newline="", encoding="utf-8") as f:
                first = f.readline()  # "" for an empty file: no rows, nothing to ingest
                f.seek(0)
                dialect = csv.excel_tab if "\t" in first else csv.excel
                for line_no, row in enumerate(csv.reader(f, dialect), start=1):
                    if not row or (
                        line_no == 1 and [c.strip().lower() for c in row[:2]] == ["path", "wnid"]
                    ):
                        continue
                    yield line_no, row
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"mapping file {self.mapping} is not UTF-8 text ({exc.reason} at byte {exc.start})",
                code="E_LAYOUT",
            ) from None

    def _mapped_item(self, line_no: int, row: list[str]) -> SourceItem:
        where = {"mapping": str(self.mapping), "line": line_no}
        if len(row) < 2 or not row[0].strip():
            problem = Rejected("E_MAPPING", f"{self.mapping}:{line_no}: expected 'path,wnid'")
            return SourceItem(key=f"line:{line_no}", name="", provenance=where, problem=problem)
        relative, wnid = row[0].strip(), row[1].strip() or None
        path = (self.root / relative).resolve()
        where = {**self.provenance, **where}
        item = SourceItem(key=relative, name=path.name, wnid=wnid, path=str(path), provenance=where)
        if not path.is_file():
            missing = Rejected("E_MISSING", f"{relative} (line {line_no}) does not exist")
            return SourceItem(
                key=relative, name=path.name, wnid=wnid, provenance=where, problem=missing
            )
        return item
