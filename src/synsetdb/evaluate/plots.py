"""The per-class accuracy plot of an evaluation (PNG, matplotlib), and the plots' shared parts."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ._files import write_atomically

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["new_axes", "plain", "plot_per_class_accuracy", "save_png"]


def plain(text: str) -> str:
    """``text`` shown as written: a ``$`` would start mathtext (which may not parse)."""
    return text.replace("$", r"\$")


def _tick(name: str, width: int = 24, lines: int = 2) -> str:
    """A class name as a tick label: wrapped, at most ``lines`` lines (… where cut).

    A long name (``National Association of Securities Dealers Automated
    Quotations``) would otherwise leave no room for the bars.
    """
    wrapped = textwrap.wrap(name, width) or [name]
    if len(wrapped) > lines:
        wrapped = [
            *wrapped[: lines - 1],
            textwrap.shorten(" ".join(wrapped[lines - 1 :]), width, placeholder=" …"),
        ]
    return "\n".join(wrapped)


def new_axes(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure of its own on matplotlib's Agg backend (pyplot's global state left alone)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def save_png(figure: Figure, out: Path) -> Path:
    """Lay ``figure`` out and write it to ``out`` whole (``E_WRITE`` when it cannot be)."""
    figure.tight_layout()
    return write_atomically(
        out, lambda stream: figure.savefig(stream, format="png", metadata={"Software": None})
    )


def plot_per_class_accuracy(
    accuracy: Sequence[float], names: Sequence[str], out: Path, *, title: str
) -> Path:
    """Classes sorted by top-1 accuracy, as bars (labelled when there are few).

    Raises:
        EvaluationError: ``E_WRITE`` when ``out`` cannot be written.
    """
    values = np.asarray(accuracy, dtype=np.float64)
    order = np.argsort(np.nan_to_num(values, nan=-1.0), kind="stable")
    figure, axes = new_axes(max(6.0, min(0.25 * values.size, 16.0)), 4.0)
    axes.bar(np.arange(values.size), np.nan_to_num(values[order]), width=0.9)
    if values.size <= 40:
        labels = [plain(_tick(names[i])) for i in order]
        axes.set_xticks(np.arange(values.size), labels, rotation=70, ha="right")
    else:
        axes.set_xlabel(f"{values.size} classes, sorted by accuracy")
    axes.set_ylim(0.0, 1.0)
    axes.set_ylabel("top-1 accuracy")
    axes.set_title(plain(title))
    return save_png(figure, out)
