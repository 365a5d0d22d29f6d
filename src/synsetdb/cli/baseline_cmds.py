"""``baseline nn|nbnn|treemax`` and ``cluster``: the 2009 paper's baselines on a release."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.text import Text

from ._app import cli
from ._context import AppContext
from ._output import count_column, emit_json, json_option, show, table
from .eval_cmds import error_rows, summary_table

if TYPE_CHECKING:
    from ..evaluate.baselines import BaselineResult
    from ..release import Release

F = TypeVar("F", bound=Callable[..., Any])

_SPLIT_HELP = "The split scored (trained on --train-split)."


def _release_options(f: F) -> F:
    """--release, --split, --train-split, --predictions[-format], --plot and --json."""
    for decorator in reversed(
        [
            click.option("--release", "release_name", required=True, help="The release to use."),
            click.option("--split", default="val", show_default=True, help=_SPLIT_HELP),
            click.option("--train-split", default="train", show_default=True),
            click.option(
                "--predictions",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Write the top-5 guesses per image as a file `synsetdb eval` reads.",
            ),
            click.option(
                "--predictions-format",
                type=click.Choice(["csv", "ilsvrc"]),
                default="csv",
                show_default=True,
                help="csv: name then wnids; ilsvrc: the devkit's submission (1-based ids).",
            ),
            click.option(
                "--plot",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Write the mean AUC per tree height as a PNG.",
            ),
            json_option,
        ]
    ):
        f = decorator(f)
    return f


@cli.group("baseline")
def baseline_group() -> None:
    """The 2009 ImageNet paper's baselines: top-1/top-5 error and AUC per tree height."""


@baseline_group.command("nn")
@click.option("--k", "k", type=int, default=100, show_default=True, help="Neighbours that vote.")
@_release_options
@click.pass_obj
def baseline_nn(app: AppContext, /, k: int, **common: Any) -> None:
    """NN voting: the k nearest 32×32 tiny images (SSD) vote for their subtrees."""
    from ..evaluate.baselines import nn_voting

    release = _load(app, common)
    result = nn_voting(release, k=k, split=common["split"], train_split=common["train_split"])
    _finish(release, result, **common)


@baseline_group.command("nbnn")
@click.option(
    "--per-class",
    type=int,
    help="At most this many training images per class (100: the paper's NBNN-100).",
)
@click.option(
    "--side",
    type=int,
    default=160,
    show_default=True,
    help="SIFT runs on images shrunk to this longer side.",
)
@_release_options
@click.pass_obj
def baseline_nbnn(app: AppContext, /, per_class: int | None, side: int, **common: Any) -> None:
    """NBNN: image-to-class SIFT distances (scikit-image)."""
    from ..evaluate.baselines import NBNNOptions, nbnn
    from ..evaluate.features import SiftOptions

    release = _load(app, common)
    options = NBNNOptions(per_class=per_class, sift=SiftOptions(side=side))
    result = nbnn(
        release, split=common["split"], train_split=common["train_split"], options=options
    )
    _finish(release, result, **common)


@baseline_group.command("treemax")
@click.option(
    "--embedder",
    type=click.Choice(["tiny", "hist", "hog", "sift"]),
    default="tiny",
    show_default=True,
    help="The features the classifiers see.",
)
@click.option(
    "--max-negatives", type=int, default=1000, show_default=True, help="Negatives drawn per node."
)
@click.option("--seed", type=int, default=0, show_default=True)
@_release_options
@click.pass_obj
def baseline_treemax(
    app: AppContext, /, embedder: str, max_negatives: int, seed: int, **common: Any
) -> None:
    """Tree-max: a logistic regression per node (scikit-learn), max over the subtree."""
    from ..evaluate.baselines import TreeMaxOptions, tree_max
    from ..evaluate.features import embedder_named

    release = _load(app, common)
    result = tree_max(
        release,
        split=common["split"],
        train_split=common["train_split"],
        embedder=embedder_named(embedder),
        options=TreeMaxOptions(max_negatives=max_negatives, seed=seed),
    )
    _finish(release, result, **common)


def _load(app: AppContext, common: dict[str, Any]) -> Release:
    """The release, once the files to write are known to be writable (before the work)."""
    from ..evaluate._files import check_outputs
    from ..release import load_release

    check_outputs([p for p in (common["predictions"], common["plot"]) if p is not None])
    return load_release(app.project, common["release_name"])


def _finish(
    release: Release,
    result: BaselineResult,
    *,
    release_name: str,
    split: str,
    train_split: str,
    predictions: Path | None,
    predictions_format: str,
    plot: Path | None,
    as_json: bool,
) -> None:
    from ..evaluate.baselines import plot_auc_by_height, write_predictions

    if predictions is not None:
        write_predictions(result, predictions, fmt=predictions_format)
    if plot is not None:
        title = f"{release_name} / {split}: AUC by tree height"
        plot_auc_by_height([result], plot, title=title)
    data = {
        "release": release_name,
        "sha256": release.sha256,
        "train_split": train_split,
        **result.to_dict(),
        "predictions": None if predictions is None else str(predictions),
        "plot": None if plot is None else str(plot),
    }
    if as_json:
        emit_json(data)
        return
    _print(data)


def _print(data: dict[str, Any]) -> None:
    summary = summary_table()
    summary.add_row("baseline", f"{data['baseline']} ({data['seconds']:.2f} s)")
    error_rows(summary, data)
    capped = {c["option"]: c for c in data["capped"]}
    for option, value in data["options"].items():
        if option in capped:  # the value used; what was asked and why not (logged in full)
            asked = capped[option]
            summary.add_row(
                option, f"{value} (asked for {asked['requested']}; capped: {asked['reason']})"
            )
        elif isinstance(value, int) and not isinstance(value, bool):
            summary.add_row(option, str(value))
    for key in ("predictions", "plot"):
        if data[key]:
            summary.add_row(key, Text(data[key]))
    heights = table(count_column("tree height"), count_column("nodes"), count_column("mean AUC"))
    for height, auc in data["auc_by_height"].items():
        heights.add_row(str(height), str(data["nodes_by_height"][height]), f"{auc:.3f}")
    show(summary, "", heights)


@cli.command("cluster")
@click.argument("wnid")
@click.option("--k", "k", type=int, required=True, help="How many clusters.")
@click.option("--release", "release_name", required=True, help="The release to use.")
@click.option(
    "--embedder", type=click.Choice(["tiny", "hist", "hog"]), default="tiny", show_default=True
)
@click.option("--split", "splits", multiple=True, help="Only these splits (default: all).")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the contact sheets go (default: ./clusters-WNID).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@json_option
@click.pass_obj
def cluster_command(
    app: AppContext,
    /,
    wnid: str,
    k: int,
    release_name: str,
    embedder: str,
    splits: tuple[str, ...],
    out_dir: Path | None,
    seed: int,
    as_json: bool,
) -> None:
    """Split WNID's images (its whole subtree) into K visual modes by k-means."""
    from ..evaluate.baselines import cluster_synset, write_contact_sheets
    from ..evaluate.features import embedder_named
    from ..release import load_release

    release = load_release(app.project, release_name)
    clusters = cluster_synset(
        release, wnid, k, embedder_named(embedder), splits=splits or None, seed=seed
    )
    sheets = write_contact_sheets(release, clusters, out_dir or Path(f"clusters-{wnid}"))
    data = {**clusters.to_dict(), "release": release_name, "sheets": [str(p) for p in sheets]}
    if as_json:
        emit_json(data)
        return
    for cluster, sheet in zip(data["clusters"], data["sheets"], strict=True):
        click.echo(f"cluster {cluster['index']}: {cluster['size']} image(s) -> {sheet}")
        click.echo("  " + ", ".join(cluster["members"]))
