"""The three baselines on real photographs (small_release) report every height."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from synsetdb.evaluate.baselines import BaselineResult, nbnn, nn_voting, tree_max
from synsetdb.evaluate.features import Hog
from synsetdb.evaluate.metrics import topk_error
from synsetdb.release import Release


@pytest.mark.parametrize(
    "run",
    [
        lambda r: nn_voting(r, k=5),
        lambda r: nbnn(r),
        lambda r: tree_max(r, embedder=Hog()),
    ],
    ids=["nn", "nbnn", "treemax"],
)
def test_baselines_report_errors_and_auc_per_height(
    photos_release: Release, run: Callable[[Release], BaselineResult]
) -> None:
    result = run(photos_release)
    taxonomy = photos_release.manifest.taxonomy()
    assert len(result.names) == 9 and result.ranked.shape == (9, 3)
    assert sorted(result.ranked[0].tolist()) == [0, 1, 2]
    assert result.top1_error == topk_error(result.ranked, result.targets, 1)
    assert result.top5_error is None  # three classes: top-5 would be right every time
    assert result.node_scores.shape == (9, len(taxonomy))
    expected_heights = {taxonomy.height(w) for w in taxonomy.wnids} - {max(result.heights)}
    assert set(result.auc_by_height) >= {0} and set(result.auc_by_height) <= expected_heights
    for height, mean in result.auc_by_height.items():
        scored = (result.heights == height) & ~np.isnan(result.node_auc)
        assert mean == pytest.approx(result.node_auc[scored].mean())
        assert 0.0 <= mean <= 1.0
