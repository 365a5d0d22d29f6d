"""Images in a folder tree: ``<root>/<wnid>/…`` or any tree with a mapping file."""

from __future__ import annotations

import csv
import os
from collections.abc import Container, Iterator
from pathlib import Path

from ...errors import IngestError
from ..items import Rejected, SourceItem

__all__ = ["FolderSource"]


class FolderSource:
    """A folder of images.

    Without a mapping, every file under ``<root>/<label>/`` (any depth) gets the
    folder name as its label, as torchvision's ImageFolder does; files directly
    in ``root`` get no label. With a mapping file (CSV or TSV with columns
    ``path`` and ``wnid``, header optional), exactly the listed files are read,
    paths relative to ``root``. Hidden files and folders are skipped.
    """

    def __init__(self, root: str | Path, mapping: str | Path | None = None) -> None:
        self.root = Path(root).resolve()
        self.mapping = Path(mapping).resolve() if mapping is not None else None
        if not self.root.is_dir():
            raise IngestError(f"{self.root} is not a folder", code="E_LAYOUT")
        if self.mapping is not None and not self.mapping.is_file():
            raise IngestError(f"mapping file {self.mapping} does not exist", code="E_LAYOUT")

    @property
    def name(self) -> str:
        return f"folder:{self.root}"

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
            label = relative.parts[0] if relative.parts else None
            for file in files:
                key = (relative / file).as_posix()
                yield SourceItem(key=key, name=file, wnid=label, path=str(here / file))

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
        item = SourceItem(key=relative, name=path.name, wnid=wnid, path=str(path), provenance=where)
        if not path.is_file():
            missing = Rejected("E_MISSING", f"{relative} (line {line_no}) does not exist")
            return SourceItem(
                key=relative, name=path.name, wnid=wnid, provenance=where, problem=missing
            )
        return item
