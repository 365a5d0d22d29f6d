"""``synset show``: every path to the root, the image counts, and custom synsets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from synsetdb.cli import cli
from synsetdb.hierarchy import Taxonomy
from tests.cli.small_catalog import TIGER_CAT, built_copy

DOMESTIC_CAT = "n02121808"


@pytest.fixture(scope="module")
def cats(tmp_path_factory: pytest.TempPathFactory, wordnet_project_template: Path) -> Path:
    """The small cat catalog, built once for this module (the commands only read it)."""
    return built_copy(wordnet_project_template, tmp_path_factory.mktemp("cats"))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner(env={"COLUMNS": "80"}).invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_every_path_to_the_root_is_printed(wordnet: Taxonomy) -> None:
    paths = wordnet.paths_to_root(TIGER_CAT)
    assert len(paths) == 2  # via domestic animal and via cat, feline, carnivore, …
    code, out, _ = run("synset", "show", TIGER_CAT)
    assert code == 0
    flat = _flat(out)
    for path in paths:
        # root first, as breadcrumbs read: entity › … › tiger cat, each step id and name
        shown = " › ".join(f"{w} {wordnet.get(w).name}" for w in reversed(path))
        assert shown in flat, (shown, out)
    assert "2 paths to the root" in flat


def test_image_counts_own_and_subtree_by_status(cats: Path) -> None:
    code, out, err = run("--project", str(cats), "synset", "show", TIGER_CAT, "--json")
    assert code == 0, err
    images = json.loads(out)["images"]
    # own: 2 accepted, the sofa photo still a candidate, one rejected
    assert images["own"] == {
        "candidate": 1,
        "accepted": 2,
        "rejected": 1,
        "undecided": 0,
        "live": 3,
    }
    assert images["subtree"] == images["own"]  # a leaf
    code, out, _ = run("--project", str(cats), "synset", "show", DOMESTIC_CAT, "--json")
    images = json.loads(out)["images"]
    assert images["own"]["live"] == 0
    # tiger cats 3 (the sofa photo counted once though it is a tabby too), tabbies 2, Persians 3
    assert images["subtree"]["live"] == 8 and images["subtree"]["rejected"] == 1
    code, out, _ = run("--project", str(cats), "synset", "show", DOMESTIC_CAT)
    flat = _flat(out)
    assert "images status own subtree" in flat
    assert "live 0 8" in flat and "accepted 0 5" in flat and "rejected 0 1" in flat


def test_no_counts_outside_a_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("synset", "show", TIGER_CAT, "--json")
    assert code == 0 and "images" not in json.loads(out)
    assert json.loads(out)["paths_to_root"][0][0] == TIGER_CAT


def test_a_custom_synset_has_no_none_category(tmp_path: Path) -> None:
    taxonomy = tmp_path / "animals.yaml"
    taxonomy.write_text(
        "name: animals\n"
        "synsets:\n"
        "  - {id: c00000001, lemmas: [animal], gloss: a living thing that moves}\n"
        "  - {id: c00000002, lemmas: [dog], parents: [c00000001]}\n"
    )
    assert run("init", str(tmp_path / "p"), "--taxonomy", str(taxonomy))[0] == 0
    code, out, err = run("--project", str(tmp_path / "p"), "synset", "show", "c00000002")
    assert code == 0, err
    assert "None" not in out
    assert "custom" in _flat(out)
    assert "c00000001 animal › c00000002 dog" in _flat(out)
