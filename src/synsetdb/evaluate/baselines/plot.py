"""The 2009 paper's per-height plot: mean node AUC against tree height, one line per baseline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..plots import new_axes, plain, save_png
from .report import BaselineResult

__all__ = ["plot_auc_by_height"]


def plot_auc_by_height(
    results: Sequence[BaselineResult], out: Path, *, title: str = "AUC by tree height"
) -> Path:
    """Write a PNG of each result's mean AUC per height (height 0: the leaf classes).

    Raises:
        EvaluationError: ``E_WRITE`` when ``out`` cannot be written.
    """
    figure, axes = new_axes(6.0, 4.0)
    for result in results:
        heights = sorted(result.auc_by_height)
        values = [result.auc_by_height[h] for h in heights]
        axes.plot(heights, values, marker="o", label=plain(_label(result)))
    axes.axhline(0.5, color="grey", linewidth=0.8, linestyle=":")
    axes.set_ylim(0.0, 1.0)
    axes.set_xlabel("tree height (0: leaf classes)")
    axes.set_ylabel("mean ROC AUC of the nodes")
    axes.set_title(plain(title))
    if results:
        axes.legend(loc="lower right")
    return save_png(figure, out)


def _label(result: BaselineResult) -> str:
    """``nn (val)``; an option the data capped is named with its value: ``nn, k=4 of 100 (val)``."""
    capped = "".join(f", {c.option}={c.used} of {c.requested}" for c in result.capped)
    return f"{result.name}{capped} ({result.split})"
