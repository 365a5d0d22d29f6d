"""The per-class plot: a PNG whatever the class names hold."""

from __future__ import annotations

import warnings
from pathlib import Path

from PIL import Image

from synsetdb.evaluate.plots import plot_per_class_accuracy


def test_names_with_dollars_are_shown_as_written(tmp_path: Path) -> None:
    """A ``$`` starts matplotlib's mathtext; unbalanced or bad TeX would fail to draw."""
    names = ["US$ coin", r"x $\frac{$ y", "plain", "a $ b $ c"]
    out = plot_per_class_accuracy(
        [0.5, float("nan"), 1.0, 0.25], names, tmp_path / "p.png", title="r / val: $ $"
    )
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size[0] >= 600


def test_long_names_leave_room_for_the_bars(tmp_path: Path) -> None:
    """A 63-letter class name once made matplotlib give up on the layout (and warn)."""
    names = ["National Association of Securities Dealers Automated Quotations", "dog", "cat"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = plot_per_class_accuracy([0.0, 0.5, 1.0], names, tmp_path / "p.png", title="r")
    with Image.open(out) as image:
        assert image.format == "PNG"
