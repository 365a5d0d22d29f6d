"""``worker add|list`` and ``verify serve|status|aggregate|import-votes|export-tasks|simulate``."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, cast

import click
from rich.markup import escape

from ._app import cli
from ._context import AppContext
from ._output import count_column, emit_json, id_column, json_option, show, table, text_column
from .web_cmds import run_server, serve_options

_METHODS = ("majority", "consensus", "dawid-skene")


@cli.group("worker")
def worker_group() -> None:
    """Accounts of the labelling app (workers and admins)."""


@worker_group.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="Can see the admin pages (and browse).")
@click.option("--browse", is_flag=True, help="Can browse the explorer too.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from stdin (scripts) instead."
)
@click.pass_obj
def worker_add(
    app: AppContext, /, name: str, admin: bool, browse: bool, password_stdin: bool
) -> None:
    """Create an account; the password is asked for (never an argument: shells log those)."""
    from ..verify.accounts import add_worker

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    role = "admin" if admin else "worker"
    worker = add_worker(app.project.catalog, name, password, role=role, can_browse=browse)
    rights = " who may browse" if worker.can_browse and not worker.is_admin else ""
    click.echo(f"added {worker.role} {worker.name}{rights} (id {worker.id})")


@worker_group.command("browse")
@click.argument("name")
@click.argument("allowed", type=click.Choice(["on", "off"]))
@click.pass_obj
def worker_browse(app: AppContext, /, name: str, allowed: str) -> None:
    """Let an account browse the explorer (on) or not (off); admins always may."""
    from ..verify.accounts import set_browse

    worker = set_browse(app.project.catalog, name, allowed == "on")
    note = " (an admin: browses anyway)" if worker.is_admin and allowed == "off" else ""
    click.echo(f"{name} may {'' if worker.can_browse else 'not '}browse{note}")


@worker_group.command("disable")
@click.argument("name")
@click.pass_obj
def worker_disable(app: AppContext, /, name: str) -> None:
    """Stop an account from signing in (its sessions end at once; its votes stay)."""
    from ..verify.accounts import set_active

    set_active(app.project.catalog, name, False)
    click.echo(f"disabled {name}")


@worker_group.command("enable")
@click.argument("name")
@click.pass_obj
def worker_enable(app: AppContext, /, name: str) -> None:
    """Let a disabled account sign in again."""
    from ..verify.accounts import set_active

    set_active(app.project.catalog, name, True)
    click.echo(f"enabled {name}")


@worker_group.command("list")
@json_option
@click.pass_obj
def worker_list(app: AppContext, /, as_json: bool) -> None:
    """Every account, with its role and whether it can sign in."""
    from ..verify.accounts import list_workers

    workers = list_workers(app.project.catalog)
    if as_json:
        emit_json([asdict(w) | {"may_browse": w.may_browse} for w in workers])
        return
    listed = table(
        count_column("id"),
        text_column("name"),
        *(id_column(h) for h in ("role", "active", "can sign in", "may browse")),
    )
    for w in workers:
        cells = (w.is_active, w.can_sign_in, w.may_browse)
        listed.add_row(str(w.id), escape(w.name), w.role, *(_yes_no(c) for c in cells))
    show(listed)


@cli.group("verify")
def verify_group() -> None:
    """Crowd verification: the labelling app, votes in and out, decisions."""


@verify_group.command("serve")
@serve_options
@click.pass_obj
def verify_serve(app: AppContext, /, **options: Any) -> None:
    """Run the web app (labelling, admin and the explorer): the same as `synsetdb serve`."""
    run_server(app, **options)


@verify_group.command("status")
@click.option("--synset", "wnid", help="Only this synset.")
@click.option(
    "--candidates", is_flag=True, help="With --synset: each voted candidate's votes and P(good)."
)
@json_option
@click.pass_obj
def verify_status(app: AppContext, /, wnid: str | None, candidates: bool, as_json: bool) -> None:
    """Progress per synset: candidates by status, votes, open tasks, the confidence table."""
    from ..verify.report import candidate_confidences, verification_status

    if candidates and wnid is None:
        raise click.UsageError("--candidates needs --synset")
    catalog = app.project.catalog
    progress = [p.to_dict() for p in verification_status(catalog, wnid)]
    listed = candidate_confidences(catalog, wnid) if candidates and wnid else None
    if as_json:
        emit_json({"synsets": progress, **({"candidates": listed} if listed is not None else {})})
        return
    synsets = table(
        id_column("wnid"),
        text_column("name"),
        *(count_column(h) for h in ("open", "accepted", "rejected", "undecided", "votes", "tasks")),
    )
    for p in progress:
        n = p["candidates"]
        synsets.add_row(
            p["wnid"],
            escape(p["name"]),
            *(f"{n[k]:,}" for k in ("candidate", "accepted", "rejected", "undecided")),
            f"{p['votes']:,}",
            f"{p['open_tasks']:,}",
        )
    show(synsets)
    if listed:
        rows = table(
            count_column("candidate"),
            id_column("status"),
            *(count_column(h) for h in ("yes", "no", "P(good)")),
        )
        for c in listed:
            rows.add_row(
                str(c["candidate_id"]),
                c["status"],
                str(c["yes"]),
                str(c["no"]),
                f"{c['confidence']:.4f}",
            )
        show("", rows)


@verify_group.command("aggregate")
@click.option("--method", type=click.Choice(_METHODS), default="consensus", show_default=True)
@click.option("--apply", is_flag=True, help="Write the decisions to open candidates.")
@json_option
@click.pass_obj
def verify_aggregate(app: AppContext, /, method: str, apply: bool, as_json: bool) -> None:
    """Aggregate every vote (controls excluded) with one method."""
    from ..verify.report import Method, aggregate

    report = aggregate(app.project.catalog, cast("Method", method), apply=apply)
    _emit(report.to_dict(), as_json)


@verify_group.command("import-votes")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["auto", "crowdkit", "mturk"]),
    default="auto",
    show_default=True,
)
@json_option
@click.pass_obj
def verify_import_votes(app: AppContext, /, file: Path, fmt: str, as_json: bool) -> None:
    """Import votes: crowd-kit rows (task,worker,label) or MTurk batch results."""
    from ..verify.votes_io import Format, import_votes

    report = import_votes(app.project.catalog, file, cast("Format", fmt))
    _emit(asdict(report), as_json)


@verify_group.command("export-tasks")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--synset", "wnid", help="Only this synset.")
@click.option("--batch-size", default=48, show_default=True, type=click.IntRange(1))
@click.option("--url-prefix", help="Base URL where thumbnails are served ({prefix}/{image_id}).")
@click.pass_obj
def verify_export_tasks(
    app: AppContext, /, out: Path, wnid: str | None, batch_size: int, url_prefix: str | None
) -> None:
    """Write batches of open candidates as CSV (an MTurk batch input file)."""
    from ..verify.votes_io import export_tasks

    batches = export_tasks(
        app.project.catalog, out, wnid=wnid, batch_size=batch_size, url_prefix=url_prefix
    )
    click.echo(f"wrote {batches} batch(es) to {out}")


@verify_group.command("simulate")
@click.option("--synsets", default=20, show_default=True, type=click.IntRange(1))
@click.option("--candidates", default=1000, show_default=True, type=click.IntRange(1))
@click.option("--workers", default=500, show_default=True, type=click.IntRange(20))
@click.option("--controls", default=20, show_default=True, type=click.IntRange(0))
@click.option("--seed", default=0, show_default=True)
@json_option
def verify_simulate(
    synsets: int, candidates: int, workers: int, controls: int, seed: int, as_json: bool
) -> None:
    """Label a simulated crowd three ways and compare cost, precision and recall."""
    from ..verify.simulate import CrowdConfig, SimulatedCrowd, SynsetSpec, compare_strategies

    specs = [
        SynsetSpec(f"synset-{i:02d}", candidates, 0.6 * i / max(synsets - 1, 1))
        for i in range(synsets)
    ]
    crowd = SimulatedCrowd(specs, CrowdConfig(workers=workers, controls=controls), seed=seed)
    outcomes = [asdict(o) for o in compare_strategies(crowd, seed=seed)[0]]
    if as_json:
        emit_json(outcomes)
        return
    strategies = table(
        text_column("strategy"),
        *(count_column(h) for h in ("votes/candidate", "precision", "recall", "undecided")),
    )
    for o in outcomes:
        strategies.add_row(
            o["strategy"],
            f"{o['votes_per_candidate']:.2f}",
            f"{o['precision']:.4f}",
            f"{o['recall']:.4f}",
            str(o["undecided"]),
        )
    show(strategies)


def _emit(data: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(data)
        return
    pairs = table(id_column(), text_column(), header=False)
    for key, value in data.items():
        pairs.add_row(key, escape(str(value)))
    show(pairs)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"
