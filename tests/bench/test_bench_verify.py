"""bench/verify.py --quick runs end to end, so the benchmark cannot rot.

Not a performance test: --quick enforces only that every strategy accepted
something and that synsetdb's Dawid–Skene agrees with crowd-kit's on >= 99% of
tasks. tools/test.sh makes the crowd-kit virtualenv (``--prepare``) before
pytest; --quick never installs, so a missing set-up fails here with exit 2.
"""

from __future__ import annotations

import pytest

from tests.bench._quick import run_quick


@pytest.mark.slow
def test_quick_run_compares_strategies_and_crowd_kit() -> None:
    _, summary = run_quick("verify.py", timeout=600)
    assert summary["mode"] == "quick" and summary["checks_ok"] is True
    strategies = [o["strategy"] for o in summary["labelling"]["outcomes"]]
    assert strategies == [
        "fixed 10-vote majority",
        "fixed 10 votes, confidence table",
        "Dawid-Skene, fixed 5 votes",
        "dynamic consensus",
        "oracle bound",
    ]
    assert summary["dawid_skene"]["votes"] == 20_000
    assert summary["goals"]["ds_speed"]["value"] > 0
    load = summary["load"][0]
    assert load["backend"] == "sqlite" and load["batches"] > 0
    assert load["lost_votes"] == 0 and load["server_errors"] == 0
