"""bench/release.py --quick runs end to end, so the benchmark cannot rot.

Not a performance test: --quick enforces only its checks (every row read and
released, 10 val items per class, near duplicates grouped and never across
splits, the same sha256 from every build and every release made).
"""

from __future__ import annotations

import pytest

from tests.bench._quick import run_quick


@pytest.mark.slow
def test_quick_run_builds_and_creates_a_release() -> None:
    stdout, summary = run_quick("release.py", timeout=600)
    assert summary["bench"] == "release" and summary["mode"] == "quick"
    assert summary["checks_ok"] is True, summary["checks"]
    assert summary["rows"] == 2_000 and summary["limit"]["rows"] == 2_000
    assert summary["build"]["seconds"] > 0 and summary["build_ratio"] > 0
    assert summary["create"]["sha256"] == summary["build"]["sha256"]
    assert summary["split_report"]["duplicate_groups"] > 0
    assert "(B) build_manifest" in stdout
