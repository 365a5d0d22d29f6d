"""``eval PREDICTIONS --release NAME``: ILSVRC and hierarchical scores of a prediction file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.table import Table
from rich.text import Text

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
)

if TYPE_CHECKING:
    from ..evaluate import ClassScore

PER_CLASS_ROWS = 20  # the worst classes shown unless --per-class says otherwise


def _rows(ctx: click.Context, param: click.Parameter, value: str) -> int | None:
    """``--per-class``: a number of rows, or ``all`` (None)."""
    text = value.strip()
    if text == "all":
        return None
    if text.isascii() and text.isdigit():
        return int(text)
    raise click.BadParameter(f"{value!r} is neither a number of rows nor 'all'", ctx, param)


@cli.command("eval")
@click.argument("predictions", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--release", "release_name", required=True, help="The release the images are from.")
@click.option("--split", default="val", show_default=True, help="The split predicted.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "ilsvrc"]),
    default="csv",
    show_default=True,
    help="csv: name then guesses (wnids or 0-based indices); ilsvrc: the devkit's "
    "submission (1-based ids or wnids, images in name order).",
)
@click.option(
    "--plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the per-class accuracy PNG (default: PREDICTIONS.per-class.png).",
)
@click.option(
    "--per-class",
    "per_class",
    callback=_rows,
    metavar="N|all",
    default=str(PER_CLASS_ROWS),
    show_default=True,
    help="How many classes the per-class table shows, worst first ('all': every one).",
)
@click.option(
    "--per-class-csv",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write every class's scores, worst first, to this CSV file.",
)
@json_option
@click.pass_obj
def evaluate_command(
    app: AppContext,
    /,
    predictions: Path,
    release_name: str,
    split: str,
    fmt: str,
    plot: Path | None,
    per_class: int | None,
    per_class_csv: Path | None,
    as_json: bool,
) -> None:
    """Score PREDICTIONS against a release split.

    \b
    Prints top-1/top-5 error, the hierarchical scores and a table of the
    worst classes (every class: --per-class all, --json, or a CSV file
    with --per-class-csv). A score the file cannot support, such as top-5
    error from rows of three guesses, is reported as not computed, with
    the reason.
    """
    from ..evaluate import evaluate_file
    from ..evaluate import per_class_csv as csv_text
    from ..evaluate._files import check_outputs, write_atomically
    from ..evaluate.plots import plot_per_class_accuracy
    from ..release import load_release

    plot = plot or predictions.with_name(predictions.name + ".per-class.png")
    check_outputs([plot, *([per_class_csv] if per_class_csv else [])], inputs=[predictions])
    manifest = load_release(app.project, release_name).manifest
    scores = evaluate_file(predictions, manifest, split, fmt)
    plot_per_class_accuracy(
        scores.classification.per_class_accuracy,
        [c.name for c in manifest.classes],
        plot,
        title=f"{release_name} / {split}: top-1 accuracy per class",
    )
    if per_class_csv is not None:
        text = csv_text(scores)
        write_atomically(per_class_csv, lambda out: out.write(text.encode("utf-8")))
    result = {
        "release": release_name,
        "sha256": manifest.sha256,
        "split": split,
        **scores.to_dict(),
        "plot": str(plot),
        "per_class_csv": None if per_class_csv is None else str(per_class_csv),
    }
    if as_json:
        emit_json(result)
        return
    show(_summary(result), *_per_class(scores.per_class(), per_class, per_class_csv))


def error_rows(table: Table, scores: dict[str, Any]) -> Table:
    """The rows every score table starts with: images, top-1 and top-5 error."""
    table.add_row("images", f"{scores['images']:,} ({scores['release']} / {scores['split']})")
    table.add_row("top-1 error", f"{scores['top1_error']:.4f}")
    table.add_row("top-5 error", _score(scores, "top5_error", scores["top5_error"], ".4f"))
    return table


def _score(result: dict[str, Any], key: str, value: float | None, spec: str) -> Text:
    """A score as text, or why it was not computed."""
    if value is None and key in result.get("not_computed", {}):
        return Text(f"not computed: {result['not_computed'][key]}")
    return Text("-" if value is None else format(value, spec))


def summary_table() -> Table:
    """Label and value columns; values wrap (a long path folds) instead of being cut."""
    return table(id_column(), text_column(), header=False)


def _levels(accuracy: dict[int, float], width: int) -> str:
    """``1-3: 1.000, 4: 0.667, …``: equal neighbours as one range, lines broken between entries."""
    runs: list[tuple[int, int, float]] = []
    for depth, value in accuracy.items():
        if runs and runs[-1][2] == value and runs[-1][1] == depth - 1:
            runs[-1] = (runs[-1][0], depth, value)
        else:
            runs.append((depth, depth, value))
    entries = [f"{a}{'' if a == b else f'-{b}'}: {v:.3f}" for a, b, v in runs]
    lines = [""]
    for n, entry in enumerate(entries):
        piece = entry + ("," if n < len(entries) - 1 else "")
        if lines[-1] and len(lines[-1]) + 1 + len(piece) > width:
            lines.append("")
        lines[-1] = f"{lines[-1]} {piece}" if lines[-1] else piece
    return "\n".join(lines)


def _summary(result: dict[str, Any]) -> Table:
    table = error_rows(summary_table(), result)
    table.add_row("mean per-class accuracy", f"{result['mean_per_class_accuracy']:.4f}")
    severity = result["mistake_severity"]
    table.add_row(
        "mistake severity",
        "no top-1 errors"
        if severity is None
        else f"{severity:.2f} (over {result['top1_errors']:,} errors)",
    )
    for k, distance in result["hierarchical_distance"].items():
        key = f"hierarchical_distance@{k}"
        table.add_row(f"hierarchical distance @{k}", _score(result, key, distance, ".2f"))
    # what the labels leave of the line is the room for the values
    width = console().width - max(len(str(cell)) for cell in table.columns[0].cells) - 2
    table.add_row("accuracy by depth", _levels(result["level_accuracy"], max(width, 20)))
    table.add_row("per-class plot", Text(result["plot"]))
    if result["per_class_csv"]:
        table.add_row("per-class CSV", Text(result["per_class_csv"]))
    return table


def _per_class(rows: list[ClassScore], limit: int | None, written: Path | None) -> list[Any]:
    """A title and the worst ``limit`` classes (all: None); wnids whole, names wrapped."""
    shown = rows if limit is None else rows[:limit]
    title = f"Per class, worst first: {len(shown)} of {len(rows)} classes shown"
    if len(shown) < len(rows):
        rest = (
            f"in {written}, or --per-class all"
            if written
            else "--per-class all, --json or --per-class-csv FILE"
        )
        title += f" (all of them: {rest})"
    parts: list[Any] = ["", Text(title + (":" if shown else ""))]
    if not shown:
        return parts
    with_top5 = any(row.top5_error is not None for row in rows)
    scores = table(
        id_column("wnid"),
        text_column("class"),
        count_column("images"),
        count_column("top-1 err"),
        *([count_column("top-5 err")] if with_top5 else []),
    )
    scores.columns[1].ratio = 1  # the names take the room the numbers leave
    for row in shown:
        errors = [row.top1_error, *([row.top5_error] if with_top5 else [])]
        cells = ["-" if e is None else f"{e:.4f}" for e in errors]
        scores.add_row(Text(row.wnid), Text(row.name), f"{row.images:,}", *cells)
    return [*parts, scores]
