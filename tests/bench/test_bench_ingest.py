"""bench/ingest.py --quick runs end to end, so the benchmark cannot rot.

Not a performance test: --quick enforces only that every side did exactly the
work asked (300 images added by folder and URL ingest, 300 img2dataset
successes, 300 files decoded). It needs img2dataset's throwaway venv, which
--quick never installs: without it the benchmark exits 2 and this test fails
with the command that makes it (``python bench/ingest.py --prepare``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "ingest.py"
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
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 0, output
    assert "ingest folder vs decode limit" in proc.stdout, output
    assert "ingest urls vs img2dataset" in proc.stdout, output
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
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
