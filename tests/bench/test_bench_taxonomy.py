"""bench/taxonomy.py --quick runs end to end, so the benchmark cannot rot.

Not a performance test: --quick enforces only that synsetdb and nltk agree.
Nothing is downloaded here: tools/test.sh installs Debian's ``wordnet-base``
and runs ``bench/taxonomy.py --prepare --wordnet-source debian`` (the nltk
virtualenv and nltk's copy of the dict files) before pytest, and this test runs
the bench with ``--offline``, which exits 2 naming what is missing instead of
installing it. So a missing set-up fails this test; it never skips.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench._quick import run_quick

ROOT = Path(__file__).resolve().parents[2]
RATIOS = ("load", "import_load", "descendants_first", "descendants_warm", "lca_per_call")


@pytest.mark.slow
def test_quick_run_agrees_with_nltk_and_prints_ratios() -> None:
    stdout, summary = run_quick(
        "taxonomy.py", "--wordnet-source", "debian", "--offline", timeout=900
    )
    assert "nltk/ours" in stdout, stdout
    assert "load (s" in stdout and "lca µs/call" in stdout, stdout
    assert summary["mode"] == "quick"
    assert summary["answers_agree"] is True
    assert summary["mismatches"] == []
    assert summary["corpus"]["source"].startswith("Debian wordnet-base")
    for name in RATIOS:
        assert summary["ratios"][name] > 0, name
    assert summary["goals"]["descendants_same"]["ours"] == "82,114"


@pytest.mark.parametrize("missing", ["venv", "corpus"])
def test_offline_set_up_fails_clearly_when_nothing_was_prepared(
    tmp_path: Path, missing: str
) -> None:
    """--offline never installs: a missing venv or corpus is exit 2 with the fix named."""
    venv = (
        "e.ensure_venv = lambda offline: pathlib.Path(sys.executable)"  # a venv that works
        if missing == "corpus"
        else f"e.VENV = pathlib.Path({str(tmp_path / 'no-venv')!r})"
    )
    code = (
        "import sys; sys.path.insert(0, 'bench')\n"
        "import _nltk_env as e, pathlib\n"
        f"{venv}\n"
        f"e.CACHE = pathlib.Path({str(tmp_path / 'no-cache')!r})\n"
        "try:\n"
        "    e.prepare('debian', offline=True)\n"
        "except e.BenchError as exc:\n"
        "    print(exc); sys.exit(2)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "--offline" in proc.stdout and "--prepare" in proc.stdout
    assert ("lacks" in proc.stdout) == (missing == "corpus"), proc.stdout
    assert not (tmp_path / "no-venv").exists() and not (tmp_path / "no-cache").exists()
