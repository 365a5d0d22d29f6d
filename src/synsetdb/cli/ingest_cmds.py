"""``ingest folder|ilsvrc|imagenet21k`` and ``check``."""

from __future__ import annotations

import functools
import getpass
import itertools
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ..catalog.checks import CHECKS, run_checks
from ._app import cli
from ._context import AppContext
from ._output import clock, console, emit_json, json_option, wrapped

if TYPE_CHECKING:  # the ingest package (httpx, Pillow, …) loads only when a command runs
    from ..catalog.ingest_reads import SourceSummary
    from ..ingest import IngestConfig, IngestReport, Source
    from ..ingest.dedupe import DuplicateMember
    from ..ingest.dups import DuplicateGroup


def _ingest_options(f: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--workers", type=int, help="Worker processes (default: cores + 1)."),
        click.option(
            "--batch-size", default=256, show_default=True, help="Inputs per transaction."
        ),
        click.option(
            "--min-side", default=32, show_default=True, help="Reject smaller images (E_TOO_SMALL)."
        ),
        click.option(
            "--max-pixels",
            default=40_000_000,
            show_default=True,
            help="Reject larger images before decoding (E_BOMB).",
        ),
        click.option(
            "--max-aspect",
            default=20.0,
            show_default=True,
            help="Reject longer/shorter side above this.",
        ),
        click.option("--no-thumbnails", is_flag=True, help="Do not store thumbnails."),
        click.option(
            "--no-variant-hashes",
            is_flag=True,
            help="Skip the crop/turn/mirror hashes (~1 ms an image); they are then made "
            "from thumbnails when a near-duplicate grouping first needs them.",
        ),
        click.option(
            "--resize-side",
            type=click.IntRange(min=1),
            help="Also store a JPEG copy with this shorter side (aspect kept, never upscaled).",
        ),
        click.option(
            "--resize-quality",
            default=90,
            show_default=True,
            type=click.IntRange(1, 100),
            help="JPEG quality of the resized copy.",
        ),
        click.option(
            "--corrupt",
            type=click.Choice(["reject", "flag"]),
            default="reject",
            show_default=True,
            help="Images whose data is damaged inside a file that decodes: reject them "
            "(E_CORRUPT_DATA), or accept them flagged.",
        ),
        click.option(
            "--retry-rejected",
            is_flag=True,
            help="Try again the inputs earlier runs rejected (a file fixed in place).",
        ),
        json_option,
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _config(options: dict[str, Any], label_status: str) -> IngestConfig:
    from ..ingest import IngestConfig, ValidationConfig

    validation = ValidationConfig(
        min_side=options["min_side"],
        max_pixels=options["max_pixels"],
        max_aspect=options["max_aspect"],
        make_thumbnail=not options["no_thumbnails"],
        variant_hashes=not options["no_variant_hashes"],
        resize_side=options["resize_side"],
        resize_quality=options["resize_quality"],
        corrupt=options["corrupt"],
    )
    return IngestConfig(
        validation=validation,
        workers=options["workers"],
        batch_size=options["batch_size"],
        label_status=label_status,
        retry_rejected=options["retry_rejected"],
    )


@cli.group("ingest")
def ingest_group() -> None:
    """Bring images into the catalog (resumable: a re-run skips what is done)."""


_TRUSTED_HELP = (
    "Its labels are verified: accept them as given (recorded as from this source, "
    "not the crowd's). A re-run with it also accepts what was ingested before."
)


@ingest_group.command("folder")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV/TSV of path,wnid (default: labels from <PATH>/<wnid>/ folders).",
)
@click.option("--synset", "label", help="Label every image with this wnid (one class's folder).")
@click.option("--unlabelled", is_flag=True, help="Store the images without a label.")
@click.option("--trusted", is_flag=True, help=_TRUSTED_HELP)
@click.option("--accepted", "trusted", is_flag=True, hidden=True)  # the old name of --trusted
@click.option("--licence", help="The images' licence (e.g. CC-BY-4.0), kept with each.")
@click.option("--author", help="Who made the images, kept with each.")
@click.option("--source-name", help="Name the source (default: folder:<PATH>).")
@_ingest_options
@click.pass_obj
def ingest_folder(
    app: AppContext,
    /,
    path: Path,
    mapping: Path | None,
    label: str | None,
    unlabelled: bool,
    trusted: bool,
    licence: str | None,
    author: str | None,
    source_name: str | None,
    **options: Any,
) -> None:
    """Ingest a folder tree of images: <PATH>/<wnid>/… as torchvision's ImageFolder, or mapped."""
    from ..ingest import FolderSource

    source = FolderSource(
        path,
        mapping,
        label=label,
        unlabelled=unlabelled,
        licence=licence,
        author=author,
        name=source_name,
    )
    _run(app, source, _config(options, _status(trusted)), options)


def _status(trusted: bool) -> str:
    return "accepted" if trusted else "candidate"


_CANDIDATES_HELP = "Store the labels as candidates to verify instead of trusting them."


@ingest_group.command("ilsvrc")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--layout",
    type=click.Choice(["archives", "kaggle", "folders"]),
    help="Force a layout instead of detecting it.",
)
@click.option("--candidates", is_flag=True, help=_CANDIDATES_HELP)
@_ingest_options
@click.pass_obj
def ingest_ilsvrc(
    app: AppContext, /, path: Path, layout: str | None, candidates: bool, **options: Any
) -> None:
    """Ingest ILSVRC-2012: original tars + devkit, torchvision layout, or Kaggle CLS-LOC.

    Its labels are trusted (accepted as given) unless --candidates.
    """
    from ..ingest.sources.ilsvrc import Layout, open_ilsvrc

    source = open_ilsvrc(path, cast("Layout | None", layout))
    _run(app, source, _config(options, _status(not candidates)), options)


@ingest_group.command("imagenet21k")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--candidates", is_flag=True, help=_CANDIDATES_HELP)
@_ingest_options
@click.pass_obj
def ingest_imagenet21k(app: AppContext, /, path: Path, candidates: bool, **options: Any) -> None:
    """Ingest ImageNet-21k (fall11/winter21): per-wnid tars or folders.

    Its labels are trusted (accepted as given) unless --candidates.
    """
    from ..ingest.sources.imagenet21k import ImageNet21k

    _run(app, ImageNet21k(path), _config(options, _status(not candidates)), options)


@ingest_group.command("urls")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--concurrency", default=32, show_default=True, help="Downloads at once.")
@click.option("--per-host", default=4, show_default=True, help="Downloads at once per host.")
@click.option("--timeout", default=30.0, show_default=True, help="Read timeout (s).")
@click.option("--retries", default=3, show_default=True, help="Retries on 429/5xx/timeouts.")
@click.option("--max-bytes", default=25_000_000, show_default=True, help="Largest download.")
@click.option(
    "--allow-private",
    is_flag=True,
    help="Allow private, loopback and link-local addresses (refused by default).",
)
@click.option("--ignore-robots-tag", is_flag=True, help="Download despite X-Robots-Tag: noai.")
@click.option("--trusted", is_flag=True, help=_TRUSTED_HELP)
@_ingest_options
@click.pass_obj
def ingest_urls(app: AppContext, /, file: Path, trusted: bool, **options: Any) -> None:
    """Download and ingest a URL list (txt, csv, tsv or parquet; columns url[, wnid, …])."""
    from ..ingest.download import DownloadConfig
    from ..ingest.sources.urls import UrlListSource

    download = DownloadConfig(
        concurrency=options["concurrency"],
        per_host=options["per_host"],
        read_timeout=options["timeout"],
        retries=options["retries"],
        max_bytes=options["max_bytes"],
        allow_private=options["allow_private"],
        respect_robots_tag=not options["ignore_robots_tag"],
    )
    _run(app, UrlListSource(file, download), _config(options, _status(trusted)), options)


@ingest_group.command("log")
@click.option("--source", help="One source (its name, or a folder's path).")
@click.option("--rejected", is_flag=True, help="List the rejected inputs with their reasons.")
@click.option("--code", help="Inputs with this code (E_DECODE, E_CORRUPT_DATA, …).")
@click.option(
    "--limit", default=50, show_default=True, type=click.IntRange(min=0), help="0: all of them."
)
@json_option
@click.pass_obj
def ingest_log(
    app: AppContext,
    /,
    source: str | None,
    rejected: bool,
    code: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """What was ingested: each source's inputs by outcome, or the rejected ones and why."""
    catalog = app.project.catalog
    if not (rejected or code):
        summaries = catalog.ingest_sources()
        if source is not None:
            name = catalog.ingest_source(source)  # an unknown source fails here
            summaries = [s for s in summaries if s.source == name]
        _print_sources(summaries, as_json)
        return
    # A code alone also finds images accepted with it (corrupt data, flagged).
    rows, total = catalog.ingest_log(
        source=source, status="rejected" if rejected else None, code=code, limit=limit or None
    )
    if as_json:
        emit_json({"total": total, "inputs": [r.to_dict() for r in rows]})
        return
    for r in rows:
        kept = "" if r.status == "rejected" else f" ({r.status}, with a finding)"
        click.echo(f"{r.code}  {r.where}{kept}")
        click.echo(wrapped(r.detail or "", indent=4))
    more = f"; --limit 0 lists all {total:,}" if total > len(rows) else ""
    click.echo(f"{total:,} {'rejected ' if rejected else ''}input(s){more}")


def _print_sources(summaries: list[SourceSummary], as_json: bool) -> None:
    if as_json:
        emit_json([s.to_dict() for s in summaries])
        return
    if not summaries:
        click.echo("nothing ingested yet")
        return
    for s in summaries:  # a source's name is long: on its own line, never cut
        when = s.last.strftime("%Y-%m-%d %H:%M") if s.last else "-"
        click.echo(s.source)
        click.echo(
            f"    {s.added:,} added, {s.duplicate:,} duplicate, {s.rejected:,} rejected"
            f" (last {when})"
        )


_SHOWN_REJECTIONS = 10  # rejected inputs listed in the terminal; --json and `ingest log` list all


def _run(app: AppContext, source: Source, config: IngestConfig, options: dict[str, Any]) -> None:
    from ..ingest import ingest

    with _progress(source.name) as update:
        report = ingest(app.project, source, config, progress=update)
    # Inputs done by earlier runs may have been ingested as candidates: trusting
    # the source now accepts them too (a first run has nothing earlier to read).
    earlier = config.label_status == "accepted" and report.skipped > 0
    trusted_before = _trust_earlier(app, source.name) if earlier else 0
    if options["as_json"]:
        emit_json(report.to_dict() | {"accepted_from_earlier_runs": trusted_before})
        return
    data = report.to_dict()
    for key in ("source", "total", "seen", "skipped", "added", "duplicate", "rejected"):
        if data[key] is not None:  # the total stays unknown when counting it did not finish
            click.echo(f"{key:<11} {data[key]}")  # plain lines: a long name is never cut
    for code, n in data["codes"].items():
        click.echo(f"  {code:<14} {n}")
    click.echo(f"{'elapsed':<11} {clock(report.elapsed_s)} ({data['items_per_s']}/s)")
    if trusted_before:
        click.echo(f"accepted {trusted_before:,} labels ingested by earlier runs (trusted source)")
    _print_rejections(report)


def _trust_earlier(app: AppContext, source: str) -> int:
    """Accept what earlier runs of a now-trusted source left as candidates; how many."""
    from ..errors import NotFoundError
    from ..verify.labels import trust_source

    try:
        report = trust_source(app.project.catalog, source, actor=getpass.getuser())
    except NotFoundError:  # the source gave no labelled image
        return 0
    return sum(report.changed.values())


def _print_rejections(report: IngestReport) -> None:
    """The first rejected inputs with their reasons, and where to find the rest.

    Inputs in a row with one reason (a folder whose name is not a synset) share
    one printing of it; reasons wrap to the terminal, paths are never cut.
    """
    if not report.rejections:
        return
    click.echo("rejected:")
    shown = report.rejections[:_SHOWN_REJECTIONS]
    for (code, detail), group in itertools.groupby(shown, key=lambda r: (r.code, r.detail)):
        for r in group:
            click.echo(f"  {code}  {r.input}")
        click.echo(wrapped(detail, indent=6))
    rest = len(report.rejections) - len(shown)
    source = shlex.quote(report.source)
    if rest > 0:
        click.echo(f"  … and {rest:,} more: synsetdb ingest log --rejected --source {source}")
    else:
        click.echo(f"(later: synsetdb ingest log --rejected --source {source})")


@contextmanager
def _progress(name: str) -> Iterator[Callable[[IngestReport], None]]:
    """A live bar with rate and ETA in a terminal; a plain line every 10 s otherwise."""
    if not sys.stderr.isatty():
        yield _plain_progress()
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),  # pulses until the source's total is known
        TextColumn("{task.fields[count]}"),
        TextColumn("{task.fields[rate]:.0f}/s"),
        TimeElapsedColumn(),
        TextColumn("ETA {task.fields[eta]}"),
    )
    with Progress(*columns, console=console(), transient=True) as bar:
        task = bar.add_task(f"ingest {name}", total=None, count="0 done", rate=0.0, eta="-")
        yield functools.partial(_update_bar, bar, task)


def _update_bar(bar: Progress, task: TaskID, report: IngestReport) -> None:
    done = report.processed + report.skipped
    count = f"{done} done" if report.total is None else f"{done} of {report.total}"
    eta = clock(report.eta_s)
    bar.update(task, total=report.total, completed=done, count=count, rate=report.rate, eta=eta)


def _plain_progress() -> Callable[[IngestReport], None]:
    last = [0.0]

    def plain(report: IngestReport) -> None:
        if time.monotonic() - last[0] >= 10:
            last[0] = time.monotonic()
            click.echo(_progress_line(report), err=True)

    return plain


def _progress_line(report: IngestReport) -> str:
    line = f"ingest: {report.processed} processed ({report.skipped} skipped)"
    if report.total is not None:
        line += f" of {report.total}"
    line += f", {report.rate:.0f}/s"
    if report.eta_s is not None:
        line += f", ETA {clock(report.eta_s)}"
    return line


@cli.command()
@click.option("--synset", "wnid", help="Only images under this synset.")
@click.option(
    "--radius",
    default=6,
    show_default=True,
    type=click.IntRange(0, 20),
    help="Largest Hamming distance between 64-bit perceptual hashes.",
)
@click.option("--within-synset", is_flag=True, help="Group only images of the same synset.")
@click.option(
    "--store",
    is_flag=True,
    help="Keep the catalog's groups for the explorer (replacing those stored before).",
)
@json_option
@click.pass_obj
def dups(
    app: AppContext,
    wnid: str | None,
    radius: int,
    within_synset: bool,
    store: bool,
    as_json: bool,
) -> None:
    """List groups of near-duplicate images, each by file name, synsets and short id
    (or store the groups for the explorer)."""
    from ..ingest.dedupe import catalog_duplicates, duplicate_members

    if store:
        if wnid is not None or within_synset:
            raise click.UsageError(
                "--store keeps the whole catalog's groups: drop --synset and --within-synset"
            )
        _store_groups(app, radius, as_json)
        return
    if wnid is not None:
        app.taxonomy.get(wnid)  # unknown ids fail here, with suggestions
    groups = catalog_duplicates(
        app.project.catalog,
        wnid=wnid,
        radius=radius,
        within_synset=within_synset,
        blobs=app.project.blobs,
    )
    members = duplicate_members(app.project.catalog, (i for g in groups for i in g.ids))
    if as_json:
        emit_json(
            [
                {
                    "images": list(g.ids),
                    "synsets": list(g.labels),
                    "max_distance": g.max_distance,
                    "members": [members[i].to_dict() for i in g.ids],
                }
                for g in groups
            ]
        )
        return
    _print_groups(groups, members)
    click.echo(f"{len(groups):,} group{'' if len(groups) == 1 else 's'} at radius {radius}")


def _print_groups(groups: list[DuplicateGroup], members: dict[str, DuplicateMember]) -> None:
    """One row per image: its group (and the group's largest distance) on the first,
    the short id, file names and synsets; names wrap, ids never do."""
    from rich.markup import escape

    from ._output import count_column, id_column, show, table, text_column

    if not groups:
        return
    rows = table(
        count_column("group"),
        count_column("dist"),
        id_column("image"),
        text_column("file"),
        text_column("synsets"),
    )
    for number, g in enumerate(groups, start=1):
        for n, image in enumerate(members[i] for i in g.ids):
            rows.add_row(
                str(number) if n == 0 else "",
                str(g.max_distance) if n == 0 else "",
                image.id[:12],
                escape("\n".join(image.files) or "-"),
                escape("\n".join(f"{w} {name}" for w, name in image.synsets)),
            )
    show(rows)


def _store_groups(app: AppContext, radius: int, as_json: bool) -> None:
    from ..ingest.dedupe import store_catalog_duplicates

    stored = store_catalog_duplicates(app.project.catalog, radius=radius, blobs=app.project.blobs)
    if as_json:
        emit_json(stored.to_dict())
    else:
        click.echo(
            f"stored {stored.groups:,} near-duplicate groups among {stored.images:,} images "
            f"(radius {radius}) for the explorer"
        )


@cli.command()
@click.option("--no-verify", is_flag=True, help="Check existence only; skip re-hashing blobs.")
@click.option(
    "--only", multiple=True, type=click.Choice(sorted(CHECKS)), help="Run only these checks."
)
@json_option
@click.pass_obj
def check(app: AppContext, no_verify: bool, only: tuple[str, ...], as_json: bool) -> None:
    """Verify catalog against blobs: missing, corrupt and orphaned blobs. Exit 1 on problems."""
    project = app.project
    report = run_checks(project.catalog, project.blobs, verify=not no_verify, only=only)
    if as_json:
        emit_json(report.to_dict())
    else:
        for finding in report.findings[:50]:
            click.echo(f"{finding.code} {finding.subject}: {finding.message}")
        if len(report.findings) > 50:
            click.echo(f"… and {len(report.findings) - 50} more")
        counted = ", ".join(f"{k} {v}" for k, v in report.counted.items())
        click.echo(
            f"{'ok' if report.ok else 'PROBLEMS'}: {len(report.findings)} findings ({counted})"
        )
    if not report.ok:
        sys.exit(1)
