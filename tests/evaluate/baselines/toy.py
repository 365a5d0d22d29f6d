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
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from synsetdb.catalog.blobs import LocalBlobStore
from synsetdb.release import Manifest, Release, ReleaseClass, ReleaseItem
from tests.fixtures.photos import encode

__all__ = ["ANIMAL", "CAT", "DOG", "PLANT", "ROOT", "TREE", "toy_release"]

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


def toy_release(blob_dir: Path) -> Release:
    """The release above, its PNGs stored under ``blob_dir``; items named ``split-wnid-i``."""
    blobs = LocalBlobStore(blob_dir)
    items = []
    for split, by_class in COLOURS.items():
        for wnid, colours in by_class.items():
            for i, colour in enumerate(colours):
                key = blobs.put(encode(Image.new("RGB", (48, 40), colour), "PNG"))
                items.append(ReleaseItem(key, wnid, split, key, f"{split}-{wnid}-{i}", "PNG"))
    manifest = Manifest(
        classes=(
            ReleaseClass(0, DOG, "dog"),
            ReleaseClass(1, CAT, "cat"),
            ReleaseClass(2, TREE, "tree"),
        ),
        hierarchy=HIERARCHY,
        items=tuple(items),
    )
    return Release("toy", manifest, blobs)
