"""Hierarchical scores on a hand-made tree, and on a real release's induced WordNet hierarchy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synsetdb.errors import EvaluationError
from synsetdb.evaluate import HierarchyScorer
from synsetdb.hierarchy import Synset, Taxonomy
from tests.fixtures.releases import small_release

# root ─┬─ animal ─┬─ dog
#       │          └─ cat
#       └─ plant ── flower ── sunflower
ROOT, ANIMAL, DOG, CAT, PLANT, FLOWER, SUNFLOWER = (f"n0000000{i}" for i in range(1, 8))
TREE = {
    ROOT: (),
    ANIMAL: (ROOT,),
    DOG: (ANIMAL,),
    CAT: (ANIMAL,),
    PLANT: (ROOT,),
    FLOWER: (PLANT,),
    SUNFLOWER: (FLOWER,),
}


@pytest.fixture(scope="module")
def scorer() -> HierarchyScorer:
    taxonomy = Taxonomy.from_synsets(Synset(w, (), "", p) for w, p in TREE.items())
    return HierarchyScorer(taxonomy, [DOG, CAT, SUNFLOWER])


# image 0: a dog taken for a cat; image 1: a sunflower taken for a dog; image 2: right
RANKED = np.array([[1, 0, 2], [0, 1, 2], [1, 0, 2]])
TARGETS = np.array([0, 2, 1])


def test_lca_heights(scorer: HierarchyScorer) -> None:
    # heights: leaves 0, animal 1, flower 1, plant 2, root 3
    assert scorer.lca_height.tolist() == [[0, 1, 3], [1, 0, 3], [3, 3, 0]]


def test_mistake_severity_averages_top1_errors_only(scorer: HierarchyScorer) -> None:
    assert scorer.mistake_severity(RANKED, TARGETS) == (pytest.approx(2.0), 2)  # (1 + 3) / 2
    assert np.isnan(scorer.mistake_severity(RANKED[2:], TARGETS[2:])[0])


def test_hierarchical_distance_of_the_top_k(scorer: HierarchyScorer) -> None:
    assert scorer.hierarchical_distance(RANKED, TARGETS, 1) == pytest.approx(4 / 3)
    assert scorer.hierarchical_distance(RANKED, TARGETS, 2) == pytest.approx(8 / 6)
    # k = 3: image 0 adds sunflower (3), image 1 sunflower (0), image 2 sunflower (3)
    assert scorer.hierarchical_distance(RANKED, TARGETS, 3) == pytest.approx(14 / 9)
    with pytest.raises(EvaluationError):
        scorer.hierarchical_distance(RANKED, TARGETS, 4)


def test_distances_need_as_many_different_guesses(scorer: HierarchyScorer) -> None:
    # image 1 gave one guess, padded with it (as read_predictions pads short rows)
    padded = np.array([[1, 0, 2], [0, 0, 0], [1, 0, 2]])
    with pytest.raises(EvaluationError) as e:
        scorer.hierarchical_distance(padded, TARGETS, 2)
    assert e.value.code == "E_PREDICTIONS"
    assert set(scorer.report(padded, TARGETS, ks=(1, 2, 3)).hierarchical_distance) == {1}


def test_accuracy_per_level(scorer: HierarchyScorer) -> None:
    assert scorer.max_depth == 3
    report = scorer.report(RANKED, TARGETS, ks=(1, 5))
    # depth 1: animal / animal / plant; depth 2 and 3: the classes themselves or flower
    assert report.level_accuracy == {
        1: pytest.approx(2 / 3),
        2: pytest.approx(1 / 3),
        3: pytest.approx(1 / 3),
    }
    assert set(report.hierarchical_distance) == {1}  # only three guesses: no top-5
    assert report.errors == 2


def test_a_right_guess_is_no_distance_when_classes_nest() -> None:
    taxonomy = Taxonomy.from_synsets(Synset(w, (), "", p) for w, p in TREE.items())
    nested = HierarchyScorer(taxonomy, [ANIMAL, DOG, CAT])  # animal: a class above two others
    ranked, targets = np.array([[0, 1, 2], [1, 0, 2]]), np.array([0, 1])
    assert nested.lca_height.tolist() == [[0, 1, 1], [1, 0, 1], [1, 1, 0]]
    assert nested.hierarchical_distance(ranked, targets, 1) == 0.0
    assert nested.hierarchical_distance(ranked, targets, 2) == pytest.approx(0.5)  # (0+1+0+1)/4
    assert nested.mistake_severity(ranked[:, 1:], targets) == (pytest.approx(1.0), 2)


def test_on_a_release_hierarchy(tmp_path: Path) -> None:
    manifest = small_release(tmp_path).manifest
    scorer = HierarchyScorer(manifest.taxonomy(), manifest.wnids)
    dog, cat, sunflower = range(3)
    # dog and domestic cat meet at carnivore, whose longest way down (feline,
    # cat, domestic cat) is 3 edges; the plant meets them at organism.
    assert scorer.lca_height[dog, cat] == 3
    assert scorer.lca_height[dog, sunflower] == manifest.taxonomy().height("n00004475")
    assert scorer.lca_height[dog, sunflower] > scorer.lca_height[dog, cat]


def test_bad_input_is_refused(scorer: HierarchyScorer) -> None:
    with pytest.raises(EvaluationError) as e:
        scorer.mistake_severity(np.array([[5]]), np.array([0]))
    assert e.value.code == "E_PREDICTIONS"
    taxonomy = Taxonomy.from_synsets(Synset(w, (), "", p) for w, p in TREE.items())
    with pytest.raises(EvaluationError) as e:
        HierarchyScorer(taxonomy, [DOG, "n09999999"])
    assert e.value.code == "E_HIERARCHY"
