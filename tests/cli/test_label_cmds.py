"""``synsetdb label``: a person's bulk decisions and trusted sources from the command line."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from synsetdb.catalog import Project, schema
from synsetdb.cli import cli
from tests.fixtures.photos import encode, photo

DOG, TABBY = "n02084071", "n02123045"


def _cli(project: Path, *args: str) -> tuple[int, str, str]:
    with contextlib.chdir(project):
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _folder(root: Path) -> Path:
    for wnid, names in ((DOG, ("coffee", "rocket")), (TABBY, ("chelsea", "astronaut"))):
        (root / wnid).mkdir(parents=True)
        for name in names:
            (root / wnid / f"{name}.jpg").write_bytes(encode(photo(name, (160, 120)), "JPEG"))
    return root


def _statuses(project_dir: Path) -> dict[str, tuple[str, str | None]]:
    project = Project.open(project_dir)
    c = schema.candidate.c
    with project.catalog.engine.connect() as conn:
        rows = conn.execute(select(c.file_name, c.status, c.decided_by)).all()
    project.close()
    return {str(f): (str(s), d) for f, s, d in rows}


def test_accept_a_synset_then_reject_a_listed_file(wordnet_project: Path, tmp_path: Path) -> None:
    root = _folder(tmp_path / "photos")
    assert _cli(wordnet_project, "ingest", "folder", str(root))[0] == 0
    code, out, _ = _cli(
        wordnet_project, "label", "accept", "--synset", DOG, "--reason", "our photos", "--by", "ada"
    )
    assert code == 0 and out.startswith("2 candidate(s) matched; 2 accepted by ada")
    listing = tmp_path / "wrong.txt"
    listing.write_text(f"{root / TABBY / 'astronaut.jpg'}\n")
    code, out, _ = _cli(
        wordnet_project, "label", "reject", "--images", str(listing), "--reason", "no cat here"
    )
    assert code == 0 and "1 candidate(s) matched; 1 rejected" in out
    assert _statuses(wordnet_project) == {
        "coffee.jpg": ("accepted", "person"),
        "rocket.jpg": ("accepted", "person"),
        "chelsea.jpg": ("candidate", None),
        "astronaut.jpg": ("rejected", "person"),
    }
    code, out, _ = _cli(
        wordnet_project, "label", "accept", "--source", str(root), "--reason", "all", "--json"
    )
    assert json.loads(out) == {
        "status": "accepted",
        "matched": 4,
        "changed": {"candidate": 1},
        "unchanged": 2,
        "kept": {"rejected": 1},
    }


def test_trust_and_untrust_a_folder_by_its_path(wordnet_project: Path, tmp_path: Path) -> None:
    root = _folder(tmp_path / "photos")
    _cli(wordnet_project, "ingest", "folder", str(root))
    code, out, _ = _cli(wordnet_project, "label", "trust", str(root))
    assert code == 0 and "4 accepted as a trusted source's labels" in out
    assert set(_statuses(wordnet_project).values()) == {("accepted", "source")}
    code, out, _ = _cli(wordnet_project, "label", "untrust", str(root))
    assert code == 0 and "4 returned to the candidates to verify" in out
    assert set(_statuses(wordnet_project).values()) == {("candidate", None)}


def test_mistakes_are_one_clear_line(wordnet_project: Path, tmp_path: Path) -> None:
    _cli(wordnet_project, "ingest", "folder", str(_folder(tmp_path / "photos")))
    code, _, err = _cli(wordnet_project, "label", "accept", "--synset", DOG)
    assert code == 2 and "--reason" in err
    code, _, err = _cli(wordnet_project, "label", "accept", "--reason", "why")
    assert code == 1 and "E_NO_SELECTION" in err
    code, _, err = _cli(wordnet_project, "label", "accept", "--synset", "n0208407", "--reason", "r")
    assert code == 1 and f"did you mean {DOG}" in err
    code, _, err = _cli(wordnet_project, "label", "trust", str(tmp_path / "elsewhere"))
    assert code == 1 and "E_UNKNOWN_SOURCE" in err and "folder:" in err
    assert set(_statuses(wordnet_project).values()) == {("candidate", None)}
