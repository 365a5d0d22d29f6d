"""Running a benchmark script's ``--quick`` mode from a test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_quick(script: str, *args: str, timeout: float = 600) -> tuple[str, dict[str, Any]]:
    """Run ``bench/<script> --quick [args]``; return its stdout and its JSON summary (last line).

    Fails the test, with the whole output, when the script exits non-zero.
    """
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--quick", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 0, output
    return proc.stdout, json.loads(proc.stdout.strip().splitlines()[-1])
