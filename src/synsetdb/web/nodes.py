"""Synsets as the explorer shows them: names, paths, and tree nodes with their counts.

The hierarchy comes from the project's taxonomy in memory; the counts from
one query over the maintained counts (``catalog.browse.synset_counts``) for
a node's children and grandchildren together, so a node with 500 children
costs one query, and each child knows whether it has children with images.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog.browse import SynsetCounts, synset_counts
from ..hierarchy import Taxonomy
from .state import WebState

__all__ = ["SynsetRef", "TreeNode", "children_of", "ref", "refs", "roots_of"]


@dataclass(frozen=True, slots=True)
class SynsetRef:
    """A synset named as people write it (``domestic dog``, not ``domestic_dog``)."""

    wnid: str
    name: str


@dataclass(frozen=True, slots=True)
class TreeNode:
    """One node of the tree: its name, its counts, how many images, whether it opens."""

    wnid: str
    name: str
    images: int  # in its subtree: live candidates, or all items of a release
    own_images: int
    counts: SynsetCounts
    has_children: bool


def ref(taxonomy: Taxonomy, wnid: str) -> SynsetRef:
    return SynsetRef(wnid, taxonomy.get(wnid).name)


def refs(taxonomy: Taxonomy, wnids: tuple[str, ...] | list[str]) -> list[SynsetRef]:
    return [ref(taxonomy, w) for w in wnids]


def children_of(
    state: WebState, wnid: str, *, release: str | None = None, empty: bool = False
) -> list[TreeNode]:
    """The children of ``wnid`` with images (every child with ``empty``), largest first."""
    return _nodes(state, state.taxonomy.children(wnid), release, empty)


def roots_of(state: WebState, *, release: str | None = None, empty: bool = False) -> list[TreeNode]:
    """The taxonomy's roots (WordNet has one: entity) with images, or all with ``empty``."""
    return _nodes(state, state.taxonomy.roots, release, empty)


def _nodes(
    state: WebState, wnids: tuple[str, ...], release: str | None, empty: bool
) -> list[TreeNode]:
    taxonomy = state.taxonomy
    below = {w: taxonomy.children(w) for w in wnids}
    wanted = set(wnids).union(*below.values())
    counts = synset_counts(state.catalog, wanted, release=release)
    nodes = [
        TreeNode(
            wnid=w,
            name=taxonomy.get(w).name,
            images=counts[w].images,
            own_images=counts[w].own_images,
            counts=counts[w],
            has_children=any(empty or counts[k].images for k in below[w]),
        )
        for w in wnids
        if empty or counts[w].images
    ]
    return sorted(nodes, key=lambda n: (-n.images, n.name.lower(), n.wnid))
