"""Scoring a prediction file against a release split, and the scores as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from synsetdb.errors import SynsetdbError
from synsetdb.evaluate import evaluate_file, evaluate_ranked, per_class_csv
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


def test_per_class_rows_are_worst_first_and_a_class_without_images_last(tmp_path: Path) -> None:
    manifest = small_release(tmp_path / "blobs").manifest
    wnids = manifest.wnids
    # five images of classes 0 and 1 only; class 0 right twice of three, class 1 never
    ranked = np.array([[0, 1, 2], [0, 2, 1], [1, 0, 2], [0, 2, 1], [2, 0, 1]])
    targets = np.array([0, 0, 0, 1, 1])
    scores = evaluate_ranked(ranked, targets, manifest.taxonomy(), wnids)
    rows = scores.per_class()
    assert [r.wnid for r in rows] == [wnids[1], wnids[0], wnids[2]]
    assert [r.images for r in rows] == [2, 3, 0]
    assert rows[0].top1_error == 1.0 and rows[1].top1_error == pytest.approx(1 / 3)
    assert rows[2].top1_error is None and rows[2].top5_error is None
    assert rows[0].name == manifest.taxonomy().get(wnids[1]).name
    assert scores.not_computed["top5_error"] == "only 3 classes: top-5 needs 5"
    lines = per_class_csv(scores).splitlines()
    assert lines[0] == "wnid,name,images,top1_error,top5_error"
    assert lines[3] == f"{wnids[2]},{rows[2].name},0,,"
