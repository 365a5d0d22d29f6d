"""A hand-made release of solid-colour images whose baseline answers can be worked out by hand.

Hierarchy (made-up wnids; classes marked with their index)::

    root n00000001
    ├── animal n00000002
    │   ├── dog n00000003   class 0: train red 255, red 230;   val red 240
    │   └── cat n00000004   class 1: train green 255, green 220; val green 240
    └── plant n00000005
        └── tree n00000006  class 2: train blue 255;           val blue 240

Squared distances between solid colours are easy: (240,0,0) to (0,220,0) is
240² + 220², the same for every pixel.

``nested_release`` makes animal a class too (class 0, yellow images), above
dog and cat, as ImageNet-21k's classes nest.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from synsetdb.catalog.blobs import LocalBlobStore
from synsetdb.release import Manifest, Release, ReleaseClass, ReleaseItem
from tests.fixtures.photos import encode

__all__ = ["ANIMAL", "CAT", "DOG", "PLANT", "ROOT", "TREE", "nested_release", "toy_release"]

ROOT, ANIMAL, DOG, CAT, PLANT, TREE = (f"n0000000{i}" for i in range(1, 7))
HIERARCHY = {
    ROOT: (),
    ANIMAL: (ROOT,),
    DOG: (ANIMAL,),
    CAT: (ANIMAL,),
    PLANT: (ROOT,),
    TREE: (PLANT,),
}
COLOURS = {
    "train": {
        DOG: [(255, 0, 0), (230, 0, 0)],
        CAT: [(0, 255, 0), (0, 220, 0)],
        TREE: [(0, 0, 255)],
    },
    "val": {DOG: [(240, 0, 0)], CAT: [(0, 240, 0)], TREE: [(0, 0, 240)]},
}
NESTED_COLOURS = {
    "train": {**COLOURS["train"], ANIMAL: [(255, 255, 0), (230, 230, 0)]},
    "val": {**COLOURS["val"], ANIMAL: [(240, 240, 0)]},
}
Colours = dict[str, dict[str, list[tuple[int, int, int]]]]


def toy_release(blob_dir: Path) -> Release:
    """The release above, its PNGs stored under ``blob_dir``; items named ``split-wnid-i``."""
    return _release(blob_dir, [(DOG, "dog"), (CAT, "cat"), (TREE, "tree")], COLOURS)


def nested_release(blob_dir: Path) -> Release:
    """The release above with animal a class too (index 0): dog and cat lie below it."""
    classes = [(ANIMAL, "animal"), (DOG, "dog"), (CAT, "cat"), (TREE, "tree")]
    return _release(blob_dir, classes, NESTED_COLOURS)


def _release(blob_dir: Path, classes: list[tuple[str, str]], colours: Colours) -> Release:
    blobs = LocalBlobStore(blob_dir)
    items = []
    for split, by_class in colours.items():
        for wnid, shades in by_class.items():
            for i, colour in enumerate(shades):
                key = blobs.put(encode(Image.new("RGB", (48, 40), colour), "PNG"))
                items.append(ReleaseItem(key, wnid, split, key, f"{split}-{wnid}-{i}", "PNG"))
    manifest = Manifest(
        classes=tuple(ReleaseClass(i, wnid, name) for i, (wnid, name) in enumerate(classes)),
        hierarchy=HIERARCHY,
        items=tuple(items),
    )
    return Release("toy", manifest, blobs)
