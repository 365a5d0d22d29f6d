"""``synset show``, ``synset search``, ``tree`` and ``sets``."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from ..errors import NotFoundError, UnknownSynsetError
from ..hierarchy import SynsetSet, Taxonomy, named_set, named_sets
from ._app import cli
from ._context import AppContext
from ._output import console, emit_json, json_option


@cli.group()
def synset() -> None:
    """Look up synsets."""


@synset.command("show")
@click.argument("wnid")
@json_option
@click.pass_obj
def synset_show(app: AppContext, wnid: str, as_json: bool) -> None:
    """Show one synset: lemmas, gloss, parents, children, depth and height."""
    tax = app.taxonomy
    s = tax.get(wnid)
    depth = tax.depth(wnid)
    info: dict[str, Any] = s.to_dict() | {
        "children": list(tax.children(wnid)),
        "depth": {"shortest": depth.shortest, "longest": depth.longest},
        "height": tax.height(wnid),
        "paths_to_root": [list(p) for p in tax.paths_to_root(wnid)],
    }
    if as_json:
        emit_json(info)
        return
    out = console()
    out.print(f"[bold]{s.wnid}[/bold]  {escape(s.words)}")
    out.print(f"  {escape(s.gloss)}")
    for label, ids in (
        ("hypernyms", s.hypernyms),
        ("instance of", s.instance_hypernyms),
        ("children", info["children"]),
    ):
        if ids:
            names = ", ".join(f"{w} {escape(tax.get(w).name)}" for w in ids[:12])
            more = f" … (+{len(ids) - 12})" if len(ids) > 12 else ""
            out.print(f"  {label}: {names}{more}")
    out.print(f"  depth {depth.shortest}–{depth.longest}, height {info['height']}, {s.lexname}")


@synset.command("search")
@click.argument("text")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="At most this many results.",
)
@json_option
@click.pass_obj
def synset_search(app: AppContext, text: str, limit: int, as_json: bool) -> None:
    """Find synsets whose lemmas or gloss match TEXT, best first."""
    hits = app.taxonomy.search(text, limit=limit)
    if as_json:
        emit_json([h.to_dict() for h in hits])
        return
    table = Table("wnid", "lemmas", "gloss", box=None)
    for h in hits:
        table.add_row(h.wnid, escape(h.words), escape(_short(h.gloss)))
    console().print(table if hits else f"no synset matches {text!r}")


@cli.command()
@click.argument("wnid", required=False)
@click.option(
    "--depth",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Levels below WNID to show.",
)
@json_option
@click.pass_obj
def tree(app: AppContext, wnid: str | None, depth: int, as_json: bool) -> None:
    """Show the hierarchy under WNID, with image counts when the project has images.

    Without WNID, one tree per root of the taxonomy (WordNet: entity); --json
    then prints a list of trees instead of one.
    """
    tax = app.taxonomy
    starts = [tax.get(wnid).wnid] if wnid is not None else list(tax.roots)  # unknown ids fail here
    shown = set().union(*(_collect(tax, w, depth) for w in starts))
    counts = _image_counts(app, shown)
    nodes = [_node(tax, w, depth, counts) for w in starts]
    if as_json:
        emit_json(nodes[0] if wnid is not None else nodes)
        return
    out = console()
    for node in nodes:
        root = Tree(_label(node))
        _grow(root, node)
        out.print(root)


@cli.command("sets")
@click.argument("name", required=False)
@json_option
@click.pass_obj
def sets(app: AppContext, name: str | None, as_json: bool) -> None:
    """List the named synset sets, or the synsets of one (ilsvrc2012, person, …).

    Sets computed from the taxonomy (person, deng2009-*) are listed as
    unavailable when the project's taxonomy lacks their root.
    """
    if name is None:
        _list_sets(app.taxonomy, as_json)
        return
    chosen = _named_set(name, app.taxonomy)
    if as_json:
        emit_json({"name": chosen.name, "source": chosen.source, "wnids": list(chosen.wnids)})
        return
    for w in chosen.wnids:
        click.echo(f"{w}\t{app.taxonomy.get(w).words if w in app.taxonomy else ''}")


def _named_set(name: str, tax: Taxonomy) -> SynsetSet:
    try:
        return named_set(name, tax)
    except UnknownSynsetError as exc:
        raise NotFoundError(
            f"synset set {name!r} is computed from {exc.wnid}, which taxonomy {tax.name} "
            "does not hold",
            code="E_SET_UNAVAILABLE",
        ) from None


def _list_sets(tax: Taxonomy, as_json: bool) -> None:
    rows: list[dict[str, Any]] = []
    for set_name in named_sets():
        try:
            s = _named_set(set_name, tax)
        except NotFoundError as exc:
            rows.append({"name": set_name, "size": None, "source": None, "unavailable": str(exc)})
        else:
            rows.append({"name": s.name, "size": len(s), "source": s.source})
    if as_json:
        emit_json(rows)
        return
    table = Table("name", "synsets", "source", box=None)
    for row in rows:
        if row["size"] is None:
            table.add_row(row["name"], "-", f"[dim]not in taxonomy {escape(tax.name)}[/dim]")
        else:
            table.add_row(row["name"], str(row["size"]), escape(row["source"]))
    console().print(table)


def _short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _collect(tax: Taxonomy, wnid: str, depth: int) -> set[str]:
    found, frontier = {wnid}, [wnid]
    for _ in range(depth):
        frontier = [c for w in frontier for c in tax.children(w)]
        found.update(frontier)
    return found


def _image_counts(app: AppContext, wnids: set[str]) -> dict[str, int] | None:
    project = app.optional_project
    if project is None or not project.catalog.has_images():
        return None
    project.check_taxonomy()  # counts over a stale hierarchy would mislead
    return project.catalog.image_counts(wnids)


def _node(tax: Taxonomy, wnid: str, depth: int, counts: dict[str, int] | None) -> dict[str, Any]:
    s = tax.get(wnid)
    node: dict[str, Any] = {"wnid": wnid, "name": s.name}
    if counts is not None:
        node["images"] = counts.get(wnid, 0)
    children = tax.children(wnid)
    if depth > 0:
        node["children"] = [_node(tax, c, depth - 1, counts) for c in children]
    else:
        node["more"] = len(children)
    return node


def _label(node: dict[str, Any]) -> str:
    text = f"[bold]{node['wnid']}[/bold] {escape(node['name'])}"
    if "images" in node:
        text += f" [cyan]({node['images']} images)[/cyan]"
    if node.get("more"):
        text += f" [dim](+{node['more']} children)[/dim]"
    return text


def _grow(branch: Tree, node: dict[str, Any]) -> None:
    for child in node.get("children", []):
        _grow(branch.add(_label(child)), child)
