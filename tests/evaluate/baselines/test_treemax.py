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
    assert set(targets[positives]) == {1, 2}  # dog and its child puppy
    assert set(targets[negatives]) == {3, 4} and len(negatives) == 6
    assert not set(positives) & set(negatives)
    # the root's parent-less subtree holds every class: no negatives at all
    assert len(training_sample(table, table.index("n1"), targets, TreeMaxOptions())[1]) == 0


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
    assert (scores[:, node[ANIMAL]] >= np.maximum(scores[:, node[DOG]], scores[:, node[CAT]])).all()
    assert (scores[:, node[ROOT]] == np.inf).all()  # every training image is under the root
    assert result.auc_by_height[0] == 1.0 and result.auc_by_height[1] == 1.0
    # dog, cat, tree, animal; plant's sample is its only child tree's; the root has none
    assert result.options["classifiers"] == 4
    assert (scores[:, node[PLANT]] == scores[:, node[TREE]]).all()


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
    with pytest.raises(SynsetdbError) as e:
        TreeMaxOptions(max_negatives=0)
    assert e.value.code == "E_OPTIONS"
