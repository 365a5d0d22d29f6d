"""The synsetdb command, through click's runner and as a real subprocess."""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from synsetdb import __version__
from synsetdb.catalog import ImageRecord, Project, migrate
from synsetdb.cli import cli

DOG = "n02084071"


def run(*args: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """Invoke the CLI in ``cwd`` (default: an empty temporary folder)."""
    with contextlib.ExitStack() as stack:
        if cwd is None:  # click's isolated_filesystem() is deprecated (removed in Click 9)
            cwd = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        stack.enter_context(contextlib.chdir(cwd))
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
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
        [sys.executable, "-m", "synsetdb", "synset", "show", "n02084072"],
        capture_output=True,
        text=True,
        check=False,
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
    assert (
        stats["schema_revision"] == migrate.head_revision() and stats["taxonomy"] == "wordnet-3.0"
    )


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


@pytest.mark.parametrize(
    "args",
    [
        ["synset", "show"],
        ["tree", "--depth", "x"],
        ["tree", "--depth", "-1"],
        ["synset", "search", "dog", "--limit", "0"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, _, _ = run(*args)
    assert code == 2


def test_the_module_runs_only_as_a_script() -> None:
    """Importing synsetdb.__main__ must not start the CLI (and exit the importer)."""
    result = subprocess.run(
        [sys.executable, "-c", "import synsetdb.__main__; print('imported')"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.strip() == "imported", result.stderr


def test_unpadded_ids_suggest_the_wordnet_id() -> None:
    code, _, err = run("synset", "show", "n2084071")
    assert code == 1 and "did you mean n02084071 (dog)" in err


# ------------------------------------------------------------------ settings and environment


def test_an_unknown_log_level_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNSETDB_LOG_LEVEL", "LOUD")
    code, _, err = run("synset", "show", DOG)
    assert code == 1
    assert err.startswith("error [E_CONFIG]") and "LOUD" in err


def test_a_settings_section_that_is_not_a_table_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "synsetdb.toml").write_text('catalog = "x"\n')
    code, _, err = run("stats", cwd=tmp_path)
    assert code == 1 and err.startswith("error [E_CONFIG]"), err


def test_synsetdb_project_variable_is_honoured(
    wordnet_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNSETDB_PROJECT", str(wordnet_project))
    code, out, err = run("stats", "--json", cwd=tmp_path)
    assert code == 0, err
    assert json.loads(out)["project"] == str(wordnet_project)


# ------------------------------------------------------------------ catalogs that cannot open


def test_missing_catalog_file_is_reported_not_created(wordnet_project: Path) -> None:
    (wordnet_project / "catalog.sqlite").unlink()
    code, _, err = run("stats", cwd=wordnet_project)
    assert code == 1 and err.startswith("error [E_NO_CATALOG]"), err
    assert not (wordnet_project / "catalog.sqlite").exists()


def test_migrate_on_an_unreachable_database_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "synsetdb.toml").write_text("")
    monkeypatch.setenv("SYNSETDB_CATALOG_URL", "postgresql://me:hunter2@127.0.0.1:1/db")
    code, _, err = run("migrate", cwd=tmp_path)
    assert code == 1
    assert err.startswith("error [E_CATALOG_CONNECT]") and len(err.strip().splitlines()) == 1
    assert "hunter2" not in err and "me:***@" in err


def test_unknown_database_driver_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "synsetdb.toml").write_text("")
    monkeypatch.setenv("SYNSETDB_CATALOG_URL", "bogus://x")
    code, _, err = run("migrate", cwd=tmp_path)
    assert code == 1 and err.startswith("error [E_CATALOG_DRIVER]"), err


@pytest.mark.postgres
def test_stats_json_hides_the_catalog_password(tmp_path: Path, postgres_url: str) -> None:
    url = postgres_url.replace("postgres@", "postgres:hunter2@")  # the server trusts anyone
    code, _, err = run(
        "init", str(tmp_path / "p"), "--catalog-url", url, "--taxonomy", str(_animals(tmp_path))
    )
    assert code == 0, err
    code, out, err = run("--project", str(tmp_path / "p"), "stats", "--json")
    assert code == 0, err
    assert "hunter2" not in out
    assert json.loads(out)["catalog"] == url.replace("hunter2", "***")


# ------------------------------------------------------------------ migrate


def test_migrate_upgrades_an_old_project_and_loads_its_taxonomy(tmp_path: Path) -> None:
    from synsetdb.catalog import make_engine

    root = tmp_path / "old"
    code, _, err = run("init", str(root), "--taxonomy", str(_animals(tmp_path)))
    assert code == 0, err
    (root / "catalog.sqlite").unlink()
    engine = make_engine(f"sqlite:///{root / 'catalog.sqlite'}")
    migrate.upgrade(engine, "0001")  # the first schema, as an early synsetdb made it
    engine.dispose()
    code, _, err = run("stats", cwd=root)
    assert code == 1 and err.startswith("error [E_SCHEMA_VERSION]") and "migrate" in err
    code, out, err = run("migrate", "--json", cwd=root)
    assert code == 0, err
    result = json.loads(out)
    assert result["schema_revision_before"] == "0001"
    assert result["schema_revision"] == migrate.head_revision()
    assert result["synsets_added"] == 3 and result["taxonomy"] == "animals"
    code, out, _ = run("migrate", cwd=root)  # again: nothing to do
    assert code == 0 and "unchanged" in out
    code, out, _ = run("stats", "--json", cwd=root)
    assert code == 0 and json.loads(out)["synsets"] == 3


def test_tree_counts_refuse_a_stale_taxonomy_until_migrate(tmp_path: Path) -> None:
    taxonomy = _animals(tmp_path)
    root = tmp_path / "p"
    assert run("init", str(root), "--taxonomy", str(taxonomy))[0] == 0
    project = Project.open(root)
    digest = hashlib.sha256(b"rex").hexdigest()
    project.catalog.add_image(ImageRecord(digest, 32, 32, "PNG", 10, digest))
    project.catalog.add_candidate(digest, "c00000002")
    project.close()
    with taxonomy.open("a") as f:
        f.write("  - {id: c00000004, lemmas: [puppy], parents: [c00000002]}\n")
    code, _, err = run("tree", "--json", cwd=root)
    assert code == 1 and err.startswith("error [E_TAXONOMY_CHANGED]") and "migrate" in err
    code, out, err = run("migrate", "--json", cwd=root)
    assert code == 0 and json.loads(out)["synsets_added"] == 1, err
    code, out, err = run("tree", "c00000002", "--json", cwd=root)
    assert code == 0, err
    node = json.loads(out)
    assert node["images"] == 1 and node["children"][0]["wnid"] == "c00000004"


# ------------------------------------------------------------------ custom-taxonomy projects


def test_tree_without_wnid_shows_every_root(tmp_path: Path) -> None:
    taxonomy = tmp_path / "two.yaml"
    taxonomy.write_text(
        "name: two-roots\n"
        "synsets:\n"
        "  - {id: c00000001, lemmas: [animal]}\n"
        "  - {id: c00000002, lemmas: [dog], parents: [c00000001]}\n"
        "  - {id: c00000003, lemmas: [plant]}\n"
    )
    assert run("init", str(tmp_path / "p"), "--taxonomy", str(taxonomy))[0] == 0
    code, out, err = run("tree", "--json", cwd=tmp_path / "p")
    assert code == 0, err
    trees = json.loads(out)
    assert [t["wnid"] for t in trees] == ["c00000001", "c00000003"]
    assert trees[0]["children"][0]["wnid"] == "c00000002"
    code, out, _ = run("tree", cwd=tmp_path / "p")
    assert code == 0 and "animal" in out and "plant" in out


def test_tree_without_wnid_outside_a_project_is_entity(tmp_path: Path) -> None:
    code, out, _ = run("tree", "--depth", "0", "--json", cwd=tmp_path)
    assert code == 0
    assert json.loads(out) == [{"wnid": "n00001740", "name": "entity", "more": 3}]


def test_sets_in_a_custom_taxonomy_marks_what_it_cannot_compute(tmp_path: Path) -> None:
    assert run("init", str(tmp_path / "p"), "--taxonomy", str(_animals(tmp_path)))[0] == 0
    code, out, err = run("sets", "--json", cwd=tmp_path / "p")
    assert code == 0, err
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["ilsvrc2012"]["size"] == 1000
    assert rows["person"]["size"] is None and "n00007846" in rows["person"]["unavailable"]
    code, out, _ = run("sets", cwd=tmp_path / "p")
    assert code == 0 and "not in taxonomy animals" in out
    code, _, err = run("sets", "deng2009-mammal", cwd=tmp_path / "p")
    assert code == 1 and err.startswith("error [E_SET_UNAVAILABLE]"), err


def test_init_taxonomy_path_is_relative_to_the_working_directory(tmp_path: Path) -> None:
    _animals(tmp_path)
    code, _, err = run("init", "p", "--taxonomy", "animals.yaml", cwd=tmp_path)
    assert code == 0, err
    code, out, _ = run("tree", "--json", cwd=tmp_path / "p")
    assert code == 0 and json.loads(out)[0]["wnid"] == "c00000001"


# ------------------------------------------------------------------ pipes


def test_a_closed_pipe_ends_quietly() -> None:
    """`synsetdb sets imagenet21k-fall11 | head -1`: no traceback, no internal error."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "synsetdb", "sets", "imagenet21k-fall11"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # the reader goes away with 21,840 lines unread
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=60)
    assert first.startswith(b"n00004475")
    assert code == 141, err
    assert err == ""


def _animals(folder: Path) -> Path:
    path = folder / "animals.yaml"
    path.write_text(
        "name: animals\n"
        "synsets:\n"
        "  - {id: c00000001, lemmas: [animal]}\n"
        "  - {id: c00000002, lemmas: [dog], parents: [c00000001]}\n"
        "  - {id: c00000003, lemmas: [cat], parents: [c00000001]}\n"
    )
    return path
