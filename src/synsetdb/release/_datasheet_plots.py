"""The datasheet's two plots, drawn with matplotlib's object API on the Agg canvas.

No pyplot: figures are made and dropped without touching pyplot's global
figure registry or the active backend, and rcParams are only read. PNG
metadata is fixed (no Software tag) so the same counts give the same bytes.

Both plots count things, so both axes get integer ticks, with thousands
separators, whatever the data's shape: equal class sizes are padded to a range
around their value (matplotlib alone would tick 14.6, 14.8, 15.0), counts of
classes start at 0, one class or one depth still shows its neighbours, and
thousands of classes are binned into at most 30 bars of a whole number of
images each.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["class_counts_figure", "depths_figure", "plot_class_counts", "plot_depths"]

_SIZE = (6.4, 3.6)  # inches
_DPI = 100
# Pillow-readable PNG with nothing that varies between runs or machines.
_METADATA: dict[str, Any] = {"Software": None}
_COLOUR = "#4c72b0"
_BARS = 30  # the most bars a histogram of class sizes draws
_TICKS = 8  # the most intervals between ticks on an axis


def _figure() -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=_SIZE, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(figure)  # attaches itself: Agg, whatever the default backend
    return figure, figure.add_subplot()


def _save(figure: Any, path: Path) -> None:
    figure.savefig(path, format="png", dpi=_DPI, metadata=_METADATA)


def _integer_axis(axis: Any) -> None:
    """Whole-number ticks only (never 14.6), at most ``_TICKS`` intervals, 1,000s separated."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    locator = MaxNLocator(nbins=_TICKS, steps=[1, 2, 5, 10], integer=True, min_n_ticks=1)
    axis.set_major_locator(locator)
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:,.0f}"))


def _count_top(tallest: float) -> float:
    """The top of a count axis starting at 0: room above the tallest bar, at least one unit."""
    return tallest + max(1.0, math.ceil(tallest * 0.08))


def class_counts_figure(counts: Sequence[int]) -> Any:
    """A histogram of images per class (how many classes have how many images), not saved."""
    figure, axes = _figure()
    tallest = 0.0
    if counts:
        low, high = min(counts), max(counts)
        span = high - low + 1  # the distinct sizes the range covers
        width = math.ceil(span / _BARS)  # whole images per bar
        edges = [low - 0.5 + width * k for k in range(math.ceil(span / width) + 1)]
        heights, _, _ = axes.hist(counts, bins=edges, color=_COLOUR, rwidth=0.9)
        tallest = float(max(heights))
        pad = max(1, width, round(span * 0.05))  # equal sizes get a range around them
        axes.set_xlim(max(-0.5, low - 0.5 - pad), high + 0.5 + pad)
    axes.set_ylim(0, _count_top(tallest))
    axes.set_xlabel("images in the class (all splits)")
    axes.set_ylabel("classes")
    n = len(counts)
    axes.set_title(f"Images per class ({n:,} {'class' if n == 1 else 'classes'})")
    _integer_axis(axes.xaxis)
    _integer_axis(axes.yaxis)
    return figure


def depths_figure(classes_per_depth: Mapping[int, int]) -> Any:
    """Classes per depth (shortest path to a root of the release's hierarchy), not saved."""
    figure, axes = _figure()
    depths = sorted(classes_per_depth)
    values = [classes_per_depth[d] for d in depths]
    axes.bar(depths, values, color=_COLOUR)
    if depths:  # a depth on each side, so one depth alone still reads as a number
        axes.set_xlim(depths[0] - 1, depths[-1] + 1)
    axes.set_ylim(0, _count_top(float(max(values, default=0))))
    axes.set_xlabel("depth: fewest is-a edges up to a root")
    axes.set_ylabel("classes")
    axes.set_title("Classes per depth in the release's hierarchy")
    _integer_axis(axes.xaxis)
    _integer_axis(axes.yaxis)
    return figure


def plot_class_counts(counts: Sequence[int], path: Path) -> None:
    """Save ``class_counts_figure(counts)`` as a PNG at ``path``."""
    _save(class_counts_figure(counts), path)


def plot_depths(classes_per_depth: Mapping[int, int], path: Path) -> None:
    """Save ``depths_figure(classes_per_depth)`` as a PNG at ``path``."""
    _save(depths_figure(classes_per_depth), path)
