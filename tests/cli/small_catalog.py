"""A small cat catalog for the output tests and the docs' examples.

``build(project_dir)`` fills a WordNet project with the rows below: cats (and
one terrier, the longest name among ILSVRC's classes) with candidates by
status, file names, a crowd's votes, and two groups of near-duplicate images.
The docs' terminal examples (README.md, docs/*.md) show what the commands print
for exactly this catalog, so ``tests/cli/test_docs_examples.py`` can compare
them line by line.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import select

from synsetdb.catalog import Project, schema
from synsetdb.verify.votes_io import import_votes
from tests.release.catalog_rows import Row, add_rows, image_id

__all__ = ["NAMES", "ROWS", "build", "built_copy"]

TIGER_CAT, TABBY, PERSIAN, TERRIER = "n02123159", "n02123045", "n02123394", "n02093428"
NAMES = {
    TIGER_CAT: "tiger cat",
    TABBY: "tabby",
    PERSIAN: "Persian cat",
    TERRIER: "American Staffordshire terrier",
}

_FAR = 0x0F0F_0F0F_0F0F_0F0F  # hashes built from this differ from each other in 8+ bits


def _hash(n: int) -> int:
    """A distinct 64-bit hash per ``n`` (as SQL's signed BIGINT holds it)."""
    value = (_FAR * (n + 1)) & (2**64 - 1) ^ (n << 40)
    return value - (1 << 64) if value >= 1 << 63 else value


_SOFA = _hash(100)
_GARDEN = _hash(200)

ROWS = (
    # tiger cat: two crowd-accepted, one rejected, one still open
    Row("tc1", TIGER_CAT, _hash(1), "accepted", file_name="IMG_0412.JPG"),
    Row("tc2", TIGER_CAT, _hash(2), "accepted", file_name="IMG_0413.JPG"),
    Row("tc3", TIGER_CAT, _hash(3), "rejected", file_name="IMG_0417.JPG"),
    Row("sofa", TIGER_CAT, _SOFA, "candidate", file_name="cat-on-the-sofa.jpg"),
    # the same photo again, shrunk and labelled tabby as well: a near duplicate
    Row("sofa-small", TABBY, _SOFA ^ 0b101, "candidate", file_name="cat-on-the-sofa-small.jpg"),
    Row("sofa", TABBY, _SOFA, "candidate", file_name="cat-on-the-sofa.jpg"),
    Row("tb1", TABBY, _hash(4), "candidate", file_name="tabby_01.png"),
    # Persian cat: taken from a trusted folder, one of them also in the garden
    Row("pc1", PERSIAN, _GARDEN, "accepted", file_name="persian-in-the-garden.jpg"),
    Row("pc2", PERSIAN, _GARDEN ^ 1, "accepted", file_name="persian-in-the-garden-2.jpg"),
    Row("pc3", PERSIAN, _hash(5), "accepted", file_name="persian_03.jpg"),
    Row("te1", TERRIER, _hash(6), "candidate", file_name="n02093428_1125.JPEG"),
)

# Five workers' answers on tiger cat's candidates (1: it shows a tiger cat).
_VOTES = {"tc1": (1, 1, 1, 1, 1), "tc2": (1, 1, 1, 1, 0), "tc3": (0, 0, 0, 1, 0), "sofa": (1, 0)}


def built_copy(template: Path, folder: Path) -> Path:
    """A copy of the WordNet project ``template`` in ``folder``, with the rows and votes."""
    root = folder / "project"
    shutil.copytree(template, root)
    build(root)
    return root


def build(project_dir: Path) -> None:
    """Add the rows and the votes to the project at ``project_dir``."""
    project = Project.open(project_dir)
    try:
        add_rows(project.catalog, ROWS)
        votes = project_dir / "votes.csv"
        ids = _candidate_ids(project, TIGER_CAT)
        lines = [
            f"{ids[key]},W{w},{answer}"
            for key, answers in _VOTES.items()
            for w, answer in enumerate(answers)
        ]
        votes.write_text("task,worker,label\n" + "\n".join(lines) + "\n")
        import_votes(project.catalog, votes, "crowdkit")
        votes.unlink()
    finally:
        project.close()


def _candidate_ids(project: Project, wnid: str) -> dict[str, int]:
    """Each row key of ``wnid``'s candidates, mapped to its candidate id."""
    c = schema.candidate.c
    query = select(c.image_id, c.id).where(c.synset_id == project.catalog.synset_id(wnid))
    with project.catalog.engine.connect() as conn:
        by_image = {str(i): int(c) for i, c in conn.execute(query)}
    return {row.key: by_image[image_id(row.key)] for row in ROWS if row.wnid == wnid}
