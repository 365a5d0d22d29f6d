"""The per-class accuracy plot of an evaluation (PNG, matplotlib)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["plot_per_class_accuracy"]


def plot_per_class_accuracy(
    accuracy: Sequence[float], names: Sequence[str], out: Path, *, title: str
) -> Path:
    """Classes sorted by top-1 accuracy, as bars (labelled when there are few).

    Uses matplotlib's Agg backend on its own figure; global state is left alone.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    values = np.asarray(accuracy, dtype=np.float64)
    order = np.argsort(np.nan_to_num(values, nan=-1.0), kind="stable")
    figure = Figure(figsize=(max(6.0, min(0.25 * values.size, 16.0)), 4.0))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.bar(np.arange(values.size), np.nan_to_num(values[order]), width=0.9)
    if values.size <= 40:
        axes.set_xticks(np.arange(values.size), [names[i] for i in order], rotation=70, ha="right")
    else:
        axes.set_xlabel(f"{values.size} classes, sorted by accuracy")
    axes.set_ylim(0.0, 1.0)
    axes.set_ylabel("top-1 accuracy")
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out
