"""NN voting: known answers on hand-made points and solid-colour images."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from synsetdb.errors import SynsetdbError
from synsetdb.evaluate.baselines import (
    nearest_neighbours,
    neighbour_votes,
    nn_voting,
    squared_distances,
)
from synsetdb.evaluate.features import ColourHistogram
from synsetdb.release import Release
from tests.evaluate.baselines.toy import ANIMAL, CAT, DOG, PLANT, ROOT, TREE


def test_squared_distances_are_the_brute_force_ones() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.random((5, 7)), rng.random((4, 7))
    brute = ((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2)
    assert np.allclose(squared_distances(a, b), brute)
    assert (squared_distances(a, a).diagonal() >= 0).all()


def test_votes_of_the_k_nearest_points_by_hand() -> None:
    # 1-D points: classes 0 at 0 and 1, class 1 at 10 and 11, class 2 at 20
    train = np.array([[0.0], [1.0], [10.0], [11.0], [20.0]])
    targets = np.array([0, 0, 1, 1, 2])
    query = np.array([[0.5], [19.0]])
    assert sorted(nearest_neighbours(train, query, 3)[0].tolist()) == [0, 1, 2]
    votes = neighbour_votes(train, targets, query, 3, 3)
    # 0.5: 0, 1 (class 0) then 10 (class 1); 19: 20 (class 2), then 11 and 10 (class 1)
    assert votes.tolist() == [[2, 1, 0], [0, 2, 1]]
    with pytest.raises(SynsetdbError) as e:
        nearest_neighbours(train, query, 6)
    assert e.value.code == "E_OPTIONS"


def test_nn_voting_on_solid_colours_matches_the_hand_count(colours_release: Release) -> None:
    result = nn_voting(colours_release, k=3)
    node = {w: i for i, w in enumerate(result.nodes)}
    assert result.nodes == (DOG, CAT, TREE, ANIMAL, PLANT, ROOT)  # by height, then wnid
    assert result.names == ("val-n00000003-0", "val-n00000004-0", "val-n00000006-0")
    # red 240: reds 255 and 230, then green 220 (240²+220² < 240²+255²)
    # green 240: greens 255 and 220, then red 230
    # blue 240: blue 255, green 220, red 230: one vote each
    votes = {DOG: [2, 1, 1], CAT: [1, 2, 1], TREE: [0, 0, 1]}
    for wnid, column in votes.items():
        assert result.node_scores[:, node[wnid]].tolist() == column
    assert result.node_scores[:, node[ANIMAL]].tolist() == [3, 3, 2]  # votes in the subtree
    assert result.node_scores[:, node[PLANT]].tolist() == [0, 0, 1]
    assert result.node_scores[:, node[ROOT]].tolist() == [3, 3, 3]
    # the blue image's three-way tie ranks the lowest class index (dog) first
    assert result.ranked[:, 0].tolist() == [0, 1, 0]
    assert result.top1_error == pytest.approx(1 / 3)
    assert result.top5_error is None  # three classes: a top-5 error would say nothing
    assert result.not_computed == {"top5_error": "only 3 classes: top-5 needs 5"}
    # every node but the root (all images inside) separates perfectly
    assert np.isnan(result.node_auc[node[ROOT]])
    assert result.auc_by_height == {0: 1.0, 1: 1.0}
    assert result.nodes_by_height() == {0: 3, 1: 2}


def test_k_above_the_largest_class_is_capped_and_said(
    colours_release: Release, caplog: pytest.LogCaptureFixture
) -> None:
    """k=100 over 5 training images would give every image the same votes: chance scores."""
    with caplog.at_level(logging.WARNING, logger="synsetdb.evaluate.baselines"):
        result = nn_voting(colours_release, k=100)
    # train: dog 2, cat 2, tree 1; at most 2 neighbours can all be of one class
    assert result.options["k"] == 2
    [capped] = result.capped
    assert (capped.option, capped.requested, capped.used) == ("k", 100, 2)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [f"nn: {capped.message}"]
    assert "k=100" in capped.message and "using k=2" in capped.message
    assert "all 5 'train' images" in capped.message and "same votes" in capped.message
    assert "k=2 or less" in capped.advice or "--k 2" in capped.advice
    assert result.to_dict()["capped"] == [
        {
            "option": "k",
            "requested": 100,
            "used": 2,
            "reason": capped.reason,
            "advice": capped.advice,
        }
    ]
    # blue's two nearest: blue 255 (tree) and green 220 (cat): a tie cat wins on its index
    assert result.ranked[:, 0].tolist() == [0, 1, 1]
    assert result.auc_by_height != {0: 0.5, 1: 0.5}  # no longer every image the same votes
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="synsetdb.evaluate.baselines"):
        assert nn_voting(colours_release, k=2).capped == ()
    assert not caplog.records


def test_a_class_with_classes_below_it_does_not_outrank_them(
    nested_colours_release: Release,
) -> None:
    """Animal is a class above dog and cat: its subtree's votes score the node, not the class."""
    result = nn_voting(nested_colours_release, k=1)
    # val, by name: animal's yellow, dog's red, cat's green, tree's blue; each's nearest
    # training image is of its own class
    assert result.targets.tolist() == [0, 1, 2, 3]
    assert result.ranked[:, 0].tolist() == [0, 1, 2, 3] and result.top1_error == 0.0
    node = {w: i for i, w in enumerate(result.nodes)}
    assert result.node_scores[:, node[ANIMAL]].tolist() == [1, 1, 1, 0]  # the subtree's votes


def test_nn_voting_takes_any_embedder(colours_release: Release) -> None:
    result = nn_voting(colours_release, k=1, embedder=ColourHistogram(bins=4))
    assert "ColourHistogram" in result.options["embedder"]
    assert result.top1_error == 0.0  # each val colour falls in its class's train bin


@pytest.mark.parametrize(
    ("kwargs", "code"), [({"k": 0}, "E_OPTIONS"), ({"split": "test"}, "E_NO_SPLIT")]
)
def test_bad_options_fail_with_a_code(colours_release: Release, kwargs: dict, code: str) -> None:
    with pytest.raises(SynsetdbError) as e:
        nn_voting(colours_release, **kwargs)
    assert e.value.code == code
