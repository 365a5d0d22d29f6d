"""AUC (against scikit-learn), per-height averages, results as JSON, predictions and the plot."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sklearn.metrics import roc_auc_score

from synsetdb.errors import SynsetdbError
from synsetdb.evaluate.baselines import (
    auc_by_height,
    nn_voting,
    node_aucs,
    plot_auc_by_height,
    roc_auc,
    write_predictions,
)
from synsetdb.evaluate.predictions import read_predictions
from synsetdb.release import Release


@pytest.mark.parametrize("seed", range(6))
def test_roc_auc_equals_scikit_learn_with_and_without_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 300))
    labels = rng.random(n) < rng.uniform(0.1, 0.9)
    labels[:2] = [True, False]  # both sides present
    continuous = rng.normal(size=n) + labels
    tied = rng.integers(0, 4, size=n).astype(float)  # many ties
    for scores in (continuous, tied, np.zeros(n)):
        assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores))


def test_roc_auc_by_hand() -> None:
    # positives 0.9 and 0.5, negatives 0.1 and 0.5: 1 + 1 + 1 + 0.5 of 4 pairs
    assert roc_auc([1, 0, 1, 0], [0.9, 0.1, 0.5, 0.5]) == 0.875
    assert roc_auc([0, 1], [np.inf, -np.inf]) == 0.0


@pytest.mark.parametrize(
    ("labels", "scores"),
    [([1, 1], [0.1, 0.2]), ([0, 0], [0.1, 0.2]), ([1, 0], [0.1, np.nan]), ([1, 0], [0.1])],
)
def test_roc_auc_rejects_what_has_no_auc(labels: list[int], scores: list[float]) -> None:
    with pytest.raises(SynsetdbError) as e:
        roc_auc(labels, scores)
    assert e.value.code == "E_PREDICTIONS"


def test_node_aucs_skip_one_sided_nodes_and_heights_average_the_rest() -> None:
    labels = np.array([[1, 1, 1, 0], [0, 1, 1, 0], [0, 0, 1, 0]], dtype=bool)
    scores = np.array([[0.9, 0.2, 0.5, 0.3], [0.1, 0.8, 0.5, 0.3], [0.3, 0.1, 0.5, 0.3]])
    aucs = node_aucs(scores, labels)
    assert aucs[0] == 1.0 and aucs[1] == 1.0
    assert np.isnan(aucs[2]) and np.isnan(aucs[3])  # all positive, all negative
    assert auc_by_height([1.0, 0.5, 0.75, np.nan, 0.25], [0, 0, 1, 1, 3]) == {
        0: 0.75,
        1: 0.75,
        3: 0.25,
    }
    assert auc_by_height([np.nan], [0]) == {}


def test_result_to_json_and_predictions_that_eval_reads(
    colours_release: Release, tmp_path: Path
) -> None:
    result = nn_voting(colours_release, k=3)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["baseline"] == "nn" and data["images"] == 3 and data["classes"] == 3
    assert data["auc_by_height"] == {"0": 1.0, "1": 1.0}
    assert "n00000001" not in data["node_auc"]  # the root: every image is inside
    path = write_predictions(result, tmp_path / "p.csv", top=2)
    lines = path.read_text().splitlines()
    assert lines[0] == "name,guess1,guess2" and lines[1] == "val-n00000003-0,n00000003,n00000004"
    manifest = colours_release.manifest
    ranked = read_predictions(path, list(result.names), manifest.class_to_idx)
    assert (ranked == result.ranked[:, :2]).all()
    with pytest.raises(SynsetdbError) as e:
        write_predictions(result, tmp_path / "q.csv", top=0)
    assert e.value.code == "E_OPTIONS"


def test_plot_auc_by_height_writes_a_png(colours_release: Release, tmp_path: Path) -> None:
    results = [nn_voting(colours_release, k=k) for k in (1, 3)]
    out = plot_auc_by_height(results, tmp_path / "auc.png")
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size[0] > 100


def test_files_that_cannot_be_written_are_e_write(colours_release: Release, tmp_path: Path) -> None:
    result = nn_voting(colours_release, k=1)
    for write in (
        lambda: write_predictions(result, tmp_path / "absent" / "p.csv"),
        lambda: plot_auc_by_height([result], tmp_path / "absent" / "auc.png"),
    ):
        with pytest.raises(SynsetdbError) as e:
            write()
        assert e.value.code == "E_WRITE"
