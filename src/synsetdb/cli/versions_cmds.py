"""``versions [--diff A B]``: ImageNet's class lists and the project's releases side by side."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ._app import cli
from ._context import AppContext
from ._output import (
    console,
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
    from rich.table import Table

    from ..audit.versions import VersionClass, VersionsDiff, VersionsTable

LISTED = 20  # classes of each side `versions --diff` prints without --limit or --json
_LEGEND = (
    "person: classes in the person subtree (n00007846); sensitive: classes WordNet marks "
    "as disparagement, ethnic slur or obscenity; lemma: classes where such a mark is on one "
    "lemma only; not WN: ids that are not WordNet 3.0 nouns."
)


@cli.command("versions")
@click.option(
    "--diff",
    "pair",
    nargs=2,
    metavar="A B",
    help="The classes only in version A and only in B (a set's or a release's name).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    help=f"With --diff: list at most N classes of each side (default {LISTED}; "
    "with --json, all). 0 lists none.",
)
@json_option
@click.pass_obj
def versions(
    app: AppContext, /, pair: tuple[str, str] | None, limit: int | None, as_json: bool
) -> None:
    """ImageNet's versions and this project's releases: sizes, person and sensitive classes,
    and how much every pair overlaps (outside a project: the named sets only)."""
    from ..audit.versions import diff_versions, versions_table

    project = app.optional_project
    if pair is not None:
        listed = limit if limit is not None else (None if as_json else LISTED)
        diff = diff_versions(*pair, project, app.taxonomy, limit=listed)
        if as_json:
            emit_json(diff.to_dict())
        else:
            _print_diff(diff)
        return
    result = versions_table(project, app.taxonomy)
    if as_json:
        emit_json(result.to_dict())
        return
    _print_table(result)


def _print_table(result: VersionsTable) -> None:
    numbered = list(enumerate(result.rows, start=1))
    for kind, header in (("set", "named set"), ("release", "release")):
        rows = table(
            count_column("#"),
            id_column(header),
            count_column("classes"),
            count_column("person"),
            count_column("sensitive"),
            count_column("lemma"),
            count_column("not WN"),
        )
        for i, r in (pair for pair in numbered if pair[1].kind == kind):
            counts = (r.classes, r.person, r.sensitive, r.sensitive_lemma, r.not_wordnet)
            rows.add_row(str(i), r.key, *(f"{n:,}" for n in counts))
        if rows.row_count:
            show(rows)
    click.echo(wrapped(_LEGEND))
    click.echo()
    click.echo("overlap |A ∩ B|, rows and columns numbered as above:")
    for line in _matrix_lines(result.overlap, console().width):
        click.echo(line)
    click.echo()
    w = result.winter21
    click.echo(
        wrapped(
            f"What the 2021 filtering removed, measured on ImageNet-21K-P ({w.before} -> "
            f"{w.after}): {w.removed:,} of {w.before_classes:,} classes, {w.removed_person:,} "
            f"of them in the person subtree ({w.person_before:,} person classes before, "
            f"{w.person_after:,} after), {w.removed_sensitive:,} with a sensitive mark; "
            f"{w.added:,} added. (timm ships no list of the whole winter21 release: see "
            "docs/versions.md.)"
        )
    )


def _matrix_lines(matrix: tuple[tuple[int, ...], ...], width: int) -> list[str]:
    """The matrix in blocks of as many columns as fit ``width``, each block headed by
    its column numbers: every count whole, whatever the number of versions."""
    n = len(matrix)
    label = len(str(n))
    cell = max([len(f"{v:,}") for row in matrix for v in row] + [len(str(n))]) + 2
    per_block = max(1, (width - label) // cell)
    lines: list[str] = []
    for start in range(0, n, per_block):
        columns = range(start, min(n, start + per_block))
        if start:
            lines.append("")
        lines.append(" " * label + "".join(f"{j + 1:>{cell}}" for j in columns))
        for i, row in enumerate(matrix):
            cells = "".join(f"{row[j]:>{cell},}" for j in columns)
            lines.append(f"{i + 1:>{label}}{cells}")
    return lines


def _print_diff(diff: VersionsDiff) -> None:
    click.echo(
        wrapped(
            f"{diff.a} ({diff.a_classes:,} classes) and {diff.b} ({diff.b_classes:,} classes): "
            f"{diff.both:,} in both"
        )
    )
    for side, count, person, classes in (
        (diff.a, diff.only_a_count, diff.only_a_person, diff.only_a),
        (diff.b, diff.only_b_count, diff.only_b_person, diff.only_b),
    ):
        shown = f"; the first {len(classes):,}" if len(classes) < count else ""
        click.echo(wrapped(f"only in {side}: {count:,} ({person:,} in the person subtree){shown}"))
        if classes:
            show(_class_table(classes))


def _class_table(classes: tuple[VersionClass, ...]) -> Table:
    listed = table(id_column("wnid"), text_column("name"), id_column("flags"), header=False)
    for c in classes:
        flags = [flag for flag, on in (("person", c.person), ("sensitive", c.sensitive)) if on] + (
            [] if c.wordnet else ["not WN"]
        )
        listed.add_row(f"  {c.wnid}", c.name, ", ".join(flags))
    return listed
