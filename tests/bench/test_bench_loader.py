"""bench/loader.py --quick runs end to end, so the benchmark cannot rot.

Not a performance test: --quick enforces only that every side did exactly the
work asked (300 samples, each once, with its class's label, as 3x224x224
uint8 tensors); the speed goals are reported, not enforced. The first run
generates the images (shared with bench/ingest.py) and exports the shards
under bench/.cache/.
"""

from __future__ import annotations

import pytest

from tests.bench._quick import run_quick

SIDES = ("limit", "shards", "folder", "shards_pil")
RATIOS = ("shards_vs_folder", "shards_vs_limit", "pil_vs_folder", "cpu_folder_vs_shards")


@pytest.mark.slow
def test_quick_run_checks_every_side_and_prints_ratios() -> None:
    stdout, summary = run_quick("loader.py", timeout=900)
    assert "(a) shards vs (b) ImageFolder peer" in stdout, stdout
    assert "(a) shards vs (c) decode limit" in stdout, stdout
    assert summary["bench"] == "loader" and summary["mode"] == "quick"
    assert summary["correct"] is True, summary["checks"]
    assert set(summary["checks"]) == set(SIDES)
    assert all(summary["checks"][side] == [] for side in SIDES), summary["checks"]
    for name in RATIOS:
        assert summary["ratios"][name] > 0, name
    assert set(summary["goals"]) >= {"shards_vs_folder", "shards_vs_limit"}
    for side in SIDES:
        run = summary["runs"][side][0]
        assert run["items"] == run["expected_len"] == summary["sizes"]["images"] == 300
