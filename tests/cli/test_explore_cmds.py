"""``recount``, ``check`` of the counts, ``dups --store`` and ``serve``'s options."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select, update

from synsetdb.catalog import Project, schema
from synsetdb.cli import cli
from tests.release.catalog_rows import Row, add_rows, image_id

DOG, CAT = "n02084071", "n02121620"


def run(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--project", str(project), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _rows(project_dir: Path) -> None:
    """Four dogs and a cat; the first two dogs' hashes one bit apart (near duplicates)."""
    project = Project.open(project_dir)
    rows = [Row(f"dog{i}", DOG, phash=(1 << (8 * i)) * 255) for i in range(4)]
    rows[1] = Row("dog1", DOG, phash=rows[0].phash ^ 1)  # type: ignore[operator]
    add_rows(project.catalog, [*rows, Row("cat", CAT, phash=0x7FFF << 40, status="candidate")])
    project.close()


def test_check_finds_drifted_counts_and_recount_repairs_them(wordnet_project: Path) -> None:
    _rows(wordnet_project)
    assert run(wordnet_project, "check", "--only", "counts")[0] == 0
    project = Project.open(wordnet_project)
    with project.catalog.engine.begin() as conn:  # a count changed behind synsetdb's back
        conn.execute(update(schema.synset_count).values(own=schema.synset_count.c.own + 1))
    project.close()
    code, out, _ = run(wordnet_project, "check", "--only", "counts")
    assert code == 1 and "C_COUNT_DRIFT synset_count" in out and "synsetdb recount" in out
    code, out, _ = run(wordnet_project, "recount", "--json")
    assert code == 0 and json.loads(out)["synset_rows"] > 0
    assert run(wordnet_project, "check", "--only", "counts", "--json")[0] == 0


def test_dups_store_keeps_the_catalogs_groups(wordnet_project: Path) -> None:
    _rows(wordnet_project)
    code, out, _ = run(wordnet_project, "dups", "--store")
    assert code == 0 and out.startswith("stored 1 near-duplicate groups among 5 images")
    project = Project.open(wordnet_project)
    with project.catalog.engine.connect() as conn:
        members = set(conn.execute(select(schema.dup_member.c.image_id)).scalars())
    project.close()
    assert members == {image_id("dog0"), image_id("dog1")}
    code, out, _ = run(wordnet_project, "dups", "--store", "--radius", "0", "--json")
    assert code == 0 and json.loads(out)["groups"] == 0  # replaced, not added to
    code, _, err = run(wordnet_project, "dups", "--store", "--synset", DOG)
    assert code == 2 and "--store keeps the whole catalog's groups" in err


def test_serve_takes_the_explorers_options(wordnet_project: Path) -> None:
    code, out, _ = run(wordnet_project, "serve", "--help")
    assert code == 0 and "--anonymous-browse / --no-anonymous-browse" in out
    code, out, _ = run(wordnet_project, "verify", "serve", "--help")
    assert code == 0 and "--anonymous-browse" in out  # the labelling entry point serves it all
    code, _, err = run(wordnet_project, "serve", "--port", "0")
    assert code == 2 and "--port" in err
