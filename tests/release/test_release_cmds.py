"""``synsetdb release create|list|show|diff|verify`` through click's CliRunner on a real project."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from synsetdb.catalog import Project
from synsetdb.cli import cli
from tests.fixtures.photos import jpeg_variants
from tests.release.catalog_rows import ingest_photos

TENCH, GOLDFISH = "n01440764", "n01443537"


def run(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--project", str(project), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _spec(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(body)
    return str(path)


def test_create_list_show_diff_and_verify(wordnet_project: Path, tmp_path: Path) -> None:
    project = Project.open(wordnet_project)
    photos = jpeg_variants(16)
    ingest_photos(project, tmp_path / "photos", {TENCH: photos[:8], GOLDFISH: photos[8:]})
    project.close()
    v1 = _spec(tmp_path, "v1.toml", f'[selection]\nwnids = ["{TENCH}", "{GOLDFISH}"]\n')
    v2 = _spec(
        tmp_path,
        "v2.toml",
        f'parent = "v1"\n[selection]\nwnids = ["{TENCH}", "{GOLDFISH}"]\n'
        '[splits]\nval = 2\nparent = "resplit"\n',  # v1 had no val: re-split to get one
    )
    code, out, _ = run(wordnet_project, "release", "create", "v1", "--spec", v1)
    assert code == 0 and "created release v1: 2 classes, 16 items" in out
    code, out, _ = run(wordnet_project, "release", "create", "v2", "--spec", v2, "--json")
    assert code == 0
    created = json.loads(out)
    assert created["splits"] == {"train": 12, "val": 4} and created["report"]["items"] == 16

    code, out, _ = run(wordnet_project, "release", "list", "--json")
    listed = json.loads(out)
    assert [(r["name"], r["parent"], r["items"]) for r in listed] == [
        ("v1", None, 16),
        ("v2", "v1", 16),
    ]
    code, out, _ = run(wordnet_project, "release", "list")
    assert code == 0 and "v1" in out and listed[0]["sha256"][:16] in out

    code, out, _ = run(wordnet_project, "release", "show", "v2", "--json")
    shown = json.loads(out)
    assert shown["sha256"] == created["sha256"]
    assert shown["parent"] == {"name": "v1", "sha256": listed[0]["sha256"]}
    assert shown["per_class"][0] == {
        "index": 0,
        "wnid": TENCH,
        "name": "tench",
        "splits": {"train": 6, "val": 2},
        "total": 8,
    }
    assert shown["spec"]["splits"]["held_out"] == {"val": 2}
    code, out, _ = run(wordnet_project, "release", "show", "v2")
    assert code == 0 and "tench" in out and "parent  v1" in out

    code, out, _ = run(wordnet_project, "release", "diff", "v1", "v2", "--json")
    diff = json.loads(out)
    assert diff["counts"]["moved"] == 4 and diff["counts"]["images_added"] == 0
    assert {m["from"] for m in diff["moved"]} == {"train"}
    code, out, _ = run(wordnet_project, "release", "diff", "v1", "v2")
    assert code == 0 and "  moved: 4\n" in out and "train -> val" in out
    assert "  held out to train: 0\n" in out and "WARNING" not in out  # train -> val: no leak
    code, out, _ = run(wordnet_project, "release", "diff", "v1", "v1")
    assert code == 0 and "same release" in out

    releases = wordnet_project / "releases"
    before = {p: p.read_bytes() for p in releases.rglob("*") if p.is_file()}
    code, _, err = run(wordnet_project, "release", "create", "v1", "--spec", v2)
    assert code == 1 and err.startswith("error [E_RELEASE_EXISTS]")
    assert {p: p.read_bytes() for p in releases.rglob("*") if p.is_file()} == before
    code, out, _ = run(wordnet_project, "release", "list", "--json")
    assert json.loads(out) == listed  # the same rows, the same creation times

    code, out, _ = run(wordnet_project, "release", "verify", "v1")
    assert code == 0 and "16 items, 16 blobs re-hashed: ok" in out
    release = json.loads((wordnet_project / "releases" / "v1" / "manifest.json").read_text())
    blob = release["items"][0][3]
    blobs = Path(Project.open(wordnet_project).blobs.url)
    (blobs / blob[:2] / blob).unlink()
    code, out, _ = run(wordnet_project, "release", "verify", "v1", "--json")
    assert code == 1
    assert json.loads(out)["problem_counts"] == {"E_BLOB_MISSING": 1}
    code, out, _ = run(wordnet_project, "release", "verify", "v1")
    assert code == 1 and "E_BLOB_MISSING" in out


def test_errors_are_one_line_and_exit_1(wordnet_project: Path, tmp_path: Path) -> None:
    code, out, _ = run(wordnet_project, "release", "list")
    assert code == 0 and "no releases yet" in out
    bad = _spec(tmp_path, "bad.toml", f'[selection]\nwnids = ["{TENCH}"]\n[splits]\nval = -1\n')
    code, _, err = run(wordnet_project, "release", "create", "v1", "--spec", bad)
    assert code == 1 and err.startswith("error [E_SPEC]") and "splits.val" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run(wordnet_project, "release", "create", "v1", "--spec", str(tmp_path / "no"))
    assert code == 1 and "E_SPEC" in err
    code, _, err = run(wordnet_project, "release", "show", "nope")
    assert code == 1 and "E_NO_RELEASE" in err
    code, _, err = run(wordnet_project, "release", "diff", "nope", "nada")
    assert code == 1 and "E_NO_RELEASE" in err
    code, _, err = run(wordnet_project, "release", "verify", "nope")
    assert code == 1 and "E_NO_RELEASE" in err
    empty = _spec(tmp_path, "empty.toml", f'[selection]\nwnids = ["{TENCH}"]\n')
    code, _, err = run(wordnet_project, "release", "create", "../x", "--spec", empty)
    assert code == 1 and "E_RELEASE_NAME" in err
    code, _, err = run(wordnet_project, "release", "create", "v1", "--spec", empty)
    assert code == 1 and "E_EMPTY_RELEASE" in err
