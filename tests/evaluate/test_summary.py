"""Scoring a prediction file against a release split, and the scores as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synsetdb.errors import SynsetdbError
from synsetdb.evaluate import evaluate_file
from tests.fixtures.releases import small_release


def test_a_file_is_scored_against_the_split_in_name_order(tmp_path: Path) -> None:
    manifest = small_release(tmp_path / "blobs").manifest
    val = sorted(manifest.items_in("val"), key=lambda item: item.name)
    wnids = manifest.wnids
    rows = ["name,g1,g2,g3"]  # every image right, but the first taken for the next class
    for i, item in enumerate(val):
        first = wnids[(wnids.index(item.wnid) + 1) % 3] if i == 0 else item.wnid
        rows.append(",".join([item.name, first, *(w for w in wnids if w != first)]))
    path = tmp_path / "p.csv"
    path.write_text("\n".join([rows[0], *reversed(rows[1:])]) + "\n")  # any order will do
    scores = evaluate_file(path, manifest, "val")
    assert scores.classification.images == len(val) == 9
    assert scores.classification.top1_error == pytest.approx(1 / 9)
    assert scores.hierarchy.errors == 1 and set(scores.hierarchy.hierarchical_distance) == {1}
    data = json.loads(json.dumps(scores.to_dict(), allow_nan=False))
    assert data["top1_errors"] == 1
    assert data["per_class_accuracy"][val[0].wnid] == pytest.approx(2 / 3)
    with pytest.raises(SynsetdbError) as e:
        evaluate_file(path, manifest, "test")
    assert e.value.code == "E_NO_SPLIT"


def test_a_run_without_errors_has_no_mistake_severity(tmp_path: Path) -> None:
    manifest = small_release(tmp_path / "blobs").manifest
    path = tmp_path / "p.csv"
    path.write_text("name,g\n" + "".join(f"{i.name},{i.wnid}\n" for i in manifest.items_in("val")))
    data = evaluate_file(path, manifest).to_dict()
    assert data["top1_error"] == 0.0 and data["mistake_severity"] is None
