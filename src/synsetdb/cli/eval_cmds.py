"""``eval PREDICTIONS --release NAME``: ILSVRC and hierarchical scores of a prediction file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.table import Table

from ._app import cli
from ._context import AppContext
from ._output import console, emit_json, json_option


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
    as_json: bool,
) -> None:
    """Score PREDICTIONS against a release split: top-1/top-5 error, per class, hierarchy."""
    from ..evaluate import evaluate_file
    from ..evaluate._files import check_outputs
    from ..evaluate.plots import plot_per_class_accuracy
    from ..release import load_release

    plot = plot or predictions.with_name(predictions.name + ".per-class.png")
    check_outputs([plot], inputs=[predictions])
    manifest = load_release(app.project, release_name).manifest
    scores = evaluate_file(predictions, manifest, split, fmt)
    plot_per_class_accuracy(
        scores.classification.per_class_accuracy,
        [c.name for c in manifest.classes],
        plot,
        title=f"{release_name} / {split}: top-1 accuracy per class",
    )
    result = {
        "release": release_name,
        "sha256": manifest.sha256,
        "split": split,
        **scores.to_dict(),
        "plot": str(plot),
    }
    if as_json:
        emit_json(result)
        return
    _print(result)


def error_rows(table: Table, scores: dict[str, Any]) -> Table:
    """The rows every score table starts with: images, top-1 and top-5 error."""
    table.add_row("images", f"{scores['images']:,} ({scores['release']} / {scores['split']})")
    table.add_row("top-1 error", f"{scores['top1_error']:.4f}")
    table.add_row("top-5 error", f"{scores['top5_error']:.4f}")
    return table


def _print(result: dict[str, Any]) -> None:
    table = error_rows(Table(show_header=False, box=None), result)
    table.add_row("mean per-class accuracy", f"{result['mean_per_class_accuracy']:.4f}")
    severity = result["mistake_severity"]
    table.add_row(
        "mistake severity",
        "no top-1 errors"
        if severity is None
        else f"{severity:.2f} (over {result['top1_errors']:,} errors)",
    )
    for k, distance in result["hierarchical_distance"].items():
        table.add_row(f"hierarchical distance @{k}", f"{distance:.2f}")
    levels = ", ".join(f"{d}: {a:.3f}" for d, a in result["level_accuracy"].items())
    table.add_row("accuracy by depth", levels)
    table.add_row("per-class plot", result["plot"])
    console().print(table)
