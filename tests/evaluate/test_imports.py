"""Importing evaluation, the baselines and the demo needs none of the optional packages."""

from __future__ import annotations

import subprocess
import sys

HEAVY = {"sklearn", "skimage", "torch", "cv2", "threadpoolctl", "matplotlib.pyplot"}


def modules_after(code: str) -> set[str]:
    """Every module a fresh interpreter has imported after running ``code``."""
    script = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_evaluation_baselines_and_the_demo_import_nothing_heavy() -> None:
    loaded = modules_after(
        "import synsetdb.evaluate, synsetdb.evaluate.baselines, synsetdb.evaluate.features\n"
        "import synsetdb.evaluate.plots, synsetdb.evaluate.predictions, synsetdb.demo\n"
        "import synsetdb.cli.eval_cmds, synsetdb.cli.baseline_cmds, synsetdb.cli.demo_cmds"
    )
    assert "synsetdb.evaluate.baselines.treemax" in loaded  # the check saw the modules
    assert {m for m in loaded if m in HEAVY or m.split(".")[0] in HEAVY} == set()
