"""``synsetdb eval`` on a real project's release: CSV and ILSVRC prediction files."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from synsetdb.catalog import Project
from synsetdb.cli import cli
from synsetdb.release import load_release
from tests.fixtures.photos import jpeg_variants
from tests.release.catalog_rows import ingest_photos

TENCH, GOLDFISH, DOG = "n01440764", "n01443537", "n02084071"
SHARK, CAT, BALL = "n01484850", "n02121808", "n04254680"
NASDAQ = "n03810186"  # "National Association of Securities Dealers Automated Quotations"
DOCS = Path(__file__).parents[2] / "docs" / "evaluate.md"


def run(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--project", str(project), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _release(
    project_dir: Path, tmp_path: Path, wnids: Sequence[str] = (TENCH, GOLDFISH, DOG)
) -> list[tuple[str, str]]:
    """A release "r" of these classes, 6 images each, val 2; its val (name, wnid) pairs by name."""
    project = Project.open(project_dir)
    photos = jpeg_variants(6 * len(wnids))
    classes = {wnid: photos[6 * i : 6 * i + 6] for i, wnid in enumerate(wnids)}
    ingest_photos(project, tmp_path / "photos", classes)
    spec = tmp_path / "r.toml"
    listed = ", ".join(f'"{wnid}"' for wnid in wnids)
    spec.write_text(f"[selection]\nwnids = [{listed}]\n[splits]\nval = 2\n")
    project.close()
    code, _, err = run(project_dir, "release", "create", "r", "--spec", str(spec))
    assert code == 0, err
    project = Project.open(project_dir)
    val = sorted(load_release(project, "r").manifest.items_in("val"), key=lambda i: i.name)
    project.close()
    return [(item.name, item.wnid) for item in val]


def test_eval_scores_csv_and_ilsvrc_files(wordnet_project: Path, tmp_path: Path) -> None:
    val = _release(wordnet_project, tmp_path)
    assert len(val) == 6
    # right on every image but the first dog, which is taken for a tench (a fish)
    wrong = next(i for i, (_, wnid) in enumerate(val) if wnid == DOG)
    rows = ["name,guess1,guess2"]
    for i, (name, wnid) in enumerate(val):
        rows.append(f"{name},{TENCH},{DOG}" if i == wrong else f"{name},{wnid},{TENCH}")
    csv_file = tmp_path / "preds.csv"
    csv_file.write_text("\n".join(rows) + "\n")
    code, out, err = run(wordnet_project, "eval", str(csv_file), "--release", "r", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["images"] == 6
    assert result["top1_error"] == pytest.approx(1 / 6)
    # two guesses per row, three classes: no top-5 error, and no distance over five guesses
    assert result["top5_error"] is None
    assert result["hierarchical_distance"]["5"] is None
    assert result["hierarchical_distance"]["20"] is None
    assert result["not_computed"] == {
        "top5_error": "only 3 classes: top-5 needs 5",
        "hierarchical_distance@5": "only 3 classes: distance@5 needs 5",
        "hierarchical_distance@20": "only 3 classes: distance@20 needs 20",
    }
    assert result["per_class_accuracy"] == {TENCH: 1.0, GOLDFISH: 1.0, DOG: 0.5}
    assert result["top1_errors"] == 1 and result["mistake_severity"] > 0
    with Image.open(result["plot"]) as plot:
        assert plot.format == "PNG"

    # the same predictions as an ILSVRC submission: 1-based ids in name order
    index = {TENCH: 1, GOLDFISH: 2, DOG: 3}  # classes in wnid order
    lines = [
        f"{index[TENCH]} {index[DOG]}" if i == wrong else f"{index[wnid]} {index[TENCH]}"
        for i, (_, wnid) in enumerate(val)
    ]
    ilsvrc = tmp_path / "preds.txt"
    ilsvrc.write_text("\n".join(lines) + "\n")
    code, out, _ = run(
        wordnet_project, "eval", str(ilsvrc), "--release", "r", "--format", "ilsvrc", "--json"
    )
    again = json.loads(out)
    assert code == 0 and again["top1_error"] == result["top1_error"]
    assert again["mistake_severity"] == result["mistake_severity"]

    code, out, _ = run(wordnet_project, "eval", str(csv_file), "--release", "r")
    assert code == 0 and re.search(r"top-1 error +0\.1667\b", out), out
    assert re.search(r"top-5 error +not computed: only 3 classes: top-5 needs 5", out), out
    assert re.search(r"images +6 \(r / val\)", out) and "0.0000" not in out.split("top-5")[1][:30]


def test_bad_prediction_files_fail_with_a_line_number(
    wordnet_project: Path, tmp_path: Path
) -> None:
    val = _release(wordnet_project, tmp_path)
    cases = {
        "unknown.csv": ("name,g\nnot-an-image,n01440764\n", ", line 2: no image named"),
        "class.csv": (f"name,g\n{val[0][0]},n09999999\n", ", line 2: 'n09999999' is neither"),
        "twice.csv": (f"name,g\n{val[0][0]},0\n{val[0][0]},1\n", ", line 3: image"),
        "missing.csv": (f"name,g\n{val[0][0]},0\n", ": no predictions for 5 image(s)"),
        "superscript.csv": (f"name,g\n{val[0][0]},\u00b2\n", ", line 2: '²' is neither"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        code, out, err = run(wordnet_project, "eval", str(path), "--release", "r")
        assert code == 1 and err.startswith("error [E_PREDICTIONS]: "), (name, err)
        assert f"{path}{message}" in err and "Traceback" not in out + err, (name, err)
    short = tmp_path / "short.txt"
    short.write_text("1 2\n")
    code, _, err = run(wordnet_project, "eval", str(short), "--release", "r", "--format", "ilsvrc")
    assert code == 1 and "1 lines for 6 images" in err
    odd = tmp_path / "odd.txt"
    odd.write_text("1\n" * 5 + "\u00b2\n")
    code, _, err = run(wordnet_project, "eval", str(odd), "--release", "r", "--format", "ilsvrc")
    assert code == 1 and "E_PREDICTIONS" in err and "line 6" in err
    code, _, err = run(wordnet_project, "eval", str(short), "--release", "nope")
    assert code == 1 and "E_NO_RELEASE" in err
    code, _, err = run(wordnet_project, "eval", str(short), "--release", "r", "--split", "dev")
    assert code == 1 and "[E_NO_SPLIT]" in err


def test_the_plot_never_overwrites_the_predictions(wordnet_project: Path, tmp_path: Path) -> None:
    val = _release(wordnet_project, tmp_path)
    predictions = tmp_path / "preds.csv"
    predictions.write_text("name,g\n" + "".join(f"{name},{wnid}\n" for name, wnid in val))
    before = predictions.read_bytes()
    code, out, err = run(
        wordnet_project, "eval", str(predictions), "--release", "r", "--plot", str(predictions)
    )
    assert code == 1 and "[E_OPTIONS]" in err and "Traceback" not in out + err
    assert predictions.read_bytes() == before
    missing = tmp_path / "no-such-folder" / "plot.png"
    code, out, err = run(
        wordnet_project, "eval", str(predictions), "--release", "r", "--plot", str(missing)
    )
    assert code == 1 and "[E_WRITE]" in err and "no folder" in err
    for args in (
        ["--per-class-csv", str(predictions)],
        ["--per-class-csv", "x.png", "--plot", "x.png"],
    ):
        code, out, err = run(wordnet_project, "eval", str(predictions), "--release", "r", *args)
        assert code == 1 and "[E_OPTIONS]" in err and "Traceback" not in out + err, args
    assert predictions.read_bytes() == before
    assert sorted(p.name for p in tmp_path.glob("preds*")) == ["preds.csv"]
    code, out, err = run(wordnet_project, "eval", str(predictions), "--release", "r",
                         "--per-class", "some")  # fmt: skip
    assert code == 2 and "'some' is neither a number of rows nor 'all'" in err


# ----------------------------------------------------------------------------- per class


def eval_80(project: Path, cwd: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """``synsetdb eval`` in this process at 80 columns, run from ``cwd`` (faster than a process)."""
    monkeypatch.chdir(cwd)
    env = {"COLUMNS": "80", "SYNSETDB_PROJECT": str(project)}
    result = CliRunner(env=env).invoke(cli, ["eval", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def eval_piped(project: Path, cwd: Path, *args: str, columns: int = 80) -> str:
    """``synsetdb eval`` in a real process, its output piped (not a terminal), COLUMNS set."""
    env = {**os.environ, "COLUMNS": str(columns), "SYNSETDB_PROJECT": str(project)}
    done = subprocess.run(
        [sys.executable, "-m", "synsetdb", "eval", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_per_class_table_fits_80_columns_worst_first(
    wordnet_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    val = _release(wordnet_project, tmp_path, (TENCH, DOG, NASDAQ))
    # tench always right; one dog taken for a tench; both NASDAQ images taken for dogs
    wrong_dog = next(name for name, wnid in val if wnid == DOG)
    rows = ["name,g1,g2,g3"]
    for name, wnid in val:
        first = {NASDAQ: DOG}.get(wnid, TENCH if name == wrong_dog else wnid)
        rows.append(",".join([name, first, *(w for w in (TENCH, DOG, NASDAQ) if w != first)]))
    (tmp_path / "preds.csv").write_text("\n".join(rows) + "\n")
    out = eval_piped(wordnet_project, tmp_path, "preds.csv", "--release", "r")
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80, out
    header = next(i for i, line in enumerate(lines) if re.match(r"wnid +class +images", line))
    table = lines[header + 1 :]
    # worst first: NASDAQ (both wrong), dog (one of two), tench; each wnid whole on its row
    starts = [line.split()[0] for line in table if re.match(r"n\d{8}\b", line)]
    assert starts == [NASDAQ, DOG, TENCH], out
    assert re.match(rf"{NASDAQ} +National Association\b.* 2 +1\.0000$", table[0]), out
    # the long name wraps inside its column (the next line goes on with it), every word kept
    assert table[1].startswith(" " * 11) and "Quotations" in table[1], out
    name_words = " ".join(line[11:].split("  ")[0].strip() for line in table[:2]).split()
    assert name_words == [
        "National",
        "Association",
        "of",
        "Securities",
        "Dealers",
        "Automated",
        "Quotations",
    ]
    assert re.search(rf"^{DOG} +dog +2 +0\.5000$", out, re.M), out
    assert "3 of 3 classes" in out

    # the first N rows, then where the rest are; every class in the CSV and the JSON
    table_csv = tmp_path / "classes.csv"
    out = eval_80(
        wordnet_project, tmp_path, "preds.csv", "--release", "r", "--per-class", "1",
        "--per-class-csv", "classes.csv", monkeypatch=monkeypatch,
    )  # fmt: skip
    assert [line.split()[0] for line in out.splitlines() if re.match(r"n\d{8}\b", line)] == [NASDAQ]
    assert "1 of 3 classes shown" in out and "--per-class all" in out
    assert re.search(r"^per-class CSV +classes\.csv$", out, re.M), out
    with table_csv.open(newline="") as f:
        written = list(csv.DictReader(f))
    assert [r["wnid"] for r in written] == [NASDAQ, DOG, TENCH]
    assert written[0]["name"].startswith("National Association")
    assert written[1]["images"] == "2" and float(written[1]["top1_error"]) == 0.5
    assert written[0]["top5_error"] == ""  # three classes: not computed
    result = json.loads(
        eval_80(wordnet_project, tmp_path, "preds.csv", "--release", "r", "--json",
                monkeypatch=monkeypatch)
    )  # fmt: skip
    assert [c["wnid"] for c in result["per_class"]] == [NASDAQ, DOG, TENCH]
    assert result["per_class"][1] == {
        "wnid": DOG, "name": "dog", "images": 2, "top1_error": 0.5, "top5_error": None,
    }  # fmt: skip
    out = eval_80(wordnet_project, tmp_path, "preds.csv", "--release", "r", "--per-class", "0",
                  monkeypatch=monkeypatch)  # fmt: skip
    assert not re.search(r"^n\d{8}", out, re.M) and "--per-class all" in out


def _docs_block(command: str) -> list[str]:
    """The output docs/evaluate.md shows under ``$ COMMAND`` (its fenced block's lines)."""
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"$ {command}") + 1
    end = lines.index("```", start)
    return lines[start:end]


def test_the_docs_show_real_output(
    wordnet_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/evaluate.md's examples are this run's output, to the character."""
    classes = (TENCH, GOLDFISH, SHARK, DOG, CAT, BALL)
    val = _release(wordnet_project, tmp_path, classes)
    wrong_dog, wrong_cat = (next(n for n, w in val if w == c) for c in (DOG, CAT))
    rows5, rows3 = ["name,g1,g2,g3,g4,g5"], ["name,g1,g2,g3"]
    for name, wnid in val:
        if wnid == SHARK:  # both sharks taken for tench, the shark second
            guesses = [TENCH, SHARK, GOLDFISH, DOG, CAT]
        elif name == wrong_dog:  # a dog taken for a cat
            guesses = [CAT, BALL, DOG, TENCH, GOLDFISH]
        elif name == wrong_cat:  # a cat not among the five guesses at all
            guesses = [DOG, BALL, TENCH, GOLDFISH, SHARK]
        else:
            guesses = [wnid, *(c for c in classes if c != wnid)][:5]
        rows5.append(",".join([name, *guesses]))
        rows3.append(",".join([name, *guesses[:3]]))
    (tmp_path / "preds.csv").write_text("\n".join(rows5) + "\n")
    (tmp_path / "preds3.csv").write_text("\n".join(rows3) + "\n")
    for command in (
        "synsetdb eval preds.csv --release r --per-class 4",
        "synsetdb eval preds3.csv --release r --per-class 2",
    ):
        out = eval_80(wordnet_project, tmp_path, *command.split()[2:], monkeypatch=monkeypatch)
        assert out.splitlines() == _docs_block(command), out
