"""``synsetdb versions [--json] [--diff A B]``: the table, its matrix in 80 columns, diffs."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner

from synsetdb.cli import cli
from synsetdb.hierarchy import named_sets
from tests.audit.versions_project import FAGOT, GOOK, build_versions_project

TEDDY = "n04399382"


@pytest.fixture(scope="module")
def project(wordnet_project_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_versions_project(wordnet_project_template, tmp_path_factory.mktemp("v") / "p")


def run(
    *args: str, project: Path | None = None, env: Mapping[str, str | None] | None = None
) -> tuple[int, str, str]:
    """The command, piped, 80 columns wide unless ``env`` says; outside any project by default."""
    where = ["--project", str(project)] if project is not None else []
    runner = CliRunner(env={"COLUMNS": "80", "SYNSETDB_PROJECT": None, **(env or {})})
    result = runner.invoke(cli, [*where, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _fits(out: str, width: int = 80) -> None:
    too_long = [line for line in out.splitlines() if len(line) > width]
    assert not too_long, "\n".join(too_long)


def _is_header(line: str) -> bool:
    """A block's column numbers: blank under the row numbers (2 wide), then plain numbers."""
    return line.startswith("   ") and re.fullmatch(r"[\s\d]+", line) is not None


def test_outside_a_project_the_named_sets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("versions")
    assert code == 0
    _fits(out)
    words = out.split()
    assert all(name in words for name in named_sets())  # every name whole, even the longest
    assert "release" not in out.splitlines()[0]
    line = next(x for x in out.splitlines() if x.split()[1:2] == ["imagenet21k-fall11"])
    assert line.split() == ["2", "imagenet21k-fall11", "21,841", "2,836", "1", "1", "0"]
    assert "771 of 11,221 classes" in " ".join(words)  # what the 2021 filtering removed


def test_the_overlap_matrix_fits_in_blocks_of_columns(project: Path) -> None:
    code, out, _ = run("versions", project=project)
    assert code == 0
    _fits(out)
    n = len(named_sets()) + 2  # and the two releases
    lines = out.splitlines()
    start = lines.index("overlap |A ∩ B|, rows and columns numbered as above:")
    matrix = lines[start + 1 : lines.index("", start)]
    headers = [line for line in lines[start:] if _is_header(line)]
    columns = [int(x) for header in headers for x in header.split()]
    assert columns == list(range(1, n + 1))  # every column once, in order, over the blocks
    assert len(headers) > 1  # 25 columns of up to 6 digits do not fit in one block of 80
    first = [line.split() for line in matrix[1:]]
    assert [row[0] for row in first] == [str(i) for i in range(1, n + 1)]
    assert first[0][1:3] == ["1,000", "999"]  # ILSVRC-2012 with itself, with fall11
    code, wide, _ = run("versions", project=project, env={"COLUMNS": "250"})
    assert sum(1 for line in wide.splitlines() if _is_header(line)) == 1


def test_the_releases_are_listed_after_the_sets(project: Path) -> None:
    code, out, _ = run("versions", project=project)
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    header = next(i for i, r in enumerate(rows) if r[:2] == ["#", "release"])
    assert rows[header + 1] == ["24", "release:ilsvrc2012", "2", "0", "0", "0", "0"]
    assert rows[header + 2] == ["25", "r1", "4", "2", "2", "0", "0"]


def test_json_has_the_rows_the_matrix_and_the_removal(project: Path) -> None:
    code, out, _ = run("versions", "--json", project=project)
    assert code == 0
    data = json.loads(out)
    keys = [row["key"] for row in data["rows"]]
    assert keys == [*named_sets(), "release:ilsvrc2012", "r1"]
    assert data["overlap"]["keys"] == keys
    matrix = data["overlap"]["matrix"]
    assert matrix[keys.index("ilsvrc2012")][keys.index("imagenet21k-fall11")] == 999
    assert matrix[keys.index("r1")][keys.index("person")] == 2
    removal = data["winter21_removal"]
    assert (removal["removed"], removal["removed_person"], removal["added"]) == (771, 771, 0)


def test_diff_lists_the_classes_of_each_side(project: Path) -> None:
    code, out, _ = run("versions", "--diff", "imagenet21k-fall11", "ilsvrc2012", project=project)
    assert code == 0
    _fits(out)
    lines = out.splitlines()
    assert lines[0] == (
        "imagenet21k-fall11 (21,841 classes) and ilsvrc2012 (1,000 classes): 999 in both"
    )
    assert "only in imagenet21k-fall11: 20,842 (2,833 in the person subtree); the first 20" in out
    assert "only in ilsvrc2012: 1 (0 in the person subtree)" in out
    assert lines[-1].split() == [TEDDY, "teddy"]
    code, out, _ = run("versions", "--diff", "r1", "release:ilsvrc2012", project=project)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines() if line.startswith("  n")] == [
        GOOK,
        FAGOT,
    ]
    assert out.count("person, sensitive") == 2


def test_diff_json_lists_every_class_unless_limited(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("versions", "--diff", "imagenet21k-p", "imagenet21k-p-winter21", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["only_a_count"], data["only_b_count"], data["only_a_person"]) == (771, 0, 771)
    assert len(data["only_a"]) == 771 and data["listed"] is None
    code, out, _ = run(
        "versions", "--diff", "r1", "ilsvrc2012", "--json", "--limit", "1", project=project
    )
    assert code == 0
    data = json.loads(out)
    assert (data["listed"], data["only_a_count"], len(data["only_a"])) == (1, 2, 1)
    assert data["only_a"][0]["wnid"] == GOOK


def test_an_unknown_version_is_one_line_and_exit_1(project: Path) -> None:
    code, out, err = run("versions", "--diff", "imagenet-21k", "r1", project=project)
    assert code == 1 and out == ""
    assert err.startswith("error [E_UNKNOWN_VERSION]: no version named 'imagenet-21k'; known: ")
    assert len(err.strip().splitlines()) == 1


def test_the_documented_diff_is_the_real_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/versions.md's ``--diff`` example, outside a project (the named sets only)."""
    from tests.cli.test_docs_examples import ROOT, _examples, _matches, _normal

    examples = [
        e for e in _examples(ROOT / "docs" / "versions.md") if e.args[:2] == ("versions", "--diff")
    ]
    assert examples
    monkeypatch.chdir(tmp_path)
    for example in examples:
        code, out, _ = run(*example.args)
        assert code == 0
        assert _matches(_normal(out.rstrip("\n").splitlines()), tuple(_normal(example.output)))
