"""URL lists: text, CSV, TSV or Parquet files of image URLs, downloaded as they are read."""

from __future__ import annotations

import csv
import threading
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import IngestError
from ..download import Download, DownloadConfig, download
from ..items import Rejected, SourceItem

__all__ = ["UrlListSource", "UrlRow"]


@dataclass(frozen=True, slots=True)
class UrlRow:
    """One line of a URL list: the URL, its label, and every other column."""

    line: int
    url: str
    wnid: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        # The same URL may be proposed for several synsets: one key per pair.
        return f"{self.url}\t{self.wnid}" if self.wnid else self.url


class UrlListSource:
    """Image URLs from a file, downloaded concurrently (see ``synsetdb.ingest.download``).

    Formats, by extension: ``.txt`` (a URL per line, optionally followed by
    whitespace and a wnid; ``#`` starts a comment), ``.csv``/``.tsv`` (a header
    with a ``url`` column and optionally ``wnid``), ``.parquet`` (the same
    columns; needs pyarrow). Columns besides ``url`` and ``wnid`` are kept as
    provenance. URLs already done (``skip``) are not downloaded again.
    """

    def __init__(self, path: str | Path, config: DownloadConfig | None = None) -> None:
        self.path = Path(path).resolve()
        self.config = config or DownloadConfig()
        if not self.path.is_file():
            raise IngestError(f"URL list {self.path} does not exist", code="E_LAYOUT")

    @property
    def name(self) -> str:
        return f"urls:{self.path}"

    def rows(self) -> Iterator[UrlRow]:
        """Every row of the list, in file order."""
        suffix = self.path.suffix.lower()
        if suffix == ".parquet":
            return self._parquet_rows()
        if suffix in (".csv", ".tsv"):
            return self._table_rows("\t" if suffix == ".tsv" else ",")
        return self._text_rows()

    def total(self) -> int:
        """The rows of the list (Parquet: from the file's metadata, without reading the rows)."""
        if self.path.suffix.lower() == ".parquet":
            return int(self._parquet_file().metadata.num_rows)
        return sum(1 for _ in self.rows())

    def items(self, skip: Container[str] = frozenset()) -> Iterator[SourceItem]:
        # Rows waiting for their URL; a URL listed for several synsets downloads once.
        # urls() runs on the downloader's thread, so both sides take the lock.
        pending: dict[str, list[UrlRow]] = {}
        lock = threading.Lock()

        def urls() -> Iterator[str]:
            for row in self.rows():
                if row.key in skip:
                    continue
                with lock:
                    waiting = pending.setdefault(row.url, [])
                    waiting.append(row)
                if len(waiting) == 1:
                    yield row.url

        for result in download(urls(), self.config):
            with lock:
                rows = pending.pop(result.url)
            for row in rows:
                yield self._item(row, result)

    def _item(self, row: UrlRow, result: Download) -> SourceItem:
        name = row.url.rsplit("/", 1)[-1].split("?", 1)[0] or row.url
        provenance = {"url": row.url, "line": row.line, **row.extra}
        if result.final_url and result.final_url != row.url:
            provenance["final_url"] = result.final_url
        if result.content_type:
            provenance["content_type"] = result.content_type
        problem = (
            None
            if result.data is not None
            else Rejected(result.code or "E_DOWNLOAD", result.detail)
        )
        return SourceItem(
            key=row.key,
            name=name,
            wnid=row.wnid,
            provenance=provenance,
            data=result.data,
            problem=problem,
        )

    def _text_rows(self) -> Iterator[UrlRow]:
        with self.path.open(encoding="utf-8") as f:
            for line_no, line in enumerate(f, start=1):
                text = (
                    line.split("#", 1)[0].strip() if line.lstrip().startswith("#") else line.strip()
                )
                if not text:
                    continue
                url, *rest = text.split()
                yield UrlRow(line_no, url, rest[0] if rest else None)

    def _table_rows(self, delimiter: str) -> Iterator[UrlRow]:
        with self.path.open(newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f, delimiter=delimiter)
            if reader.fieldnames is None or "url" not in reader.fieldnames:
                raise IngestError(f"{self.path}: the header needs a 'url' column", code="E_LAYOUT")
            for line_no, record in enumerate(reader, start=2):
                yield _row(line_no, record)

    def _parquet_rows(self) -> Iterator[UrlRow]:
        table = self._parquet_file()
        if "url" not in table.schema_arrow.names:
            raise IngestError(f"{self.path}: no 'url' column", code="E_LAYOUT")
        line = 0
        for batch in table.iter_batches(batch_size=10_000):
            for record in batch.to_pylist():
                line += 1
                yield _row(line, record)

    def _parquet_file(self) -> Any:  # a pyarrow.parquet.ParquetFile (pyarrow is optional)
        try:
            import pyarrow.parquet as pq
        except ModuleNotFoundError as exc:
            raise IngestError(
                "reading Parquet needs pyarrow: pip install 'synsetdb[parquet]'",
                code="E_DEPENDENCY",
            ) from exc
        return pq.ParquetFile(self.path)


def _row(line: int, record: dict[str, Any]) -> UrlRow:
    url = str(record.get("url") or "").strip()
    wnid = str(record.get("wnid") or "").strip() or None
    extra = {k: v for k, v in record.items() if k not in ("url", "wnid") and v not in (None, "")}
    return UrlRow(line, url, wnid, extra)
