"""Predictions for the label checks: the file's format and its errors, and cross-validation."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from synsetdb.audit import AuditConfig, code_counts, run_audit
from synsetdb.audit.predictions import (
    CrossValidation,
    cross_validated_probs,
    knn_probs,
    read_predictions,
    stratified_folds,
)
from synsetdb.catalog import Project
from synsetdb.errors import AuditError
from tests.audit._labels_data import (
    BLUE,
    RED,
    accept,
    make_project,
    one_hot_probs,
    row_image,
    save_predictions,
)

IDS = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(4)]
GOOD = one_hot_probs([0, 0, 1, 1], 2)


def _npz(**arrays: object) -> Callable[[Path], Path]:
    def write(path: Path) -> Path:
        values = {"image_ids": np.asarray(IDS), "wnids": np.asarray([RED, BLUE]), "probs": GOOD}
        values.update(arrays)  # type: ignore[arg-type]
        np.savez(path, **{k: v for k, v in values.items() if v is not None})  # type: ignore[arg-type]
        return path

    return write


def _with(row: int, values: list[float]) -> np.ndarray:
    probs = GOOD.copy()
    probs[row] = values
    return probs


def _garbage(path: Path) -> Path:
    path.write_bytes(b"not a zip file")
    return path


@pytest.mark.parametrize(
    ("write", "message"),
    [
        (lambda p: p, "no such file"),
        (_garbage, "not a readable .npz"),
        (_npz(probs=None), "no array probs"),
        (_npz(probs=GOOD[:3]), "probs has shape (3, 2); needs (images, classes) = (4, 2)"),
        (_npz(probs=GOOD[:, :1], wnids=np.asarray([RED])), "at least 2 classes"),
        (_npz(probs=_with(2, [np.nan, 0.5])), f"image {IDS[2]} (row 2) has NaN or infinity"),
        (_npz(probs=_with(1, [0.5, 0.6])), f"image {IDS[1]} (row 1) sums to 1.1, not 1"),
        (_npz(probs=_with(0, [-0.5, 1.5])), "has a negative probability"),
        (_npz(probs=np.asarray([["a", "b"]] * 4)), "probs must hold numbers"),
        (_npz(image_ids=np.asarray(["x", *IDS[1:]])), "image id 'x' is not a sha256"),
        (_npz(image_ids=np.asarray([IDS[0], *IDS[:3]])), "image_ids holds"),
        (_npz(wnids=np.asarray([RED, RED])), f"wnids holds {RED!r} more than once"),
        (_npz(image_ids=np.arange(4)), "image_ids must be a 1-d array of strings"),
        (_npz(wnids=np.asarray([RED, None], dtype=object)), "not a readable .npz"),
    ],
)
def test_a_bad_predictions_file_is_refused_with_its_code(
    tmp_path: Path, write: Callable[[Path], Path], message: str
) -> None:
    path = write(tmp_path / "p.npz")
    with pytest.raises(AuditError) as raised:
        read_predictions(path)
    assert raised.value.code == "E_PREDICTIONS"
    assert message in str(raised.value) and str(path) in str(raised.value)


def test_a_good_file_reads_back_and_integers_become_floats(tmp_path: Path) -> None:
    found = read_predictions(_npz()(tmp_path / "p.npz"))
    assert found.image_ids == tuple(IDS) and found.wnids == (RED, BLUE)
    assert found.probs.dtype == np.float64 and found.row_of()[IDS[3]] == 3  # kept as stored
    hard = read_predictions(_npz(probs=np.eye(2, dtype=np.int64)[[0, 0, 1, 1]])(tmp_path / "h.npz"))
    assert hard.probs.dtype == np.float32 and hard.probs[2].tolist() == [0.0, 1.0]


def test_parquet_holds_an_image_id_column_and_one_column_per_wnid(tmp_path: Path) -> None:
    pyarrow = pytest.importorskip("pyarrow")
    parquet = pytest.importorskip("pyarrow.parquet")
    table = pyarrow.table({"image_id": IDS, RED: GOOD[:, 0], BLUE: GOOD[:, 1]})
    parquet.write_table(table, tmp_path / "p.parquet")
    found = read_predictions(tmp_path / "p.parquet")
    assert found.wnids == (RED, BLUE) and np.allclose(found.probs, GOOD)
    parquet.write_table(pyarrow.table({"image": IDS, RED: GOOD[:, 0]}), tmp_path / "b.parquet")
    with pytest.raises(AuditError, match="no column image_id") as raised:
        read_predictions(tmp_path / "b.parquet")
    assert raised.value.code == "E_PREDICTIONS"


# ----------------------------------------------------------------------------- in an audit


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Project]:
    opened = make_project(tmp_path / "project", "sqlite://")
    yield opened
    opened.close()


def test_ids_outside_the_catalog_fail_the_run_and_keep_the_stored_findings(
    project: Project, tmp_path: Path
) -> None:
    red = [row_image(project, f"red-{i}") for i in range(5)]
    blue = [row_image(project, f"blue-{i}") for i in range(5)]
    accept(project, red, RED)
    accept(project, blue, BLUE)
    favoured = [1, 0, 0, 0, 0, 1, 1, 1, 1, 1]  # the first red image looks blue
    good = save_predictions(tmp_path / "p.npz", red + blue, [RED, BLUE], one_hot_probs(favoured, 2))
    run_audit(project, AuditConfig(select=("LBL001",), predictions=good))
    stranger = hashlib.sha256(b"someone else's image").hexdigest()
    bad = save_predictions(
        tmp_path / "q.npz", [*red, *blue, stranger], [RED, BLUE], one_hot_probs([*favoured, 0], 2)
    )
    with pytest.raises(
        AuditError, match=f"1 image id\\(s\\) are not in the catalog \\(first {stranger}"
    ) as raised:
        run_audit(project, AuditConfig(select=("LBL001",), predictions=bad))
    assert raised.value.code == "E_PREDICTIONS"
    (count,) = code_counts(project.catalog, "")
    assert (count.code, count.found) == ("LBL001", 1)  # the earlier run's finding is kept

    elsewhere = save_predictions(
        tmp_path / "r.npz", [*red, *blue], ["c00000004", "c00000005"], one_hot_probs(favoured, 2)
    )
    with pytest.raises(AuditError, match="none of the 10 image\\(s\\) in scope") as raised:
        run_audit(project, AuditConfig(select=("LBL001",), predictions=elsewhere))
    assert raised.value.code == "E_PREDICTIONS"


# ----------------------------------------------------------------------------- cross-validation


def test_folds_are_stratified_and_even() -> None:
    labels = np.repeat(np.arange(3), [10, 7, 5]).astype(np.int64)
    fold = stratified_folds(labels, 5, seed=1)
    for c in range(3):
        per_fold = np.bincount(fold[labels == c], minlength=5)
        assert per_fold.max() - per_fold.min() <= 1
    assert sorted(np.bincount(fold, minlength=5).tolist()) == [4, 4, 4, 5, 5]
    assert stratified_folds(labels, 5, seed=1).tolist() == fold.tolist()  # seeded


def test_knn_probabilities_are_smoothed_class_shares() -> None:
    train = np.array([[0.0], [0.1], [0.2], [5.0]])
    probs = knn_probs(train, np.array([0, 0, 1, 1]), np.array([[0.05]]), 3, k=3, smoothing=1.0)
    third = 1.0 / 3
    assert probs[0].tolist() == pytest.approx([(2 + third) / 4, (1 + third) / 4, third / 4])


def test_cross_validated_rows_never_come_from_a_model_that_saw_the_image() -> None:
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 8))
    labels = rng.integers(0, 2, size=200).astype(np.int64)  # labels with no signal at all
    config = CrossValidation(folds=5, neighbours=1, smoothing=1e-6)
    probs = cross_validated_probs(features, labels, 2, config)
    assert np.allclose(probs.sum(axis=1), 1.0)
    accuracy = float((probs.argmax(axis=1) == labels).mean())
    assert 0.35 < accuracy < 0.65  # in-sample 1-NN would score 1.0


def test_cross_validation_options_are_checked() -> None:
    with pytest.raises(AuditError) as raised:
        CrossValidation(folds=1)
    assert raised.value.code == "E_CONFIG"
