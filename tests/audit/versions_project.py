"""A WordNet project with two releases for the versions table's tests (rows, no pixels).

- ``r1``: tench and Chihuahua (ILSVRC-2012 classes), gook (``n09643799``,
  marked disparagement) and fagot (``n10076033``, marked disparagement), the
  last two in the person subtree;
- ``ilsvrc2012``: a release named like the named set: tench and Chihuahua,
  listed in the table as ``release:ilsvrc2012``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from synsetdb.catalog import Project
from synsetdb.release import create_release, parse_spec
from tests.release.catalog_rows import Row, add_rows, random_hashes

TENCH, CHIHUAHUA, GOOK, FAGOT = "n01440764", "n02085620", "n09643799", "n10076033"
R1 = (TENCH, CHIHUAHUA, GOOK, FAGOT)
NAMED_LIKE_A_SET = (TENCH, CHIHUAHUA)


def build_versions_project(template: Path, root: Path) -> Path:
    """Copy the WordNet project ``template`` to ``root`` and add the two releases."""
    shutil.copytree(template, root)
    project = Project.open(root)
    try:
        hashes = iter(random_hashes(4 * len(R1)))
        add_rows(project.catalog, [Row(f"{w}-{i}", w, next(hashes)) for w in R1 for i in range(4)])
        for name, wnids in (("r1", R1), ("ilsvrc2012", NAMED_LIKE_A_SET)):
            listed = ", ".join(f'"{w}"' for w in wnids)
            create_release(project, name, parse_spec(f"[selection]\nwnids = [{listed}]\n"))
    finally:
        project.close()
    return root
