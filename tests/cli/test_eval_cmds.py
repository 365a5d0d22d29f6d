"""``synsetdb eval`` on a real project's release: CSV and ILSVRC prediction files."""

from __future__ import annotations

import json
import re
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


def run(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--project", str(project), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _release(project_dir: Path, tmp_path: Path) -> list[tuple[str, str]]:
    """A release "r" of three classes, val 2 each; its val (name, wnid) pairs by name."""
    project = Project.open(project_dir)
    photos = jpeg_variants(18)
    classes = {TENCH: photos[:6], GOLDFISH: photos[6:12], DOG: photos[12:]}
    ingest_photos(project, tmp_path / "photos", classes)
    spec = tmp_path / "r.toml"
    spec.write_text(f'[selection]\nwnids = ["{TENCH}", "{GOLDFISH}", "{DOG}"]\n[splits]\nval = 2\n')
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
    assert result["top1_error"] == pytest.approx(1 / 6) and result["top5_error"] == 0.0
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
    assert re.search(r"top-5 error +0\.0000\b", out) and re.search(r"images +6 \(r / val\)", out)


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
    assert sorted(p.name for p in tmp_path.glob("preds*")) == ["preds.csv"]
