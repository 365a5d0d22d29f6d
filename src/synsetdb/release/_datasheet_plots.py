"""The datasheet's two plots, drawn with matplotlib's object API on the Agg canvas.

No pyplot: figures are made and dropped without touching pyplot's global
figure registry or the active backend, and rcParams are only read. PNG
metadata is fixed (no Software tag) so the same counts give the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["plot_class_counts", "plot_depths"]

_SIZE = (6.4, 3.6)  # inches
_DPI = 100
# Pillow-readable PNG with nothing that varies between runs or machines.
_METADATA: dict[str, Any] = {"Software": None}
_COLOUR = "#4c72b0"


def _figure() -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=_SIZE, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)  # attaches itself: Agg, whatever the default backend
    return figure, figure.add_subplot()


def _save(figure: Any, path: Path) -> None:
    figure.savefig(path, format="png", dpi=_DPI, metadata=_METADATA)


def plot_class_counts(counts: Sequence[int], path: Path) -> None:
    """A histogram of images per class (how many classes have how many images)."""
    figure, axes = _figure()
    if counts:
        low, high = min(counts), max(counts)
        bins = max(1, min(30, high - low + 1))
        axes.hist(counts, bins=bins, range=(low - 0.5, high + 0.5), color=_COLOUR, rwidth=0.9)
    axes.set_xlabel("images in the class (all splits)")
    axes.set_ylabel("classes")
    axes.set_title(f"Images per class ({len(counts)} classes)")
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.yaxis.get_major_locator().set_params(integer=True)
    _save(figure, path)


def plot_depths(classes_per_depth: Mapping[int, int], path: Path) -> None:
    """Classes per depth (shortest path to a root of the release's hierarchy)."""
    figure, axes = _figure()
    depths = sorted(classes_per_depth)
    axes.bar(depths, [classes_per_depth[d] for d in depths], color=_COLOUR)
    axes.set_xlabel("depth: fewest is-a edges up to a root")
    axes.set_ylabel("classes")
    axes.set_title("Classes per depth in the release's hierarchy")
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.yaxis.get_major_locator().set_params(integer=True)
    _save(figure, path)
