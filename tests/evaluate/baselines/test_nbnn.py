"""NBNN: image-to-class distances by hand, ranks, and a run on photographs."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from synsetdb.errors import SynsetdbError
from synsetdb.evaluate.baselines import NBNNOptions, class_distances, nbnn
from synsetdb.evaluate.baselines.nbnn import class_ranks
from synsetdb.evaluate.features import SiftOptions
from synsetdb.release import Release


def test_image_to_class_distance_by_hand() -> None:
    query = np.array([[0.0, 0.0], [1.0, 1.0]], np.float32)
    near, far = np.array([[0.0, 0.0]], np.float32), np.array([[3.0, 4.0]], np.float32)
    # near: 0 + (1 + 1); far: 25 + (4 + 9)
    assert class_distances([query], [near, far]).tolist() == [[2.0, 38.0]]


def test_a_class_holding_the_query_descriptors_ranks_first() -> None:
    rng = np.random.default_rng(1)
    query = rng.random((12, 128)).astype(np.float32)
    classes = [rng.random((30, 128)).astype(np.float32) for _ in range(4)]
    classes[2] = np.concatenate([classes[2], query])  # class 2 holds every query descriptor
    distances = class_distances([query], classes)
    assert distances[0, 2] == 0.0 and (distances[0, [0, 1, 3]] > 0).all()
    ranked = np.argsort(distances, axis=1)
    assert ranked[0, 0] == 2
    assert class_ranks(ranked)[0, 2] == 0


def test_empty_classes_are_far_and_featureless_images_tie() -> None:
    query = np.ones((3, 128), np.float32)
    empty = np.empty((0, 128), np.float32)
    distances = class_distances([query, empty], [empty, query])
    assert distances[0].tolist() == [np.inf, 0.0]
    assert distances[1].tolist() == [0.0, 0.0]


def test_class_ranks_invert_a_ranking() -> None:
    ranked = np.array([[2, 0, 1], [1, 2, 0]])
    assert class_ranks(ranked).tolist() == [[1, 2, 0], [2, 0, 1]]


def test_nbnn_scores_nodes_by_the_best_rank_in_their_subtree(photos_release: Release) -> None:
    result = nbnn(photos_release)
    assert result.name == "nbnn" and result.ranked.shape == (9, 3)
    node = {w: i for i, w in enumerate(result.nodes)}
    ranks = np.argsort(result.ranked, axis=1)  # each class's position
    for c, wnid in enumerate(result.classes):
        assert (result.node_scores[:, node[wnid]] == -ranks[:, c]).all()
    carnivore = "n02075296"  # dog and cat, not the sunflower
    assert (result.node_scores[:, node[carnivore]] == -ranks[:, :2].min(axis=1)).all()
    assert set(result.auc_by_height) >= {0, 1}


def test_nbnn_100_caps_the_training_images(photos_release: Release) -> None:
    result = nbnn(photos_release, options=NBNNOptions(per_class=2, sift=SiftOptions(side=96)))
    assert result.name == "nbnn-2" and result.options["per_class"] == 2
    assert result.capped == ()
    with pytest.raises(SynsetdbError) as e:
        nbnn(photos_release, options=NBNNOptions(per_class=0))
    assert e.value.code == "E_OPTIONS"


def test_a_per_class_cap_no_class_reaches_is_said(
    photos_release: Release, caplog: pytest.LogCaptureFixture
) -> None:
    """NBNN-100 on 6 training images per class is plain NBNN: the report says what ran."""
    options = NBNNOptions(per_class=100, sift=SiftOptions(side=96))
    with caplog.at_level(logging.WARNING, logger="synsetdb.evaluate.baselines"):
        result = nbnn(photos_release, options=options)
    [capped] = result.capped
    assert (capped.option, capped.requested, capped.used) == ("per_class", 100, 6)
    assert result.options["per_class"] == 6 and result.name == "nbnn-6"
    told = [r.getMessage() for r in caplog.records if "per_class" in r.getMessage()]
    assert told == [f"nbnn: {capped.message}"]
    assert "per_class=100" in capped.message and "more than 6 images in 'train'" in capped.message
