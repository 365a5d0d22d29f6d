"""``label accept|reject|trust|untrust``: decisions without a crowd."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._app import cli
from ._context import AppContext
from ._output import emit_json, json_option

if TYPE_CHECKING:
    from ..verify.labels import LabelReport


@cli.group("label")
def label_group() -> None:
    """Decide candidates without a crowd: a person's accept or reject, or a trusted source."""


def _selection_options(f: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option(
            "--synset", "wnids", multiple=True, help="Candidates of this synset (repeatable)."
        ),
        click.option("--subtree", is_flag=True, help="And of every synset under --synset."),
        click.option("--source", help="Candidates from this source (its name or folder path)."),
        click.option("--release", help="Candidates whose image and synset are in this release."),
        click.option(
            "--images",
            "images_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="A file of image ids (sha256) or ingested file paths, one per line.",
        ),
        click.option("--reason", required=True, help="Why (kept with each decision)."),
        click.option("--by", "actor", help="Who decides (default: your login name)."),
        click.option(
            "--override",
            is_flag=True,
            help="Also change candidates the crowd, a person or a trusted source decided before.",
        ),
        json_option,
    ]
    for option in reversed(options):
        f = option(f)
    return f


@label_group.command("accept")
@_selection_options
@click.pass_obj
def label_accept(app: AppContext, /, **options: Any) -> None:
    """Accept the selected candidates (criteria combine: all must hold)."""
    _decide(app, "accepted", options)


@label_group.command("reject")
@_selection_options
@click.pass_obj
def label_reject(app: AppContext, /, **options: Any) -> None:
    """Reject the selected candidates (criteria combine: all must hold)."""
    _decide(app, "rejected", options)


def _decide(app: AppContext, status: str, options: dict[str, Any]) -> None:
    from ..verify.labels import LabelSelection, decide_labels, read_image_list

    catalog = app.project.catalog
    images = options["images_file"]
    selection = LabelSelection(
        wnids=tuple(options["wnids"]),
        subtree=options["subtree"],
        source=options["source"],
        release=options["release"],
        image_ids=read_image_list(catalog, images) if images is not None else None,
    )
    actor = options["actor"] or getpass.getuser()
    report = decide_labels(
        catalog,
        selection,
        status,
        actor=actor,
        reason=options["reason"],
        override=options["override"],
    )
    _print(report, f"{'accepted' if status == 'accepted' else 'rejected'} by {actor}", options)


@label_group.command("trust")
@click.argument("source")
@click.option("--by", "actor", help="Who decides (default: your login name).")
@json_option
@click.pass_obj
def label_trust(app: AppContext, /, source: str, actor: str | None, as_json: bool) -> None:
    """Accept the open candidates of SOURCE (a name or a folder's path) as given: trust it."""
    from ..verify.labels import trust_source

    report = trust_source(app.project.catalog, source, actor=actor or getpass.getuser())
    _print(report, "accepted as a trusted source's labels", {"as_json": as_json})


@label_group.command("untrust")
@click.argument("source")
@click.option("--by", "actor", help="Who decides (default: your login name).")
@json_option
@click.pass_obj
def label_untrust(app: AppContext, /, source: str, actor: str | None, as_json: bool) -> None:
    """Return the candidates accepted by trusting SOURCE to the pool to verify."""
    from ..verify.labels import untrust_source

    report = untrust_source(app.project.catalog, source, actor=actor or getpass.getuser())
    _print(report, "returned to the candidates to verify", {"as_json": as_json})


def _print(report: LabelReport, what: str, options: dict[str, Any]) -> None:
    if options["as_json"]:
        emit_json(report.to_dict())
        return
    changed = sum(report.changed.values())
    click.echo(f"{report.matched:,} candidate(s) matched; {changed:,} {what}")
    if report.unchanged:
        click.echo(f"  {report.unchanged:,} already {report.status}")
    hint = "; --override changes them" if "override" in options else ""
    for status, n in sorted(report.kept.items()):
        click.echo(f"  {n:,} kept as {status} (decided before{hint})")
