"""The datasheet's plots read well at any data shape: integer ticks on counts, a sensible range."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from synsetdb.release._datasheet_plots import (
    class_counts_figure,
    depths_figure,
    plot_class_counts,
    plot_depths,
)


def _ticks(axis: Any) -> list[float]:
    """The ticks shown inside the axis's view."""
    low, high = sorted(axis.get_view_interval())
    return [t for t in axis.get_majorticklocs() if low - 1e-9 <= t <= high + 1e-9]


def _labels(axis: Any) -> list[str]:
    low, high = sorted(axis.get_view_interval())
    return [
        t.get_text()
        for t in axis.get_majorticklabels()
        if low - 1e-9 <= t.get_position()[0 if axis.axis_name == "x" else 1] <= high + 1e-9
    ]


def _check_counts_axis(axis: Any, must_show: list[int]) -> None:
    ticks = _ticks(axis)
    assert 2 <= len(ticks) <= 12, ticks
    assert all(float(t).is_integer() for t in ticks), ticks
    low, high = axis.get_view_interval()
    for value in must_show:
        assert low < value < high or value == low == 0, (value, low, high)


_RNG = random.Random(0)
SHAPES = {
    "equal sizes": [15] * 3,
    "one class": [7],
    "one image": [1],
    "empty classes": [0, 0, 4],
    "two sizes": [1300, 1299],
    "thousands of classes": [_RNG.randint(732, 1300) for _ in range(5000)],
    "a long tail": [_RNG.choice((1, 2, 3, 5, 40, 900, 21000)) for _ in range(3000)],
}


@pytest.mark.parametrize("name", SHAPES)
def test_class_count_ticks_are_integers_in_a_sensible_range(name: str) -> None:
    counts = SHAPES[name]
    figure = class_counts_figure(counts)
    figure.canvas.draw()
    (axes,) = figure.axes
    _check_counts_axis(axes.xaxis, [min(counts), max(counts)])
    # how many classes: from 0, up past the tallest bar
    ylow, yhigh = axes.get_ylim()
    assert ylow == 0 and yhigh > max(p.get_height() for p in axes.patches)
    _check_counts_axis(axes.yaxis, [])
    assert all("," in t or len(t.lstrip("−-")) < 5 for t in _labels(axes.xaxis))  # 1,300
    n = len(counts)
    assert axes.get_title() == f"Images per class ({n:,} {'class' if n == 1 else 'classes'})"


def test_equal_sizes_are_padded_not_magnified() -> None:
    figure = class_counts_figure([15, 15, 15])
    figure.canvas.draw()
    (axes,) = figure.axes
    assert set(_ticks(axes.xaxis)) >= {14.0, 15.0, 16.0}
    assert all(float(t).is_integer() for t in _ticks(axes.yaxis))
    assert 3 in _ticks(axes.yaxis)


@pytest.mark.parametrize(
    "depths", [{5: 1}, {3: 2, 4: 2}, {d: random.Random(d).randint(1, 4000) for d in range(2, 19)}]
)
def test_depth_ticks_are_integers(depths: dict[int, int]) -> None:
    figure = depths_figure(depths)
    figure.canvas.draw()
    (axes,) = figure.axes
    _check_counts_axis(axes.xaxis, list(depths))
    assert axes.get_ylim()[0] == 0
    _check_counts_axis(axes.yaxis, [])
    assert max(_ticks(axes.yaxis)) >= max(depths.values()) * 0.5


def test_no_classes_still_draws(tmp_path: Path) -> None:
    plot_class_counts([], tmp_path / "a.png")
    plot_depths({}, tmp_path / "b.png")
    for name in ("a.png", "b.png"):
        with Image.open(tmp_path / name) as image:
            assert image.size == (640, 360)
