"""bench/near_duplicates.py --quick runs end to end, so the benchmark cannot rot.

Not a performance test: --quick enforces only its checks (variant hashes group
more copies than pHashes alone, at least 80% of them; no distinct photos and no
copies of different photos grouped).
"""

from __future__ import annotations

import pytest

from tests.bench._quick import run_quick


@pytest.mark.slow
def test_quick_run_measures_recall_false_grouping_and_speed() -> None:
    stdout, summary = run_quick("near_duplicates.py", timeout=600)
    assert summary["bench"] == "near_duplicates" and summary["mode"] == "quick"
    assert summary["checks_ok"] is True, summary["checks"]
    total = summary["recall"]["total"]
    assert total["copies"] == 42 and total["new"] > total["old"]
    assert summary["false_photos"]["pairs"] > 0 and summary["false_emoji"]["pictures"] > 100
    assert summary["speed"]["hashes"] == 10_000 and summary["speed"]["new_s"] > 0
    assert "new (variants)" in stdout
