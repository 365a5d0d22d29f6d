#!/usr/bin/env python3
"""Extract the named ImageNet class lists that synsetdb ships, from timm's wheel.

timm (Apache-2.0) carries the lists as plain text under ``timm/data/_info/``.
This script copies the ones synsetdb names into
``src/synsetdb/hierarchy/data/sets/``, checks that every id is a WordNet 3.0
noun in the bundled hierarchy and that each list has its documented size, and
copies timm's licence beside them. (Every id of these lists is a WordNet 3.0
noun; a list with any other id is refused, not shipped.) timm 1.0.15 holds
no list of ImageNet-21k's winter21 release as a whole, only MIIL's
ImageNet-21K-P processed from it.

Usage:
    pip download --no-deps timm==1.0.15 -d /tmp/timm
    python tools/build_synset_sets.py /tmp/timm/timm-1.0.15-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from synsetdb.hierarchy import Taxonomy

OUT_DIR = Path(__file__).resolve().parents[1] / "src" / "synsetdb" / "hierarchy" / "data" / "sets"

# our file name -> (member of timm's wheel, expected count, must be sorted)
LISTS = {
    "ilsvrc2012.txt": ("timm/data/_info/imagenet_synsets.txt", 1000, True),
    "imagenet21k_fall11.txt": ("timm/data/_info/imagenet22k_synsets.txt", 21841, True),
    # fall11 plus n03931044 (picture) and n09859684 (bleacher): Google's (BiT, ViT) 21k
    "imagenet21k_goog.txt": ("timm/data/_info/imagenet21k_goog_synsets.txt", 21843, True),
    "imagenet12k.txt": ("timm/data/_info/imagenet12k_synsets.txt", 11821, True),
    "imagenet21k_p.txt": ("timm/data/_info/imagenet21k_miil_synsets.txt", 11221, True),
    "imagenet21k_p_winter21.txt": ("timm/data/_info/imagenet21k_miil_w21_synsets.txt", 10450, True),
    "mini_imagenet.txt": ("timm/data/_info/mini_imagenet_synsets.txt", 100, True),
    "imagenet_a.txt": ("timm/data/_info/imagenet_a_synsets.txt", 200, True),
    "imagenet_r.txt": ("timm/data/_info/imagenet_r_synsets.txt", 200, True),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wheel", type=Path, help="timm's wheel (.whl)")
    args = parser.parse_args(argv)
    taxonomy = Taxonomy.wordnet()
    with zipfile.ZipFile(args.wheel) as wheel:
        for name, (member, expected, must_sort) in LISTS.items():
            wnids = wheel.read(member).decode("ascii").split()
            unknown = [w for w in wnids if w not in taxonomy]
            if len(wnids) != expected or len(set(wnids)) != expected or unknown:
                raise SystemExit(f"{member}: {len(wnids)} ids, unknown {unknown[:5]}")
            if must_sort and wnids != sorted(wnids):
                raise SystemExit(f"{member}: not in sorted-wnid order")
            (OUT_DIR / name).write_text("\n".join(wnids) + "\n")
            print(f"{name}: {len(wnids)} synsets from {member}")
        licence = next(n for n in wheel.namelist() if n.endswith("licenses/LICENSE"))
        (OUT_DIR / "LICENSE-timm").write_bytes(wheel.read(licence))
    return 0


if __name__ == "__main__":
    sys.exit(main())
