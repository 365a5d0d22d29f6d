"""Charts drawn by the app as SVG: bar charts whose bars are links, and line charts.

The geometry is computed here; ``templates/_charts.html`` writes the SVG, so
every label goes through Jinja's escaping. Axes get round ticks (1, 2 or 5
times a power of ten; whole numbers for counts), never 14.6, 14.8, 15.0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Axes",
    "Bar",
    "BarChart",
    "HBarChart",
    "LineChart",
    "Tick",
    "bar_chart",
    "hbar_chart",
    "line_chart",
    "nice_ticks",
]

WIDTH, HEIGHT = 640, 260
MARKED = 60  # a line of this many points or fewer gets a dot at each
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 56  # margins for the axes' labels


@dataclass(frozen=True, slots=True)
class Tick:
    position: float  # pixels along the axis
    label: str


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    href: str | None
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Axes:
    """A chart's frame: its title, its value axis and its ticks, its size in pixels."""

    title: str
    y_label: str
    y_ticks: tuple[Tick, ...]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> float:
        return self.height - BOTTOM

    @property
    def left(self) -> float:
        return LEFT

    @property
    def right(self) -> float:
        return self.width - RIGHT


@dataclass(frozen=True, slots=True)
class BarChart:
    axes: Axes
    bars: tuple[Bar, ...]


@dataclass(frozen=True, slots=True)
class HBarChart:
    """Horizontal bars, one row per category: long labels stay readable on a phone."""

    title: str
    x_label: str
    bars: tuple[Bar, ...]  # x, y, width, height in pixels; label drawn left of the bar
    width: int
    height: int
    left: float  # where bars start (labels end)


@dataclass(frozen=True, slots=True)
class LineChart:
    axes: Axes
    series: tuple[tuple[str, str], ...]  # (name, SVG points "x,y x,y …")
    markers: tuple[tuple[tuple[float, float], ...], ...]  # each series' points, when few
    x_ticks: tuple[Tick, ...]


def nice_ticks(top: float, *, count: int = 5, whole: bool = True) -> list[float]:
    """Round tick values from 0 to at least ``top``: steps of 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if whole:
        step = max(1.0, round(step))
    steps = math.ceil(top / step - 1e-9)
    return [round(i * step, 12) for i in range(steps + 1)]


def _label(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:g}M"
    if value >= 10_000:
        return f"{value / 1_000:g}k"
    return f"{value:,.0f}" if value == int(value) else f"{value:g}"


def _y_axis(ticks: list[float], height: int) -> tuple[float, tuple[Tick, ...]]:
    """Pixels per unit and the ticks placed on the y axis."""
    span = (height - BOTTOM - TOP) / ticks[-1]
    placed = tuple(Tick(height - BOTTOM - t * span, _label(t)) for t in ticks)
    return span, placed


def bar_chart(
    title: str,
    y_label: str,
    items: Sequence[tuple[str, float, str | None]],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> BarChart:
    """Bars for ``(label, value, link)`` items, in the order given."""
    top = max((value for _, value, _ in items), default=0)
    ticks = nice_ticks(top)
    scale, y_ticks = _y_axis(ticks, height)
    slot = (width - LEFT - RIGHT) / max(1, len(items))
    gap = min(8.0, slot * 0.2)
    bars = tuple(
        Bar(
            label=label,
            value=value,
            href=href,
            x=LEFT + i * slot + gap / 2,
            y=height - BOTTOM - value * scale,
            width=max(1.0, slot - gap),
            height=value * scale,
        )
        for i, (label, value, href) in enumerate(items)
    )
    return BarChart(Axes(title, y_label, y_ticks, width, height), bars)


def line_chart(
    title: str,
    y_label: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
    x_ticks: int = 6,
) -> LineChart:
    """Lines over evenly spaced points (days, ranks), each series a name and its values."""
    top = max((max(values, default=0) for _, values in series), default=0)
    ticks = nice_ticks(top)
    scale, y_ticks = _y_axis(ticks, height)
    n = max(1, len(x_labels) - 1)
    step = (width - LEFT - RIGHT) / n

    def xy(values: Sequence[float]) -> tuple[tuple[float, float], ...]:
        return tuple(
            (round(LEFT + i * step, 1), round(height - BOTTOM - v * scale, 1))
            for i, v in enumerate(values)
        )

    every = max(1, math.ceil(len(x_labels) / x_ticks))
    placed = tuple(
        Tick(LEFT + i * step, label) for i, label in enumerate(x_labels) if i % every == 0
    )
    points = [xy(values) for _, values in series]
    drawn = tuple(
        (name, " ".join(f"{x},{y}" for x, y in p))
        for (name, _), p in zip(series, points, strict=True)
    )
    markers = tuple(p if len(p) <= MARKED else () for p in points)
    return LineChart(Axes(title, y_label, y_ticks, width, height), drawn, markers, placed)


ROW, LABELS = 24, 200


def hbar_chart(
    title: str,
    x_label: str,
    items: Sequence[tuple[str, float, str | None]],
    *,
    width: int = WIDTH,
) -> HBarChart:
    """A row per ``(label, value, link)`` item; the longest bar spans the width."""
    top = max((value for _, value, _ in items), default=0) or 1
    span = width - LABELS - 80  # room on the right for the value
    bars = tuple(
        Bar(label, value, href, LABELS, i * ROW + 4, max(1.0, value / top * span), ROW - 8)
        for i, (label, value, href) in enumerate(items)
    )
    return HBarChart(title, x_label, bars, width, max(ROW, len(items) * ROW), LABELS)
