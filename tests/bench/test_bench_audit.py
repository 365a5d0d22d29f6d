"""bench/audit.py --quick runs end to end, so the benchmark cannot rot.

Not a performance test: --quick enforces only its checks (half the planted
label errors found, precision well above a random pick's, and, when the
cleanlab virtualenv exists, cleanlab's flags reproduced from cleanlab's own
counts). --quick never installs: without ``bench/.venv-cleanlab`` (made by
``python bench/audit.py --prepare``) it says so and skips the comparison.
"""

from __future__ import annotations

import pytest

from synsetdb.audit import registry as audit_registry
from tests.bench._quick import run_quick


@pytest.mark.slow
def test_quick_run_finds_planted_label_errors() -> None:
    stdout, summary = run_quick("audit.py", timeout=600)
    assert summary["bench"] == "audit" and summary["mode"] == "quick"
    assert summary["checks_ok"] is True, summary["labels"]["checks"]
    labels = summary["labels"]
    assert labels["simulation"]["images"] == 2_000 and labels["simulation"]["classes"] == 50
    assert labels["simulation"]["planted_errors"] == 117
    assert set(labels["synsetdb_filters"]) == {
        "prune_by_noise_rate",
        "prune_by_class",
        "both",
        "confident_learning",
        "predicted_neq_given",
    }
    if labels["cleanlab"] is None:
        assert "cleanlab comparison skipped" in stdout
    else:
        assert labels["agreement"]["jaccard_with_their_counts"] == 1.0
        assert set(summary["goals"]) == {
            "labels_recall",
            "labels_precision",
            "labels_same_flags",
            "labels_speed",
        }
    registry = summary["registry"]
    codes = set(audit_registry())
    assert [(r["images"], r["scope"]) for r in registry["runs"]] == [
        (2_000, "catalog"),
        (2_000, "bench-v1"),
        (20_000, "catalog"),
        (20_000, "bench-v1"),
    ]
    for run in registry["runs"]:
        assert set(run["ran"]) | set(run["skipped"]) == codes
        assert "LEK003" in run["ran"] if run["scope"] == "bench-v1" else "LEK003" in run["skipped"]
