"""The induced hierarchy as arrays: which classes and nodes lie under each node.

Every baseline scores every node of a release's induced hierarchy (the
classes and all their WordNet ancestors). ``NodeTable`` orders the nodes by
height, then wnid (height 0: the leaves, normally the classes) and holds the
subtree memberships as boolean matrices, so a node's score over its subtree
is one array reduction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ...errors import EvaluationError
from ...hierarchy import Taxonomy

__all__ = ["BoolArray", "IntArray", "NodeTable"]

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class NodeTable:
    """Nodes of a hierarchy and, for each, the classes and nodes in its subtree.

    Attributes:
        classes: class wnids in label-index order.
        nodes: every node, by height then wnid.
        heights: each node's height (longest path down to a leaf).
        parents: each node's parents, as node indices.
        class_nodes: each class's node index.
        classes_under: ``[node, class]``: the class is the node or below it.
        nodes_under: ``[node, other]``: the other node is the node or below it.
    """

    classes: tuple[str, ...]
    nodes: tuple[str, ...]
    heights: IntArray
    parents: tuple[tuple[int, ...], ...]
    class_nodes: IntArray
    classes_under: BoolArray
    nodes_under: BoolArray

    @classmethod
    def from_taxonomy(cls, taxonomy: Taxonomy, classes: Sequence[str]) -> NodeTable:
        """The classes and all their ancestors in ``taxonomy``.

        Raises:
            EvaluationError: ``E_HIERARCHY`` when a class is not in the taxonomy.
        """
        missing = [w for w in classes if w not in taxonomy]
        if missing:
            raise EvaluationError(
                f"{len(missing)} class(es) not in the hierarchy, e.g. {missing[0]}",
                code="E_HIERARCHY",
            )
        above = {w: taxonomy.ancestors(w, include_self=True) for w in classes}
        kept = {a for ancestors in above.values() for a in ancestors}
        nodes = sorted(kept, key=lambda w: (taxonomy.height(w), w))
        index = {w: i for i, w in enumerate(nodes)}
        nodes_under = np.zeros((len(nodes), len(nodes)), dtype=np.bool_)
        for w in nodes:
            nodes_under[[index[a] for a in taxonomy.ancestors(w, include_self=True)], index[w]] = 1
        class_nodes = np.array([index[w] for w in classes], dtype=np.int64)
        return cls(
            classes=tuple(classes),
            nodes=tuple(nodes),
            heights=np.array([taxonomy.height(w) for w in nodes], dtype=np.int64),
            parents=tuple(tuple(index[p] for p in taxonomy.parents(w)) for w in nodes),
            class_nodes=class_nodes,
            classes_under=nodes_under[:, class_nodes],
            nodes_under=nodes_under,
        )

    def index(self, wnid: str) -> int:
        """The node index of ``wnid``.

        Raises:
            EvaluationError: ``E_NOT_IN_RELEASE`` when it is not a node.
        """
        try:
            return self.nodes.index(wnid)
        except ValueError:
            raise EvaluationError(
                f"{wnid!r} is neither a class nor an ancestor of a class here",
                code="E_NOT_IN_RELEASE",
            ) from None

    def labels(self, targets: IntArray) -> BoolArray:
        """``[image, node]``: the image's class lies in the node's subtree."""
        labels: BoolArray = self.classes_under[:, targets].T
        return labels

    def sum_over_classes(self, class_scores: NDArray[np.floating]) -> NDArray[np.float64]:
        """Per node, the sum of its subtree's class scores (``(images, nodes)``)."""
        summed: NDArray[np.float64] = np.asarray(class_scores, np.float64) @ self.classes_under.T
        return summed

    def min_over_classes(self, class_scores: NDArray[np.floating]) -> NDArray[np.float64]:
        """Per node, the least of its subtree's class scores."""
        return _reduce(class_scores, self.classes_under, np.minimum)

    def max_over_nodes(self, node_scores: NDArray[np.floating]) -> NDArray[np.float64]:
        """Per node, the greatest of its subtree's node scores."""
        return _reduce(node_scores, self.nodes_under, np.maximum)


def _reduce(scores: NDArray[np.floating], under: BoolArray, how: np.ufunc) -> NDArray[np.float64]:
    out = np.empty((scores.shape[0], under.shape[0]), dtype=np.float64)
    for node, members in enumerate(under):
        out[:, node] = how.reduce(scores[:, members], axis=1)
    return out
