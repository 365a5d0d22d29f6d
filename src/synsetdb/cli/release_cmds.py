"""``release create|list|show|diff|verify``: immutable, content-addressed versions of a dataset."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._app import EXIT_ERROR, cli
from ._context import AppContext
from ._output import (
    count_column,
    emit_json,
    id_column,
    json_option,
    show,
    table,
    text_column,
    wrapped,
)

if TYPE_CHECKING:
    from ..release import Release, ReleaseSpec

_LISTED = 10  # entries of each kind printed by `release diff` without --json


@cli.group("release")
def release_group() -> None:
    """Releases: named, immutable versions built from a spec file."""


@release_group.command("create")
@click.argument("name")
@click.option(
    "--spec",
    "spec_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The release spec (TOML; see docs/release.md).",
)
@click.option(
    "--workers",
    type=click.IntRange(0),
    help="Processes for face blurring (default: the cores; 0: in this process).",
)
@click.option(
    "--resplit",
    is_flag=True,
    help="Split every image afresh instead of keeping the parent's splits "
    '(as [splits] parent = "resplit"); held-out images may move into train.',
)
@json_option
@click.pass_obj
def release_create(
    app: AppContext,
    /,
    name: str,
    spec_file: Path,
    workers: int | None,
    resplit: bool,
    as_json: bool,
) -> None:
    """Build release NAME from a spec and store it (the name must be new).

    With a parent release, every image the parent had keeps its split there
    unless --resplit is given.
    """
    from ..engine import LocalEngine
    from ..release import create_release, load_spec
    from ..release.store import release_report

    spec = load_spec(spec_file)
    if resplit:
        spec = _resplit(spec)
    engine = LocalEngine(workers=workers, chunk_size=4) if workers is not None else None
    release = create_release(app.project, name, spec, engine=engine)
    report = release_report(app.project, name)
    if as_json:
        emit_json({"name": name, "sha256": release.sha256, **_summary(release), "report": report})
        return
    manifest = release.manifest
    click.echo(
        f"created release {name}: {len(manifest.classes):,} classes, {len(manifest.items):,} items"
    )
    click.echo(f"  sha256 {release.sha256}")
    _echo_report(report)


@release_group.command("list")
@json_option
@click.pass_obj
def release_list(app: AppContext, /, as_json: bool) -> None:
    """Every release, with its hash, parent and size."""
    from ..release import list_releases

    infos = list_releases(app.project)
    if as_json:
        emit_json([info.to_dict() for info in infos])
        return
    if not infos:
        click.echo("no releases yet; make one with `synsetdb release create NAME --spec FILE`")
        return
    rows = table(
        text_column("name"),
        id_column("sha256"),
        text_column("parent"),
        count_column("classes"),
        count_column("items"),
        id_column("created (UTC)"),
    )
    for i in infos:
        created = i.created_at[:16].replace("T", " ")  # to the minute: the hash is the identity
        rows.add_row(
            i.name, i.sha256[:16], i.parent or "", f"{i.classes:,}", f"{i.items:,}", created
        )
    show(rows)


@release_group.command("show")
@click.argument("name")
@json_option
@click.pass_obj
def release_show(app: AppContext, /, name: str, as_json: bool) -> None:
    """A release's hash, parent, spec, build report and counts per split and class."""
    from ..release import list_releases, load_release
    from ..release.store import release_report

    release = load_release(app.project, name)
    manifest = release.manifest
    parent = next((i.parent for i in list_releases(app.project) if i.name == name), None)
    data = {
        "name": name,
        "sha256": release.sha256,
        "parent": {"name": parent, "sha256": manifest.parent} if manifest.parent else None,
        **_summary(release),
        "spec": dict(manifest.spec),
        "catalog_state": dict(manifest.catalog_state),
        "synsetdb_version": manifest.synsetdb_version,
        "report": release_report(app.project, name),
    }
    if as_json:
        emit_json(data)
        return
    click.echo(f"release {name}\n  sha256  {release.sha256}")
    if manifest.parent:
        click.echo(f"  parent  {parent or '(not in this catalog)'}")
        click.echo(f"          {manifest.parent}")  # its sha256, on a line of its own: 80 columns
    splits = data["splits"]
    click.echo(f"  splits  {', '.join(f'{s} {n:,}' for s, n in splits.items())}")
    classes = table(
        count_column("index"),
        id_column("wnid"),
        text_column("name"),
        *(count_column(s) for s in splits),
        count_column("total"),
    )
    for c in data["per_class"]:
        counts = [f"{c['splits'].get(s, 0):,}" for s in splits]
        classes.add_row(str(c["index"]), c["wnid"], c["name"], *counts, f"{c['total']:,}")
    show(classes)
    _echo_report(data["report"])


@release_group.command("diff")
@click.argument("a")
@click.argument("b")
@json_option
@click.pass_obj
def release_diff(app: AppContext, /, a: str, b: str, as_json: bool) -> None:
    """What changed from release A to release B: classes, images, moves, relabels."""
    from ..release import diff_releases, load_release

    diff = diff_releases(load_release(app.project, a), load_release(app.project, b))
    data = diff.to_dict()
    if as_json:
        emit_json({"a_name": a, "b_name": b, **data})
        return
    if diff.identical:
        click.echo(f"{a} and {b} are the same release ({diff.a})")
        return
    click.echo(f"{a} ({diff.a[:16]}) -> {b} ({diff.b[:16]})")
    for key, n in data["counts"].items():
        click.echo(f"  {key.replace('_', ' ')}: {n:,}")
    if leaks := data["held_out_to_train"]:
        held = ", ".join(sorted({leak["from"] for leak in leaks}))
        warning = (
            f"WARNING: {len(leaks):,} image(s) moved from a held-out split into train: "
            f"a model trained on {b} and evaluated on {a}'s {held} split is tested on "
            "images it trained on"
        )
        click.echo(wrapped(warning, indent=4).replace("    ", "  ", 1))
    for key in ("classes_added", "classes_removed"):
        for wnid in data[key][:_LISTED]:
            click.echo(f"  {'+' if key.endswith('added') else '-'} class {wnid}")
    for move in _moves_flagged_first(data)[:_LISTED]:
        mark = "! " if move["from"] != "train" and move["to"] == "train" else ""
        click.echo(
            f"  {mark}moved {move['image'][:16]} {move['wnid']}: {move['from']} -> {move['to']}"
        )
    for change in data["relabelled"][:_LISTED]:
        old, new = ",".join(change["from"]), ",".join(change["to"])
        click.echo(f"  relabelled {change['image'][:16]}: {old} -> {new}")


@release_group.command("verify")
@click.argument("name")
@json_option
@click.pass_context
def release_verify(ctx: click.Context, /, name: str, as_json: bool) -> None:
    """Re-hash every blob of a release and check its catalog rows; exit 1 on any problem."""
    from ..release import verify_release

    app: AppContext = ctx.obj
    report = verify_release(app.project, name)
    if as_json:
        emit_json(report.to_dict())
    else:
        state = "ok" if report.ok else f"{len(report.problems)} problem(s)"
        click.echo(
            f"release {name}: {report.items:,} items, {report.blobs:,} blobs re-hashed: {state}"
        )
        for p in report.problems:
            names = ", ".join(p.items[:3]) + (", …" if len(p.items) > 3 else "")
            click.echo(f"  {p.code} {p.subject}: {p.message} [{names}]")
    if not report.ok:
        ctx.exit(EXIT_ERROR)


def _resplit(spec: ReleaseSpec) -> ReleaseSpec:
    """The spec with ``[splits] parent = "resplit"`` (``--resplit``)."""
    from dataclasses import replace

    from ..errors import ReleaseError

    if spec.parent is None:
        raise ReleaseError(
            f"--resplit: {spec.source} names no parent release, so there are no splits to keep",
            code="E_SPEC",
        )
    return replace(spec, splits=replace(spec.splits, parent="resplit"))


def _moves_flagged_first(data: dict[str, Any]) -> list[dict[str, str]]:
    """Moves of held-out images into train first (relabelled ones too), then the rest."""
    moved = data["moved"]
    flagged = [m for m in moved if m["from"] != "train" and m["to"] == "train"]
    listed = {m["image"] for m in flagged}
    flagged += [m for m in data["held_out_to_train"] if m["image"] not in listed]
    return flagged + [m for m in moved if not (m["from"] != "train" and m["to"] == "train")]


def _summary(release: Release) -> dict[str, Any]:
    """Counts per split and per class, in class-index order."""
    manifest = release.manifest
    per: Counter[tuple[str, str]] = Counter((it.wnid, it.split) for it in manifest.items)
    splits = Counter(it.split for it in manifest.items)
    return {
        "classes": len(manifest.classes),
        "items": len(manifest.items),
        "blurred": sum(it.blurred for it in manifest.items),
        "splits": {s: splits[s] for s in manifest.splits},
        "per_class": [
            {
                "index": c.index,
                "wnid": c.wnid,
                "name": c.name,
                "splits": {s: per[(c.wnid, s)] for s in manifest.splits if per[(c.wnid, s)]},
                "total": sum(per[(c.wnid, s)] for s in manifest.splits),
            }
            for c in manifest.classes
        ],
    }


def _echo_report(report: dict[str, Any]) -> None:
    """The build report's lines, indented, wrapped to the output's width."""
    for line in _report_lines(report):
        click.echo(wrapped(line, indent=4).replace("    ", "  ", 1))


def _report_lines(report: dict[str, Any]) -> list[str]:
    """The build report's notable parts, one line each."""
    lines = []
    for f in report.get("filters", []):
        lines.append(
            f"filter {f['filter']}: {f['classes_removed']:,} classes, "
            f"{f['images_removed']:,} images removed"
        )
    if dropped := report.get("dropped_below_min"):
        lines.append(f"dropped below min_images: {len(dropped):,} classes")
    if (capped := report.get("capped", {})).get("classes"):
        lines.append(f"capped: {capped['classes']:,} classes, {capped['images_removed']:,} images")
    splits = report.get("splits", {})
    if splits.get("duplicate_groups"):
        lines.append(
            f"near-duplicate groups: {splits['duplicate_groups']:,} "
            f"({splits['grouped_items']:,} items), {splits['groups_moved']:,} kept together "
            "that an image-by-image split would have cut"
        )
    if splits.get("official_cross_split_groups"):
        lines.append(
            f"official splits: {splits['official_cross_split_groups']:,} duplicate groups "
            "across splits (left as the source had them)"
        )
    if splits.get("parent") == "keep":
        lines.append(
            f"kept the parent's split: {splits.get('kept_from_parent', 0):,} items "
            "(new images split fresh)"
        )
    elif splits.get("parent") == "resplit":
        lines.append("re-split: the parent's splits were not kept (see `release diff`)")
    if splits.get("parent_cross_split_groups"):
        lines.append(
            f"parent's splits: {splits['parent_cross_split_groups']:,} duplicate groups "
            "across splits (left as the parent had them)"
        )
    if short := splits.get("shortfalls"):
        lines.append(f"classes short of a split target: {len(short):,}")
    if labels := report.get("labels"):
        lines.append(f"labels: {labels.get('text', '')}")
    if report.get("face_detector"):
        lines.append(f"faces blurred in {report['blurred']:,} images ({report['face_detector']})")
    return lines
