"""bench/ingest.py --quick runs end to end, so the benchmark cannot rot.

Not a performance test: --quick enforces only that every side did exactly the
work asked (300 images added by folder and URL ingest, 300 img2dataset
successes, 300 files decoded). It needs img2dataset's throwaway venv, which
--quick never installs: without it the benchmark exits 2 and this test fails
with the command that makes it (``python bench/ingest.py --prepare``).
"""

from __future__ import annotations

import pytest

from tests.bench._quick import run_quick

RATIOS = (
    "folder_vs_decode",
    "urls_vs_img2dataset",
    "folder_vs_img2dataset",
    "memory_folder",
    "memory_urls",
)
SIDES = ("decode", "folder", "urls", "img2dataset", "folder_small", "urls_small")


@pytest.mark.slow
def test_quick_run_checks_every_side_and_prints_ratios() -> None:
    stdout, summary = run_quick("ingest.py", timeout=600)
    assert "ingest folder vs decode limit" in stdout, stdout
    assert "ingest urls vs img2dataset" in stdout, stdout
    assert summary["bench"] == "ingest"
    assert summary["mode"] == "quick"
    assert summary["correct"] is True, summary["checks"]
    assert all(summary["checks"][side] == [] for side in SIDES), summary["checks"]
    for name in RATIOS:
        assert summary["ratios"][name] > 0, name
    runs = summary["runs"]
    assert runs["folder"][0]["report"]["added"] == summary["sizes"]["images"]
    assert runs["urls"][0]["server"]["requests"] == summary["sizes"]["images"]
    assert runs["img2dataset"][0]["successes"] == summary["sizes"]["images"]
