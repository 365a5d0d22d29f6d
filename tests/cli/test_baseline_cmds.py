"""``synsetdb baseline nn|nbnn|treemax`` and ``synsetdb cluster`` on a real project's release."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from PIL import Image

from tests.cli.test_eval_cmds import DOG, GOLDFISH, TENCH, _release, run


@pytest.fixture
def project(wordnet_project: Path, tmp_path: Path) -> Path:
    """The eval tests' release "r": tench, goldfish, dog; train 4 and val 2 each."""
    _release(wordnet_project, tmp_path)
    return wordnet_project


def test_nn_json_predictions_chain_into_eval(project: Path, tmp_path: Path) -> None:
    predictions, plot = tmp_path / "nn.csv", tmp_path / "nn.png"
    code, out, err = run(
        project, "baseline", "nn", "--release", "r", "--k", "3", "--json",
        "--predictions", str(predictions), "--plot", str(plot),
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert result["baseline"] == "nn" and result["release"] == "r" and result["split"] == "val"
    assert result["images"] == 6 and result["classes"] == 3 and result["options"]["k"] == 3
    assert set(result["auc_by_height"]) >= {"0"}
    assert result["nodes_by_height"]["0"] == 3
    assert {TENCH, GOLDFISH, DOG} <= set(result["node_auc"])
    with Image.open(plot) as image:
        assert image.format == "PNG"
    code, out, err = run(project, "eval", str(predictions), "--release", "r", "--json")
    assert code == 0, err
    scored = json.loads(out)
    assert scored["top1_error"] == result["top1_error"]
    assert scored["top5_error"] == result["top5_error"]
    # the same guesses as an ILSVRC submission: 1-based ids, the images in name order
    submission = tmp_path / "nn.txt"
    args = ["--predictions", str(submission), "--predictions-format", "ilsvrc"]
    code, _, err = run(project, "baseline", "nn", "--release", "r", "--k", "3", *args)
    assert code == 0, err
    lines = submission.read_text().splitlines()
    assert len(lines) == 6 and all(set(line.split()) <= {"1", "2", "3"} for line in lines)
    code, out, err = run(project, "eval", str(submission), "--release", "r", "--format", "ilsvrc")
    assert code == 0, err
    assert re.search(rf"top-1 error +{scored['top1_error']:.4f}\b", out), out


def test_a_k_the_data_cannot_give_is_capped_warned_and_reported(
    project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The default k=100 over 12 training images (4 a class) would score chance."""
    with caplog.at_level(logging.WARNING):
        code, out, err = run(project, "baseline", "nn", "--release", "r", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["options"]["k"] == 4
    [capped] = result["capped"]
    assert capped["option"] == "k" and (capped["requested"], capped["used"]) == (100, 4)
    # the warning (stderr, through logging) says what was asked, what ran and what to do
    [warning] = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "k=100" in warning and "using k=4" in warning and "--k 4" in warning
    code, out, err = run(project, "baseline", "nn", "--release", "r")
    assert code == 0, err
    assert re.search(r"^k +4 \(asked for 100; capped: reaches all 12 'train' images", out, re.M)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        code, out, err = run(project, "baseline", "nn", "--release", "r", "--k", "3")
    assert code == 0 and not caplog.records and "capped" not in out
    assert re.search(r"^k +3$", out, re.M), out


def test_nbnn_and_treemax_print_a_table(project: Path) -> None:
    code, out, err = run(project, "baseline", "nbnn", "--release", "r", "--per-class", "2")
    assert code == 0, err
    assert "nbnn-2" in out and "top-1 error" in out and "mean AUC" in out
    code, out, err = run(
        project, "baseline", "treemax", "--release", "r", "--embedder", "hist", "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["baseline"] == "treemax" and "ColourHistogram" in result["options"]["embedder"]


def test_cluster_writes_a_sheet_per_cluster(project: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "sheets"
    code, out, err = run(
        project, "cluster", DOG, "--k", "2", "--release", "r", "--out", str(out_dir), "--json"
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["wnid"] == DOG and result["k"] == 2
    assert sum(c["size"] for c in result["clusters"]) == 6  # every dog image, both splits
    assert sorted(p.name for p in out_dir.iterdir()) == ["cluster-00.png", "cluster-01.png"]
    code, out, err = run(project, "cluster", DOG, "--k", "1", "--release", "r", "--out",
                         str(out_dir), "--split", "val", "--embedder", "hog")  # fmt: skip
    assert code == 0, err
    assert "cluster 0: 2 image(s)" in out


BAD_INPUT = [
    (["baseline", "nn", "--release", "nope"], "E_NO_RELEASE"),
    (["baseline", "nn", "--release", "r", "--split", "test"], "E_NO_SPLIT"),
    (["baseline", "nbnn", "--release", "r", "--train-split", "test"], "E_NO_SPLIT"),
    (["baseline", "nn", "--release", "r", "--k", "0"], "E_OPTIONS"),
    (["baseline", "treemax", "--release", "r", "--max-negatives", "0"], "E_OPTIONS"),
    (["baseline", "treemax", "--release", "r", "--seed", "-1"], "E_OPTIONS"),
    (["baseline", "nbnn", "--release", "r", "--side", "8"], "E_OPTIONS"),
    (["baseline", "nbnn", "--release", "r", "--per-class", "0"], "E_OPTIONS"),
    (["cluster", "n09999999", "--k", "2", "--release", "r"], "E_NOT_IN_RELEASE"),
    (["cluster", DOG, "--k", "7", "--release", "r"], "E_OPTIONS"),
    (["cluster", DOG, "--k", "2", "--release", "r", "--seed", "-1"], "E_OPTIONS"),
    (["cluster", DOG, "--k", "2", "--release", "r", "--split", "test"], "E_NO_SPLIT"),
]


def test_bad_input_is_one_line_with_a_code(project: Path, tmp_path: Path) -> None:
    nowhere, twice = str(tmp_path / "no-such-folder" / "nn.csv"), str(tmp_path / "nn.csv")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    nn = ["baseline", "nn", "--release", "r"]
    files = [
        ([*nn, "--predictions", nowhere], "E_WRITE"),
        ([*nn, "--plot", nowhere], "E_WRITE"),
        ([*nn, "--predictions", twice, "--plot", twice], "E_OPTIONS"),  # one clobbers the other
        (["cluster", DOG, "--k", "1", "--release", "r", "--out", f"{blocker}/sheets"], "E_WRITE"),
    ]
    for args, code in BAD_INPUT + files:
        exit_code, out, err = run(project, *args)
        assert exit_code == 1 and f"[{code}]" in err, (args, err)
        assert "Traceback" not in err + out and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "nn.csv").exists()
