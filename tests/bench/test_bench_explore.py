"""bench/explore.py --quick runs end to end, so the benchmark cannot rot.

Not a performance test: --quick builds two small synthetic catalogs, serves
each with ``synsetdb serve`` and requests every page; it fails only when a
request fails or a count is wrong. FiftyOne is left out (its venv, with its
own mongod, is made by ``python bench/explore.py --prepare`` for full runs).
"""

from __future__ import annotations

import pytest

from tests.bench._quick import run_quick


@pytest.mark.slow
def test_quick_run_serves_every_page() -> None:
    _, summary = run_quick("explore.py", timeout=900)
    assert summary["mode"] == "quick" and summary["checks_ok"] is True
    small, large = summary["runs"]
    assert (small["images"], large["images"]) == (2_000, 20_000)
    assert large["candidates"] > large["images"]  # some images carry a second label
    names = [p["name"] for p in large["pages"]]
    assert "statistics page, first after a write" in names and "image page" in names
    assert all(p["requests"] >= 5 and p["errors"] == 0 for p in large["pages"])
    assert large["count"]["errors"] == 0
    assert set(summary["goals"]) == {"pages_p95", "count_p95", "memory_flat"}
    assert summary["peer"] is None
