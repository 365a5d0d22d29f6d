"""Parquet files that Hugging Face ``datasets`` loads with ``Image`` and ``ClassLabel`` features.

``<split>-<shard:05d>-of-<total:05d>.parquet`` (the Hub's naming), in manifest
order, with the columns ``image`` (``struct<bytes: binary, path: string>``),
``label`` (int64 class index), ``wnid`` and ``image_sha256``. The schema carries
``datasets``' own ``huggingface`` metadata (``Image()``, ``ClassLabel(names=wnids)``),
so ``load_dataset("parquet", data_files=…)`` types the columns with no extra
argument. Row groups hold about ``row_group_bytes`` of images; files are cut
at ``shard_size`` with their count a multiple of ``shard_multiple``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..release import Release, ReleaseItem
from ._images import Rendered, Rendering
from ._run import Job, Run, cut, identity, plan_shards, select_items
from .base import ExportOptions, ExportReport, ProgressFn

__all__ = ["LAYOUT", "ParquetExporter", "arrow_schema", "file_name"]

LAYOUT = "synsetdb-parquet/1"
_KEEP = frozenset({"JPEG", "PNG", "WEBP"})
_ROW_OVERHEAD = 200  # label, wnid, sha256 and page headers per row


def file_name(split: str, index: int, total: int) -> str:
    return f"{split}-{index:05d}-of-{total:05d}.parquet"


def arrow_schema(wnids: list[str]) -> Any:
    """The table's schema, with ``datasets``' feature metadata."""
    import pyarrow as pa

    features = {
        "image": {"_type": "Image"},
        "label": {"names": wnids, "_type": "ClassLabel"},
        "wnid": {"dtype": "string", "_type": "Value"},
        "image_sha256": {"dtype": "string", "_type": "Value"},
    }
    return pa.schema(
        [
            ("image", pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
            ("label", pa.int64()),
            ("wnid", pa.string()),
            ("image_sha256", pa.string()),
        ],
        metadata={"huggingface": json.dumps({"info": {"features": features}})},
    )


class ParquetExporter:
    """``--format parquet``: see the module docstring."""

    name = "parquet"

    def export(
        self,
        release: Release,
        out: Path,
        options: ExportOptions,
        progress: ProgressFn | None = None,
    ) -> ExportReport:
        chosen = select_items(release, options)
        ident = identity(
            LAYOUT,
            release,
            options,
            list(chosen),
            shard_size=options.shard_size,
            shard_multiple=options.shard_multiple,
            row_group_bytes=options.row_group_bytes,
        )
        rendering = Rendering.of(options, _KEEP)
        run = Run(self.name, out, release, options, ident, rendering, progress)
        try:
            plan = plan_shards(run, chosen, _ROW_OVERHEAD)
            run.outdir.begin(plan)
            jobs = []
            for split, items in chosen.items():
                run.report.splits[split] = len(items)
                shards = cut(items, plan[split])
                total = len(shards)
                jobs += [Job(file_name(split, i, total), s) for i, s in enumerate(shards)]
            writer = _FileWriter(run, arrow_schema(release.manifest.wnids))
            run.write_images(jobs, writer.write)
            return run.finish({"shards": plan})
        finally:
            run.close()


class _FileWriter:
    """Streams rows into one Parquet file per job, a row group every ``row_group_bytes``."""

    def __init__(self, run: Run, schema: Any) -> None:
        self._run = run
        self._schema = schema
        self._index = run.release.manifest.class_to_idx

    def write(self, job: Job, stream: Iterator[tuple[ReleaseItem, Rendered]]) -> None:
        import pyarrow.parquet as pq

        limit = self._run.options.row_group_bytes
        with self._run.outdir.create_path(job.rel) as tmp:
            writer = pq.ParquetWriter(
                tmp,
                self._schema,
                compression="snappy",
                use_dictionary=["wnid"],
                write_statistics=["label", "wnid"],
            )
            try:
                rows: list[tuple[ReleaseItem, Rendered]] = []
                size = 0
                for item, rendered in stream:
                    rows.append((item, rendered))
                    size += len(rendered.data)
                    if size >= limit:
                        writer.write_table(self._table(rows), row_group_size=len(rows))
                        rows, size = [], 0
                if rows:
                    writer.write_table(self._table(rows), row_group_size=len(rows))
            finally:
                writer.close()

    def _table(self, rows: list[tuple[ReleaseItem, Rendered]]) -> Any:
        import pyarrow as pa

        columns = {
            "image": [{"bytes": r.data, "path": f"{i.name}.{r.extension}"} for i, r in rows],
            "label": [self._index[i.wnid] for i, _ in rows],
            "wnid": [i.wnid for i, _ in rows],
            "image_sha256": [i.image for i, _ in rows],
        }
        return pa.Table.from_pydict(columns, schema=self._schema)
