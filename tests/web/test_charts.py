"""Chart geometry: round ticks, bars in proportion, links kept, lines through every point."""

from __future__ import annotations

from synsetdb.web.charts import bar_chart, hbar_chart, line_chart, nice_ticks


def test_ticks_are_round_and_whole_for_counts() -> None:
    assert nice_ticks(15) == [0, 5, 10, 15]
    assert nice_ticks(14.8) == [0, 5, 10, 15]  # never 14.6, 14.8, 15.0
    assert nice_ticks(3) == [0, 1, 2, 3]
    assert nice_ticks(1_234_567) == [0, 500_000, 1_000_000, 1_500_000]
    assert nice_ticks(0.9, whole=False) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0) == [0, 1]


def test_bars_are_in_proportion_and_keep_their_links() -> None:
    chart = bar_chart("t", "n", [("a", 10, "/a"), ("b", 5, None), ("c", 0, "/c")])
    a, b, c = chart.bars
    assert a.height == 2 * b.height and c.height == 0
    assert a.y + a.height == b.y + b.height == chart.axes.baseline  # all stand on the axis
    assert (a.href, b.href) == ("/a", None)
    assert [t.label for t in chart.axes.y_ticks] == ["0", "2", "4", "6", "8", "10"]
    rows = hbar_chart("t", "n", [("long label", 4, "/x"), ("b", 2, None)])
    assert rows.bars[0].width == 2 * rows.bars[1].width and rows.height == 48


def test_lines_pass_through_every_point_and_mark_few() -> None:
    chart = line_chart("t", "n", ["d1", "d2", "d3"], [("s", [0, 5, 10])])
    ((name, points),) = chart.series
    xs = [float(p.split(",")[0]) for p in points.split()]
    ys = [float(p.split(",")[1]) for p in points.split()]
    assert name == "s" and xs == sorted(xs) and ys[0] == chart.axes.baseline and ys[2] < ys[1]
    assert len(chart.markers[0]) == 3
    many = line_chart("t", "n", [str(i) for i in range(100)], [("s", list(range(100)))])
    assert many.markers == ((),) and len(many.x_ticks) <= 6
