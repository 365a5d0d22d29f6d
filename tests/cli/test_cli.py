"""The synsetdb command, through click's runner and as a real subprocess."""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from synsetdb import __version__
from synsetdb.catalog import ImageRecord, Project
from synsetdb.cli import cli

DOG = "n02084071"


def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """Invoke the CLI in ``cwd`` (default: an empty temporary folder)."""
    runner = CliRunner()
    place = runner.isolated_filesystem() if cwd is None else contextlib.chdir(cwd)
    with place:
        result = runner.invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = run("--version")
    assert code == 0 and __version__ in out


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "synsetdb", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and __version__ in result.stdout


def test_synset_show_json_has_both_hypernyms() -> None:
    code, out, _ = run("synset", "show", DOG, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["wnid"] == DOG
    assert data["lemmas"] == ["dog", "domestic_dog", "Canis_familiaris"]
    assert data["hypernyms"] == ["n02083346", "n01317541"]
    assert data["depth"] == {"shortest": 8, "longest": 13}
    assert len(data["paths_to_root"]) == 2


def test_synset_show_prints_for_people() -> None:
    code, out, _ = run("synset", "show", DOG)
    assert code == 0
    assert "domestic dog" in out and "canine" in out and "domestic animal" in out


def test_unknown_wnid_is_one_line_with_suggestions_and_no_traceback() -> None:
    result = subprocess.run(
        ["synsetdb", "synset", "show", "n02084072"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error [E_UNKNOWN_SYNSET]")
    assert "n02084071 (dog)" in lines[0]
    assert "Traceback" not in result.stderr


def test_synset_search_ranks_the_animal_first() -> None:
    code, out, _ = run("synset", "search", "dog", "--limit", "3", "--json")
    assert code == 0
    hits = json.loads(out)
    assert hits[0]["wnid"] == DOG and len(hits) == 3


def test_tree_json_outside_a_project(tmp_path: Path) -> None:
    code, out, _ = run("tree", "n01861778", "--depth", "1", "--json", cwd=tmp_path)
    assert code == 0
    node = json.loads(out)
    assert node["wnid"] == "n01861778" and "images" not in node
    assert "n01886756" in [c["wnid"] for c in node["children"]]  # placental


def test_init_then_stats_json(tmp_path: Path) -> None:
    code, out, err = run("init", str(tmp_path / "p"), "--json")
    assert code == 0, err
    assert json.loads(out)["synsets"] == 82_115
    code, out, _ = run("--project", str(tmp_path / "p"), "stats", "--json")
    assert code == 0
    stats = json.loads(out)
    assert stats["synsets"] == 82_115 and stats["images"] == 0
    assert stats["schema_revision"] == "0001" and stats["taxonomy"] == "wordnet-3.0"


def test_tree_shows_image_counts_in_a_project_with_images(wordnet_project: Path) -> None:
    project = Project.open(wordnet_project)
    for name, wnid in (("rex", DOG), ("tom", "n02121620")):
        digest = hashlib.sha256(name.encode()).hexdigest()
        project.catalog.add_image(ImageRecord(digest, 32, 32, "PNG", 10, digest))
        project.catalog.add_candidate(digest, wnid)
    project.close()
    code, out, _ = run("tree", "n01886756", "--depth", "2", "--json", cwd=wordnet_project)
    assert code == 0
    node = json.loads(out)
    assert node["images"] == 2  # placental: dog and cat
    carnivore = next(c for c in node["children"] if c["wnid"] == "n02075296")
    assert carnivore["images"] == 2
    code, out, _ = run("tree", "n01886756", "--depth", "1", cwd=wordnet_project)
    assert "(2 images)" in out


def test_stats_outside_a_project_fails_clearly(tmp_path: Path) -> None:
    code, _, err = run("stats", cwd=tmp_path)
    assert code == 1
    assert err.startswith("error [E_NO_PROJECT]")


def test_sets_lists_named_sets() -> None:
    code, out, _ = run("sets", "--json")
    assert code == 0
    sizes = {s["name"]: s["size"] for s in json.loads(out)}
    assert sizes["ilsvrc2012"] == 1000 and sizes["imagenet21k-fall11"] == 21_841
    code, out, _ = run("sets", "nope")
    assert code == 1


@pytest.mark.parametrize("args", [["synset", "show"], ["tree", "--depth", "x"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, _, _ = run(*args)
    assert code == 2
