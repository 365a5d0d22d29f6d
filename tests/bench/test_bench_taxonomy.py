"""bench/taxonomy.py --quick runs end to end, so the benchmark cannot rot.

Not a performance test: --quick enforces only that synsetdb and nltk agree.
The first run creates bench/.venv-nltk with ``pip install nltk``; where pip
cannot reach PyPI this test fails (the benchmark exits 2 and says why) rather
than skipping, since CI can reach it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "taxonomy.py"
RATIOS = ("load", "import_load", "descendants_first", "descendants_warm", "lca_per_call")


@pytest.mark.slow
def test_quick_run_agrees_with_nltk_and_prints_ratios() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    output = f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 0, output
    assert "nltk/ours" in proc.stdout, output
    assert "load (s" in proc.stdout and "lca µs/call" in proc.stdout, output
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["mode"] == "quick"
    assert summary["answers_agree"] is True
    assert summary["mismatches"] == []
    for name in RATIOS:
        assert summary["ratios"][name] > 0, name
    assert summary["goals"]["descendants_same"]["ours"] == "82,114"
