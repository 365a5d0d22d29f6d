"""Loading the bundled WordNet 3.0 noun hierarchy (built by tools/build_wordnet.py)."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from ._graph import PackedAdjacency
from .usage import LazyUsage

if TYPE_CHECKING:
    from .taxonomy import Taxonomy

DATA_FILE = "wordnet30_nouns.npz"


def _text(blob: np.ndarray) -> list[str]:
    return blob.tobytes().decode("utf-8").split("\n")


def load_wordnet(cls: type[Taxonomy]) -> Taxonomy:
    """Read the compact arrays and hand them to the Taxonomy constructor."""
    with resources.files(__package__).joinpath("data", DATA_FILE).open("rb") as f, np.load(f) as z:
        wnids = _text(z["wnids"])
        indptr = z["parent_indptr"].tolist()
        index = z["parent_index"].tolist()
        is_instance = z["parent_is_instance"]
        lexnames = _text(z["lexnames"])
        lexfile = z["lexfile"].tolist()
        lemmas, glosses, senses = _text(z["lemmas"]), _text(z["glosses"]), _text(z["senses"])
        usage = (z["usage_synset"], z["usage_domain"], z["usage_lemma"])
    parents = PackedAdjacency(indptr, index)
    children_of_instance = np.searchsorted(indptr, np.flatnonzero(is_instance), side="right") - 1
    instance_edges = frozenset(
        zip(children_of_instance.tolist(), np.asarray(index)[is_instance].tolist(), strict=True)
    )
    return cls(
        wnids,
        parents,
        instance_edges,
        lemmas,
        glosses,
        [lexnames[i] or None for i in lexfile],
        name="wordnet-3.0",
        senses=senses,
        usage=LazyUsage(usage, wnids, lemmas),
    )
