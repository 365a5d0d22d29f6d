"""``demo [DIR]``: the whole pipeline on the bundled sample images."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.markup import escape

from ._app import cli
from ._output import console, emit_json, json_option

if TYPE_CHECKING:
    from ..demo import DemoResult, StepResult


@cli.command()
@click.argument(
    "directory",
    default="synsetdb-demo",
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option("--seed", default=2009, show_default=True, help="Noise, votes and splits follow it.")
@click.option(
    "--bundle",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Another sample laid out like the bundled one (items.csv, images/).",
)
@json_option
def demo(directory: Path, seed: int, bundle: Path | None, as_json: bool) -> None:
    """Build a small ImageNet-style dataset in DIRECTORY, end to end, offline.

    Ingests the bundled real images (photographs and emoji artwork, each with
    its source and licence), has a simulated crowd verify them under dynamic
    consensus, makes a release with leak-free splits and its datasheet,
    exports it in the ILSVRC layout, runs the 2009 paper's NN-voting baseline
    and scores it. Running it again finds everything done and changes nothing.
    """
    from ..demo import DemoConfig, run_demo

    def show(step: StepResult) -> None:
        if not as_json:
            console().print(
                f"[bold]{step.name}[/bold] ({step.elapsed_s:.1f} s): {escape(step.summary)}",
                soft_wrap=True,
            )

    result = run_demo(directory, DemoConfig(seed=seed), show, bundle=bundle)
    if as_json:
        emit_json(result.to_dict())
        return
    _where(result)


def _where(result: DemoResult) -> None:
    """What was made and where, and what to run next (commands unwrapped, to copy)."""
    root, paths = result.project, result.paths
    project = f"synsetdb --project {root}"
    lines = [
        f"  datasheet    {paths['datasheet']}",
        f"  export       {paths['export']}",
        f"  predictions  {paths['predictions']}",
        f"  scores       {paths['scores']}  (per-class plot {paths['plot']})",
        "",
        "Next:",
        f"  {project} stats",
        f"  {project} release show demo",
        f"  {project} audit --release demo    # the dataset's problems, each with a code",
        f"  {project} eval {paths['predictions']} --release demo",
    ]
    lines += [
        f"  {project} worker add me --admin    # to label and run the admin pages",
        "",
        "Browse it in the explorer:",
    ]
    if importlib.util.find_spec("fastapi") is None:
        lines.append("  (first: pip install 'synsetdb[web]', or pip install '.[web]' in a clone)")
    lines.append(f"  {project} serve --anonymous-browse    # then open http://127.0.0.1:8000/")
    out = console()
    out.print(f"\n[bold]Everything is in {escape(str(root))}[/bold]", soft_wrap=True)
    for line in lines:
        out.print(line, markup=False, soft_wrap=True)
