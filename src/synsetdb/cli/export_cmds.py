"""``export NAME --format ilsvrc|webdataset|parquet --out DIR``."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from ..errors import FormatError
from ._app import cli
from ._context import AppContext
from ._output import clock, console, emit_json, id_column, json_option, show, table, text_column

if TYPE_CHECKING:  # Pillow, numpy and pyarrow load only when the command runs
    from ..catalog import Project
    from ..formats import ExportReport, Provenance
    from ..release import Release

FORMATS = ("ilsvrc", "webdataset", "parquet")
_SHOWN = ("format", "out", "total", "images", "skipped", "reencoded", "files_written",
          "files_skipped", "bytes_written", "elapsed_s", "images_per_s", "mb_per_s")  # fmt: skip


def _size(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    from ..formats import parse_size

    try:
        return parse_size(value)
    except FormatError as exc:
        raise click.BadParameter(str(exc)) from None


@cli.command("export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True, help="Layout.")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder: new, empty, or an earlier run of the same export (resumed).",
)
@click.option("--split", "splits", multiple=True, help="Export only this split (repeatable).")
@click.option(
    "--shard-size",
    default="256MB",
    show_default=True,
    callback=_size,
    help="Target size of a WebDataset shard or Parquet file (256MB, 1GiB, …).",
)
@click.option(
    "--shard-multiple",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Shards per split are a multiple of this (ranks × workers).",
)
@click.option(
    "--resize-side",
    type=click.IntRange(min=1),
    help="Store images with this shorter side (never upscaled) as JPEGs.",
)
@click.option(
    "--resize-quality",
    default=90,
    show_default=True,
    type=click.IntRange(1, 100),
    help="JPEG quality of resized images.",
)
@click.option("--overwrite", is_flag=True, help="Replace another export in --out.")
@click.option(
    "--workers", type=click.IntRange(min=0), help="Re-encoding processes (default: cores)."
)
@json_option
@click.pass_obj
def export_cmd(app: AppContext, /, name: str, fmt: str, out: Path, **options: Any) -> None:
    """Export release NAME as ILSVRC folders, WebDataset shards or Parquet (resumable)."""
    from ..formats import ExportOptions, get_exporter
    from ..release import load_release

    project = app.project
    release = load_release(project, name)
    export_options = ExportOptions(
        splits=tuple(options["splits"]),
        shard_size=options["shard_size"],
        shard_multiple=options["shard_multiple"],
        resize_side=options["resize_side"],
        resize_quality=options["resize_quality"],
        overwrite=options["overwrite"],
        workers=options["workers"],
        provenance=_provenance(project, release) if fmt == "webdataset" else None,
        taxonomy=project.taxonomy if fmt == "ilsvrc" else None,
    )
    with _progress(f"export {fmt}") as update:
        report = get_exporter(fmt).export(release, out, export_options, progress=update)
    if options["as_json"]:
        emit_json(report.to_dict())
        return
    rows = table(id_column(), text_column(), header=False)
    data = report.to_dict()
    for key in _SHOWN:
        rows.add_row(key, Text(str(data[key])))  # Text: a path is printed as it is
    for split, count in report.splits.items():
        rows.add_row(f"  {split}", str(count))
    show(rows)


def _provenance(project: Project, release: Release) -> Provenance:
    """image sha256 -> (source, licence) of the release's images, in one query."""
    from sqlalchemy import select

    from ..catalog import schema

    image, item, rel = schema.image.c, schema.release_item.c, schema.release.c
    query = (
        select(image.id, image.source, image.licence)
        .select_from(
            schema.image.join(schema.release_item, item.image_id == image.id).join(
                schema.release, rel.id == item.release_id
            )
        )
        .where(rel.name == release.name)
        .distinct()
    )
    with project.catalog.engine.connect() as conn:
        return {row.id: (row.source, row.licence) for row in conn.execute(query)}


@contextmanager
def _progress(label: str) -> Iterator[Callable[[ExportReport], None]]:
    """A live bar with rate and ETA in a terminal; a plain line every 10 s otherwise."""
    if not sys.stderr.isatty():
        yield _plain_progress()
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TextColumn("{task.fields[rate]:.0f} img/s"),
        TextColumn("{task.fields[mbs]:.1f} MB/s"),
        TimeElapsedColumn(),
        TextColumn("ETA {task.fields[eta]}"),
    )
    with Progress(*columns, console=console(), transient=True) as bar:
        task = bar.add_task(label, total=None, count="0 done", rate=0.0, mbs=0.0, eta="-")
        yield functools.partial(_update_bar, bar, task, [0.0])


def _update_bar(bar: Progress, task: TaskID, last: list[float], report: ExportReport) -> None:
    now = time.monotonic()
    if now - last[0] < 0.1 and report.done < report.total:
        return  # rich redraws at its own pace; spare the per-image calls
    last[0] = now
    bar.update(
        task,
        total=report.total or None,
        completed=report.done,
        count=f"{report.done} of {report.total}",
        rate=report.images_per_s,
        mbs=report.mb_per_s,
        eta=clock(report.eta_s),
    )


def _plain_progress() -> Callable[[ExportReport], None]:
    last = [time.monotonic()]

    def plain(report: ExportReport) -> None:
        if time.monotonic() - last[0] >= 10:
            last[0] = time.monotonic()
            click.echo(
                f"export: {report.done} of {report.total} images ({report.skipped} kept), "
                f"{report.images_per_s:.0f}/s, {report.mb_per_s:.1f} MB/s, "
                f"ETA {clock(report.eta_s)}",
                err=True,
            )

    return plain
