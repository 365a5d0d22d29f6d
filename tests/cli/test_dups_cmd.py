"""``synsetdb dups`` names each image by its file and its synsets, not by a hash prefix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from synsetdb.cli import cli
from tests.cli.small_catalog import PERSIAN, TABBY, TIGER_CAT, built_copy
from tests.release.catalog_rows import image_id


@pytest.fixture(scope="module")
def cats(tmp_path_factory: pytest.TempPathFactory, wordnet_project_template: Path) -> Path:
    """The small cat catalog, built once for this module (the commands only read it)."""
    return built_copy(wordnet_project_template, tmp_path_factory.mktemp("cats"))


def run(project: Path, *args: str) -> str:
    result = CliRunner(env={"COLUMNS": "80"}).invoke(
        cli, ["--project", str(project), "dups", *args], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_groups_name_files_synsets_and_short_ids(cats: Path) -> None:
    out = run(cats)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80, out
    assert lines[-1] == "2 groups at radius 6"
    sofa = next(line for line in lines if "cat-on-the-sofa.jpg" in line)
    # the photo labelled twice: its short id and both of its synsets, by id and name
    assert image_id("sofa")[:12] in sofa.split()
    flat = " ".join(out.split())
    assert f"{TABBY} tabby" in flat and f"{TIGER_CAT} tiger cat" in flat
    assert "cat-on-the-sofa-small.jpg" in out
    assert "persian-in-the-garden.jpg" in out and "persian-in-the-garden-2.jpg" in out
    assert f"{PERSIAN} Persian cat" in flat
    assert "…" not in out  # no hash prefixes standing for images


def test_json_lists_each_members_files_and_synsets(cats: Path) -> None:
    groups = json.loads(run(cats, "--json"))
    assert len(groups) == 2
    sofa = next(g for g in groups if image_id("sofa") in g["images"])
    assert sofa["max_distance"] == 2
    members = {m["id"]: m for m in sofa["members"]}
    assert set(members) == set(sofa["images"])
    assert members[image_id("sofa")]["files"] == ["cat-on-the-sofa.jpg"]
    assert members[image_id("sofa")]["synsets"] == [
        {"wnid": TABBY, "name": "tabby"},
        {"wnid": TIGER_CAT, "name": "tiger cat"},
    ]
    assert members[image_id("sofa-small")]["files"] == ["cat-on-the-sofa-small.jpg"]


def test_within_a_synset_and_under_one(cats: Path) -> None:
    out = run(cats, "--within-synset", "--synset", PERSIAN)
    assert "persian-in-the-garden-2.jpg" in out and "sofa" not in out
    assert out.splitlines()[-1] == "1 group at radius 6"
