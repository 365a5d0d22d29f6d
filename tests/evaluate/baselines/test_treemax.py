"""Tree-max: the negative sample, the max over subtrees, any estimator, the missing extra."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn.svm import LinearSVC

from synsetdb.errors import SynsetdbError
from synsetdb.evaluate.baselines import (
    NodeTable,
    TreeMaxOptions,
    negative_classes,
    training_sample,
    tree_max,
)
from synsetdb.evaluate.features import ColourHistogram
from synsetdb.hierarchy import Synset, Taxonomy
from synsetdb.release import Release
from tests.evaluate.baselines.toy import ANIMAL, CAT, DOG, PLANT, ROOT, TREE

# root ─ animal* ─ dog* ─ puppy*      (* a class: the parent of dog is a class too)
#      │        └ cat*
#      └ plant ─ tree*
PARENTS = {
    "n1": (),
    "n2": ("n1",),
    "n3": ("n2",),
    "n4": ("n3",),
    "n5": ("n2",),
    "n6": ("n1",),
    "n7": ("n6",),
}
CLASSES = ["n2", "n3", "n4", "n5", "n7"]  # animal, dog, puppy, cat, tree


@pytest.fixture
def table() -> NodeTable:
    taxonomy = Taxonomy.from_synsets(Synset(w, (w,), "", p) for w, p in PARENTS.items())
    return NodeTable.from_taxonomy(taxonomy, CLASSES)


def test_negatives_leave_out_the_children_and_the_parent(table: NodeTable) -> None:
    dog = table.index("n3")
    assert negative_classes(table, dog).tolist() == [3, 4]  # cat, tree; not animal, puppy
    targets = np.array([0, 1, 2, 3, 4] * 3)
    positives, negatives = training_sample(table, dog, targets, TreeMaxOptions(max_negatives=None))
    assert set(targets[positives]) == {1} and len(positives) == 3  # dog's own images only
    assert set(targets[negatives]) == {3, 4} and len(negatives) == 6
    # the root is no class: no images of its own; its subtree holds every class: no negatives
    root = training_sample(table, table.index("n1"), targets, TreeMaxOptions())
    assert len(root[0]) == len(root[1]) == 0
    plant = training_sample(table, table.index("n6"), targets, TreeMaxOptions())
    assert len(plant[0]) == 0 and set(targets[plant[1]]) == {0, 1, 2, 3}  # no class: no fit


def test_the_negative_draw_is_capped_and_repeatable(table: NodeTable) -> None:
    targets = np.array([0, 1, 2, 3, 4] * 20)
    cat = table.index("n5")
    options = TreeMaxOptions(max_negatives=7, seed=3)
    _, first = training_sample(table, cat, targets, options)
    _, again = training_sample(table, cat, targets, options)
    assert len(first) == 7 and first.tolist() == again.tolist()
    assert set(targets[first]) <= {1, 2, 4}  # cat's parent (animal) is never drawn
    _, other = training_sample(table, cat, targets, TreeMaxOptions(max_negatives=7, seed=4))
    assert other.tolist() != first.tolist()


def test_tree_max_separates_colours_and_takes_the_max_over_subtrees(
    colours_release: Release,
) -> None:
    result = tree_max(colours_release)
    assert result.name == "treemax" and result.top1_error == 0.0
    node = {w: i for i, w in enumerate(result.nodes)}
    scores = result.node_scores
    # animal, plant and the root have no images of their own: the max of their classes'
    classes = [scores[:, node[w]] for w in (DOG, CAT, TREE)]
    assert (scores[:, node[ANIMAL]] == np.maximum(classes[0], classes[1])).all()
    assert (scores[:, node[PLANT]] == classes[2]).all()
    assert (scores[:, node[ROOT]] == np.max(classes, axis=0)).all()
    assert result.auc_by_height[0] == 1.0 and result.auc_by_height[1] == 1.0
    assert result.options["classifiers"] == 3  # one per class
    # max_negatives=1000, but the most any class may have is tree's 4 (dog 2 and cat 2)
    assert result.options["max_negatives"] == 1000 and result.options["negatives_used"] == 4


def test_a_class_above_others_is_ranked_by_its_own_classifier(
    nested_colours_release: Release,
) -> None:
    """Animal is a class above dog and cat: its node's max over them would always win."""
    result = tree_max(nested_colours_release, embedder=ColourHistogram(bins=4))
    assert result.ranked[:, 0].tolist() == result.targets.tolist() == [0, 1, 2, 3]
    node = {w: i for i, w in enumerate(result.nodes)}
    scores = result.node_scores
    assert (scores[:, node[ANIMAL]] >= scores[:, node[DOG]]).all()  # the node is still the max
    assert result.options["classifiers"] == 4


def test_any_estimator_with_a_decision_function(colours_release: Release) -> None:
    result = tree_max(colours_release, embedder=ColourHistogram(bins=4), estimator=LinearSVC())
    assert "LinearSVC" in result.options["estimator"] and result.top1_error == 0.0


def test_without_scikit_learn_the_error_names_the_extra(
    colours_release: Release, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sklearn.linear_model", None)
    with pytest.raises(SynsetdbError) as e:
        tree_max(colours_release)
    assert e.value.code == "E_MISSING_EXTRA" and "synsetdb[eval]" in str(e.value)
    for bad in ({"max_negatives": 0}, {"seed": -1}, {"blas_threads": 0}):
        with pytest.raises(SynsetdbError) as e:
            TreeMaxOptions(**bad)
        assert e.value.code == "E_OPTIONS", bad
