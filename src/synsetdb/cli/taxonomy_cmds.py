"""``synset show``, ``synset search``, ``tree`` and ``sets``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click
from rich.markup import escape
from rich.padding import Padding
from rich.table import Table
from rich.tree import Tree

from ..catalog.aggregates import LIVE
from ..catalog.browse import synset_counts
from ..catalog.schema import COUNT_KEYS
from ..errors import NotFoundError, UnknownSynsetError
from ..hierarchy import Synset, SynsetSet, Taxonomy, is_wordnet_id, named_set, named_sets
from ._app import cli
from ._context import AppContext
from ._output import (
    count_column,
    emit_json,
    id_column,
    json_option,
    show,
    table,
    text_column,
)

# ``synset show``'s rows of counts: live (any status but rejected) first.
_STATUS_ROWS = (LIVE, *(k for k in COUNT_KEYS if k != LIVE))


@cli.group()
def synset() -> None:
    """Look up synsets."""


@synset.command("show")
@click.argument("wnid")
@json_option
@click.pass_obj
def synset_show(app: AppContext, wnid: str, as_json: bool) -> None:
    """Show one synset: lemmas, gloss, parents, children, depth, height, every path to
    the root, and in a project with images its image counts (own and subtree, by status)."""
    tax = app.taxonomy
    s = tax.get(wnid)
    depth = tax.depth(s.wnid)
    info: dict[str, Any] = s.to_dict() | {
        "children": list(tax.children(s.wnid)),
        "depth": {"shortest": depth.shortest, "longest": depth.longest},
        "height": tax.height(s.wnid),
        "paths_to_root": [list(p) for p in tax.paths_to_root(s.wnid)],
    }
    images = _synset_images(app, s.wnid)
    if images is not None:
        info["images"] = images
    if as_json:
        emit_json(info)
        return
    show(
        f"[bold]{s.wnid}[/bold]  {escape(s.words)}",
        Padding(_synset_grid(tax, s, info), (0, 0, 0, 2)),
    )


def _synset_grid(tax: Taxonomy, s: Synset, info: dict[str, Any]) -> Table:
    """``synset show``'s lines: a label, then words that wrap under themselves."""
    grid = table(id_column(), text_column(), header=False)
    if s.gloss:
        grid.add_row("gloss", escape(s.gloss))
    category = s.lexname or (None if is_wordnet_id(s.wnid) else "custom")
    if category:  # ImageNet's own words.txt gives no lexicographer file
        grid.add_row("category", category)
    depth = info["depth"]
    grid.add_row("depth", f"{depth['shortest']}–{depth['longest']}, height {info['height']}")
    for label, ids in (
        ("hypernyms", s.hypernyms),
        ("instance of", s.instance_hypernyms),
        ("children", info["children"]),
    ):
        if ids:
            grid.add_row(label, _named(tax, ids))
    paths = info["paths_to_root"]
    grid.add_row("paths", f"{len(paths)} path{'s' if len(paths) != 1 else ''} to the root")
    for number, path in enumerate(paths, start=1):  # root first, as breadcrumbs read
        grid.add_row(f"path {number}", " › ".join(_name(tax, w) for w in reversed(path)))
    if "images" in info:
        grid.add_row("images", _counts_table(info["images"]))
    return grid


def _name(tax: Taxonomy, wnid: str) -> str:
    return f"{wnid} {escape(tax.get(wnid).name)}"


def _named(tax: Taxonomy, ids: Sequence[str], shown: int = 12) -> str:
    names = ", ".join(_name(tax, w) for w in ids[:shown])
    return names + (f" and {len(ids) - shown} more" if len(ids) > shown else "")


def _synset_images(app: AppContext, wnid: str) -> dict[str, dict[str, int]] | None:
    """The catalog's maintained counts of the synset (own, subtree), or None without images."""
    project = app.optional_project
    if project is None or not project.catalog.has_images():
        return None
    project.check_taxonomy()  # counts over a stale hierarchy would mislead
    counts = synset_counts(project.catalog, [wnid])[wnid]
    return {
        "own": {k: counts.own.get(k, 0) for k in COUNT_KEYS},
        "subtree": {k: counts.subtree.get(k, 0) for k in COUNT_KEYS},
    }


def _counts_table(images: dict[str, dict[str, int]]) -> Table:
    """Images by status: live (any but rejected) always, the others when there are some."""
    counts = table(id_column("status"), count_column("own"), count_column("subtree"))
    own, subtree = images["own"], images["subtree"]
    for key in _STATUS_ROWS:
        if key == LIVE or own[key] or subtree[key]:
            counts.add_row(key, f"{own[key]:,}", f"{subtree[key]:,}")
    return counts


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
    found = table(id_column("wnid"), text_column("lemmas"), text_column("gloss"))
    for h in hits:
        found.add_row(h.wnid, escape(h.words), escape(_short(h.gloss)))
    show(found if hits else f"no synset matches {escape(repr(text))}")


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
    trees = []
    for node in nodes:
        root = Tree(_label(node))
        _grow(root, node)
        trees.append(root)
    show(*trees)


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
            rows.append(
                {
                    "name": set_name,
                    "size": None,
                    "title": None,
                    "source": None,
                    "unavailable": str(exc),
                }
            )
        else:
            rows.append(
                {"name": s.name, "size": len(s), "title": s.title or s.source, "source": s.source}
            )
    if as_json:
        emit_json(rows)
        return
    listed = table(id_column("name"), count_column("synsets"), text_column("description"))
    for row in rows:
        if row["size"] is None:
            listed.add_row(row["name"], "-", f"[dim]not in taxonomy {escape(tax.name)}[/dim]")
        else:
            listed.add_row(row["name"], f"{row['size']:,}", escape(row["title"]))
    show(listed)


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
    # The catalog's maintained counts (what `synset show` and the explorer read).
    return {w: c.images for w, c in synset_counts(project.catalog, wnids).items()}


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
