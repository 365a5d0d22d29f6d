"""ILSVRC-2012 metadata files written from a release: devkit ``meta.mat``, ground truth, CSVs.

``meta.mat`` follows the official devkit: a struct array ``synsets`` with the
fields ``ILSVRC2012_ID``, ``WNID``, ``words``, ``gloss``, ``num_children``,
``children``, ``wordnet_height`` and ``num_train_images``. The release's
classes come first, ``ILSVRC2012_ID`` = class index + 1, each a leaf (no
children, height 0, its train count), as the official 1,000 are; then every
other synset of the release's hierarchy, sorted by wnid, with the ids of its
children in that hierarchy and its height above the classes. Code that maps
ids to wnids through ``meta.mat`` (as the official files require) works
unchanged.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..release import Manifest, ReleaseItem

if TYPE_CHECKING:
    from ..hierarchy import Taxonomy

__all__ = [
    "SynsetText",
    "describe",
    "ground_truth_bytes",
    "meta_mat_bytes",
    "solution_bytes",
    "synset_mapping_bytes",
]

_MAT_HEADER = b"MATLAB 5.0 MAT-file, written by synsetdb".ljust(116)
_FIELDS = (
    "ILSVRC2012_ID",
    "WNID",
    "words",
    "gloss",
    "num_children",
    "children",
    "wordnet_height",
    "num_train_images",
)


@dataclass(frozen=True, slots=True)
class SynsetText:
    """A synset's words (lemmas, comma-separated) and gloss."""

    words: str
    gloss: str


def describe(manifest: Manifest, taxonomy: Taxonomy | None) -> dict[str, SynsetText]:
    """Words and gloss of every synset in the release's hierarchy.

    From ``taxonomy`` where it knows the synset; otherwise the class name (or
    the wnid) and an empty gloss.
    """
    names = {c.wnid: c.name for c in manifest.classes}
    texts = {}
    for wnid in manifest.hierarchy:
        if taxonomy is not None and wnid in taxonomy:
            synset = taxonomy.get(wnid)
            texts[wnid] = SynsetText(synset.words, synset.gloss)
        else:
            texts[wnid] = SynsetText(names.get(wnid, wnid), "")
    return texts


def synset_mapping_bytes(manifest: Manifest, texts: Mapping[str, SynsetText]) -> bytes:
    """``LOC_synset_mapping.txt``: ``<wnid> <words>`` per class, in class-index order."""
    return "".join(f"{c.wnid} {_line(texts[c.wnid].words)}\n" for c in manifest.classes).encode()


def solution_bytes(rows: Sequence[tuple[str, str, Sequence[Sequence[float]]]]) -> bytes:
    """``LOC_val_solution.csv`` from ``(ImageId, wnid, boxes)`` rows (Kaggle's columns)."""
    lines = ["ImageId,PredictionString\n"]
    for image_id, wnid, boxes in sorted(rows):
        prediction = " ".join(f"{wnid} " + " ".join(_number(v) for v in box) for box in boxes)
        lines.append(f"{image_id},{prediction}\n")
    return "".join(lines).encode()


def ground_truth_bytes(manifest: Manifest, val: Sequence[ReleaseItem]) -> bytes:
    """One 1-based ILSVRC2012_ID per line, for the val items sorted by name."""
    index = manifest.class_to_idx
    ordered = sorted(val, key=lambda item: item.name)
    return "".join(f"{index[item.wnid] + 1}\n" for item in ordered).encode()


def meta_mat_bytes(
    manifest: Manifest, texts: Mapping[str, SynsetText], items: Sequence[ReleaseItem]
) -> bytes:
    """``meta.mat`` (see the module docstring); ``items`` give the train counts."""
    import scipy.io  # slow to import; only an ILSVRC export needs it

    classes = [c.wnid for c in manifest.classes]
    others = sorted(set(manifest.hierarchy) - set(classes))
    ids = {wnid: i for i, wnid in enumerate(classes + others, start=1)}
    children = _children(manifest, set(classes), ids)
    height = _heights(children, ids)
    train = Counter(item.wnid for item in items if item.split == "train")
    array = np.empty((len(ids), 1), dtype=[(f, object) for f in _FIELDS])
    for wnid, i in ids.items():
        kids = children.get(wnid, ())
        array[i - 1, 0] = (
            np.float64(i),
            wnid,
            texts[wnid].words,
            texts[wnid].gloss,
            np.float64(len(kids)),
            np.array([kids], dtype=np.float64) if kids else np.zeros((0, 0)),
            np.float64(height[wnid]),
            np.float64(train.get(wnid, 0)),
        )
    out = io.BytesIO()
    scipy.io.savemat(out, {"synsets": array}, format="5")
    # The 116-byte text header holds scipy's "Created on: <time>"; a fixed one makes
    # the same release give the same bytes (checksums, resuming).
    return _MAT_HEADER + out.getvalue()[len(_MAT_HEADER) :]


def _children(
    manifest: Manifest, classes: set[str], ids: Mapping[str, int]
) -> dict[str, tuple[int, ...]]:
    """Each non-class synset's children (ids, ascending); classes are leaves."""
    found: dict[str, list[int]] = {}
    for child, parents in manifest.hierarchy.items():
        for parent in parents:
            if parent in ids and parent not in classes:
                found.setdefault(parent, []).append(ids[child])
    return {wnid: tuple(sorted(kids)) for wnid, kids in found.items()}


def _heights(children: Mapping[str, tuple[int, ...]], ids: Mapping[str, int]) -> dict[str, int]:
    """Each synset's longest path down to a leaf (recursion depth: the hierarchy's, ~20)."""
    wnid_of = {i: wnid for wnid, i in ids.items()}
    heights: dict[str, int] = {}

    def height(wnid: str) -> int:
        if wnid not in heights:
            kids = children.get(wnid, ())
            heights[wnid] = 1 + max(height(wnid_of[k]) for k in kids) if kids else 0
        return heights[wnid]

    for wnid in ids:
        height(wnid)
    return heights


def _line(text: str) -> str:
    return " ".join(text.split())  # no newline can break the one-line-per-class format


def _number(value: float) -> str:
    return f"{round(value, 2):g}"
