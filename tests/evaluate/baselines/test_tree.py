"""NodeTable: the induced hierarchy's nodes, heights and subtree memberships."""

from __future__ import annotations

import numpy as np
import pytest

from synsetdb.errors import SynsetdbError
from synsetdb.evaluate.baselines import NodeTable
from synsetdb.release import Release
from tests.evaluate.baselines.toy import ANIMAL, CAT, DOG, PLANT, ROOT, TREE


@pytest.fixture
def table(colours_release: Release) -> NodeTable:
    manifest = colours_release.manifest
    return NodeTable.from_taxonomy(manifest.taxonomy(), manifest.wnids)


def test_nodes_come_by_height_with_their_subtrees(table: NodeTable) -> None:
    assert table.nodes == (DOG, CAT, TREE, ANIMAL, PLANT, ROOT)
    assert table.heights.tolist() == [0, 0, 0, 1, 1, 2]
    assert table.class_nodes.tolist() == [0, 1, 2]
    assert table.classes_under.astype(int).tolist() == [
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
        [1, 1, 0],
        [0, 0, 1],
        [1, 1, 1],
    ]
    assert table.nodes_under[table.index(ANIMAL)].tolist() == [1, 1, 0, 1, 0, 0]
    assert [table.nodes[p] for p in table.parents[table.index(DOG)]] == [ANIMAL]
    assert table.labels(np.array([1, 2])).astype(int).tolist() == [
        [0, 1, 0, 1, 0, 1],
        [0, 0, 1, 0, 1, 1],
    ]


def test_scores_reduce_over_subtrees(table: NodeTable) -> None:
    per_class = np.array([[1.0, 2.0, 4.0]])
    assert table.sum_over_classes(per_class)[0].tolist() == [1, 2, 4, 3, 4, 7]
    assert table.min_over_classes(per_class)[0].tolist() == [1, 2, 4, 1, 4, 1]
    per_node = np.array([[0.1, 0.7, 0.2, 0.3, 0.05, 0.0]])
    assert table.max_over_nodes(per_node)[0].tolist() == [0.1, 0.7, 0.2, 0.7, 0.2, 0.7]


def test_unknown_names_fail_with_a_code(table: NodeTable, colours_release: Release) -> None:
    with pytest.raises(SynsetdbError) as e:
        table.index("n09999999")
    assert e.value.code == "E_NOT_IN_RELEASE"
    with pytest.raises(SynsetdbError) as e:
        NodeTable.from_taxonomy(colours_release.manifest.taxonomy(), ["n09999999"])
    assert e.value.code == "E_HIERARCHY"
