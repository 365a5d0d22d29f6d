"""``synsetdb worker …`` and ``synsetdb verify …`` on a real project."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from synsetdb.catalog import Project
from synsetdb.cli import cli
from tests.fixtures.catalog_images import add_image_row

TENCH = "n01440764"


def run(project: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        cli, ["--project", str(project), *args], input=stdin, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def _candidates(project_dir: Path, n: int) -> list[int]:
    project = Project.open(project_dir)
    ids = []
    for i in range(n):
        ids.append(
            project.catalog.add_candidate(add_image_row(project.catalog, f"tench-{i}"), TENCH)
        )
    project.close()
    return ids


def test_workers_are_added_with_a_hidden_password_and_listed(wordnet_project: Path) -> None:
    code, out, _ = run(
        wordnet_project,
        "worker",
        "add",
        "ann",
        "--admin",
        "--password-stdin",
        stdin="a long password\n",
    )
    assert code == 0 and "added admin ann" in out
    code, _, err = run(
        wordnet_project, "worker", "add", "ann", "--password-stdin", stdin="another password\n"
    )
    assert code == 1 and "E_WORKER_EXISTS" in err
    code, _, err = run(wordnet_project, "worker", "add", "bob", "--password-stdin", stdin="short\n")
    assert code == 1 and "E_CONFIG" in err
    code, out, _ = run(wordnet_project, "worker", "list", "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "id": 1,
            "name": "ann",
            "role": "admin",
            "is_active": True,
            "can_sign_in": True,
            "can_browse": False,
            "may_browse": True,  # an admin browses without the grant
        }
    ]
    assert run(wordnet_project, "worker", "disable", "ann")[0] == 0
    assert json.loads(run(wordnet_project, "worker", "list", "--json")[1])[0]["is_active"] is False
    code, _, err = run(wordnet_project, "worker", "enable", "nobody")
    assert code == 1 and "E_NO_WORKER" in err


def test_browsing_is_granted_and_taken_back(wordnet_project: Path) -> None:
    code, out, _ = run(
        wordnet_project,
        "worker",
        "add",
        "lab",
        "--browse",
        "--password-stdin",
        stdin="a password\n",
    )
    assert code == 0 and "added worker lab who may browse" in out
    run(wordnet_project, "worker", "add", "crowd", "--password-stdin", stdin="a password\n")

    def rights() -> dict[str, bool]:
        listed = json.loads(run(wordnet_project, "worker", "list", "--json")[1])
        return {w["name"]: w["may_browse"] for w in listed}

    assert rights() == {"crowd": False, "lab": True}
    assert run(wordnet_project, "worker", "browse", "crowd", "on")[1] == "crowd may browse\n"
    assert run(wordnet_project, "worker", "browse", "lab", "off")[0] == 0
    assert rights() == {"crowd": True, "lab": False}
    code, _, err = run(wordnet_project, "worker", "browse", "nobody", "on")
    assert code == 1 and "E_NO_WORKER" in err
    assert run(wordnet_project, "worker", "browse", "lab", "maybe")[0] == 2


def test_votes_in_status_and_aggregate(wordnet_project: Path, tmp_path: Path) -> None:
    ids = _candidates(wordnet_project, 6)
    votes = tmp_path / "votes.csv"
    rows = [f"{c},W{w},{int(n < 3)}" for w in range(6) for n, c in enumerate(ids)]
    votes.write_text("task,worker,label\n" + "\n".join(rows) + "\n")
    code, out, _ = run(wordnet_project, "verify", "import-votes", str(votes), "--json")
    assert code == 0 and json.loads(out)["votes"] == 36
    code, _, err = run(wordnet_project, "verify", "import-votes", str(votes))
    assert code == 1 and "E_ALREADY_IMPORTED" in err
    code, out, _ = run(
        wordnet_project, "verify", "status", "--synset", TENCH, "--candidates", "--json"
    )
    assert code == 0
    status = json.loads(out)
    assert status["synsets"][0]["wnid"] == TENCH and status["synsets"][0]["votes"] == 36
    assert [c["yes"] for c in status["candidates"]] == [6, 6, 6, 0, 0, 0]
    assert status["candidates"][0]["confidence"] > status["candidates"][3]["confidence"]
    code, out, _ = run(
        wordnet_project, "verify", "aggregate", "--method", "majority", "--apply", "--json"
    )
    assert code == 0 and json.loads(out)["applied"] == {"accepted": 3, "rejected": 3}
    code, _, err = run(wordnet_project, "verify", "status", "--candidates")
    assert code == 2 and "--candidates needs --synset" in err


def test_export_tasks_and_bad_vote_files(wordnet_project: Path, tmp_path: Path) -> None:
    _candidates(wordnet_project, 5)
    out_file = tmp_path / "tasks.csv"
    code, out, _ = run(
        wordnet_project, "verify", "export-tasks", str(out_file), "--batch-size", "2"
    )
    assert code == 0 and "wrote 3 batch(es)" in out and out_file.read_text().count("\n") == 4
    bad = tmp_path / "bad.csv"
    bad.write_text("task,worker,label\n1,W1,perhaps\n")
    code, _, err = run(wordnet_project, "verify", "import-votes", str(bad))
    assert code == 1 and "E_VOTES_FILE" in err and "line 2" in err


def test_simulate_prints_every_strategy(wordnet_project: Path) -> None:
    code, out, _ = run(
        wordnet_project,
        "verify",
        "simulate",
        "--synsets",
        "2",
        "--candidates",
        "200",
        "--workers",
        "60",
        "--json",
    )
    assert code == 0
    assert [o["strategy"] for o in json.loads(out)] == [
        "fixed 10-vote majority",
        "fixed 10 votes, confidence table",
        "Dawid-Skene, fixed 5 votes",
        "dynamic consensus",
        "oracle bound",
    ]
