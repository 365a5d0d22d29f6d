"""The labels family: LBL001 (confident learning), LBL002 (against the votes), LBL003 (senses)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from synsetdb.audit import AuditConfig, run_audit
from synsetdb.audit.checks.labels import cv_skill
from synsetdb.audit.checks.labels_senses import silhouette, two_means
from synsetdb.catalog import Project
from synsetdb.release import create_release, parse_spec
from tests.audit._labels_data import (
    BLUE,
    CRANE,
    PLAIN,
    RED,
    THING,
    accept,
    make_project,
    one_hot_probs,
    record_decision,
    row_image,
    save_predictions,
    stored_image,
    vote,
)

CLASSES = [RED, BLUE, CRANE]


@pytest.fixture
def project(tmp_path: Path, catalog_url: str) -> Iterator[Project]:
    """An empty colour project, once on SQLite and once on PostgreSQL."""
    opened = make_project(tmp_path / "project", catalog_url)
    yield opened
    opened.close()


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Project]:
    """The same on SQLite only: for tests whose SQL another test runs on both backends."""
    opened = make_project(tmp_path / "project", "sqlite://")
    yield opened
    opened.close()


def _findings(project: Project, code: str, **config: object) -> list:  # type: ignore[type-arg]
    report = run_audit(project, AuditConfig(select=(code,), **config))  # type: ignore[arg-type]
    (result,) = report.results
    assert result.skipped is None, result.skipped
    return list(result.findings)


# ----------------------------------------------------------------------------- LBL001, a file


def _rows_catalog(project: Project) -> dict[str, list[str]]:
    """Ten row-only images accepted in each of three classes."""
    images = {}
    for wnid in CLASSES:
        images[wnid] = [row_image(project, f"{wnid}-{i}") for i in range(10)]
        accept(project, images[wnid], wnid)
    return images


def _planted(images: dict[str, list[str]]) -> tuple[list[str], list[int]]:
    """Every image's row, and the class the predictions favour: two red ones look blue."""
    ids = [i for wnid in CLASSES for i in images[wnid]]
    favoured = [CLASSES.index(w) for w in CLASSES for _ in images[w]]
    favoured[0] = favoured[1] = CLASSES.index(BLUE)
    return ids, favoured


def test_planted_label_errors_in_a_predictions_file_are_flagged(
    local: Project, tmp_path: Path
) -> None:
    project = local
    images = _rows_catalog(project)
    ids, favoured = _planted(images)
    path = save_predictions(tmp_path / "p.npz", ids, CLASSES, one_hot_probs(favoured, 3))
    found = _findings(project, "LBL001", predictions=path)
    assert [f.key for f in found] == sorted(images[RED][:2])
    first = found[0]
    assert (first.image, first.synset, first.score) == (found[0].key, RED, pytest.approx(0.95))
    evidence = dict(first.evidence)
    assert evidence["given"] == RED and evidence["suggested"] == BLUE
    assert (evidence["given_name"], evidence["suggested_name"]) == ("red thing", "blue thing")
    assert evidence["self_confidence"] == pytest.approx(0.05)
    assert evidence["normalized_margin"] == pytest.approx(-0.85)
    assert [f.evidence["rank"] for f in found] == [1, 2]
    assert first.action == f"check the label; relabel to {BLUE} or reject"


def test_clean_predictions_flag_nothing(local: Project, tmp_path: Path) -> None:
    project = local
    images = _rows_catalog(project)
    ids = [i for wnid in CLASSES for i in images[wnid]]
    probs = one_hot_probs([CLASSES.index(w) for w in CLASSES for _ in range(10)], 3)
    assert (
        _findings(
            project, "LBL001", predictions=save_predictions(tmp_path / "p.npz", ids, CLASSES, probs)
        )
        == []
    )


def test_images_left_out_are_reported_and_releases_prefix_keys(
    project: Project, tmp_path: Path
) -> None:
    images = _rows_catalog(project)
    ids, favoured = _planted(images)
    twice = images[CRANE][9]
    project.catalog.add_candidate(twice, BLUE, status="accepted")  # ambiguous: left out
    unlisted = row_image(project, "not in the file")
    accept(project, [unlisted], BLUE)
    path = save_predictions(tmp_path / "p.npz", ids, CLASSES, one_hot_probs(favoured, 3))
    found = {f.key: f for f in _findings(project, "LBL001", predictions=path)}
    assert sorted(found) == sorted([*images[RED][:2], "not-audited"])
    left = found["not-audited"].evidence
    assert left["counts"] == {"several_labels": 1, "no_prediction": 1}
    assert left["examples"] == {"several_labels": [twice], "no_prediction": [unlisted]}

    spec = parse_spec(f'[selection]\nsubtrees = ["{THING}"]\n[splits]\nval = 0.5\n')
    create_release(project, "v1", spec)
    found = {f.key for f in _findings(project, "LBL001", predictions=path, release="v1")}
    assert found == {f"v1:{images[RED][0]}", f"v1:{images[RED][1]}", "v1:not-audited"}


def test_other_filters_and_rankings_are_options(local: Project, tmp_path: Path) -> None:
    project = local
    images = _rows_catalog(project)
    ids, favoured = _planted(images)
    path = save_predictions(tmp_path / "p.npz", ids, CLASSES, one_hot_probs(favoured, 3))
    options = {"LBL001": {"filter_by": "predicted_neq_given", "rank_by": "normalized_margin"}}
    found = _findings(project, "LBL001", predictions=path, options=options)
    assert [f.key for f in found] == sorted(images[RED][:2])
    assert found[0].score == pytest.approx((1 + 0.85) / 2)


# ----------------------------------------------------------------------------- LBL001, CV


def _colour_catalog(project: Project, per_class: int = 16) -> dict[str, list[str]]:
    """Red images accepted as red, blue as blue; one red image accepted as blue."""
    red = [stored_image(project, "red", seed) for seed in range(per_class)]
    blue = [stored_image(project, "blue", 100 + seed) for seed in range(per_class)]
    swapped = stored_image(project, "red", 999)
    accept(project, red, RED)
    accept(project, [*blue, swapped], BLUE)
    return {"red": red, "blue": blue, "swapped": [swapped]}


def test_cross_validation_finds_a_swapped_label_and_caches_features(project: Project) -> None:
    images = _colour_catalog(project)
    found = _findings(project, "LBL001")
    assert [f.key for f in found] == images["swapped"]
    assert (found[0].evidence["given"], found[0].evidence["suggested"]) == (BLUE, RED)
    assert "5-fold cross-validation (tiny" in found[0].evidence["predictions"]
    (cache,) = (project.root / ".cache" / "features").glob("tiny-*.npz")
    assert len(np.load(cache)["ids"]) == 2 * 16 + 1

    shutil.rmtree(project.root / "blobs")  # a second run decodes nothing: the cache serves it
    assert [f.key for f in _findings(project, "LBL001")] == images["swapped"]


def test_cross_validation_on_clean_classes_flags_nothing(local: Project) -> None:
    project = local
    accept(project, [stored_image(project, "red", s) for s in range(12)], RED)
    accept(project, [stored_image(project, "blue", 100 + s) for s in range(12)], BLUE)
    assert _findings(project, "LBL001") == []


def test_cross_validation_is_bounded(local: Project) -> None:
    project = local
    _colour_catalog(project, per_class=3)
    options = {"LBL001": {"max_images": 5}}
    report = run_audit(project, AuditConfig(select=("LBL001",), options=options))
    skipped = report.results[0].skipped
    assert skipped is not None
    assert "more than max_images=5 images in scope" in skipped and "--predictions" in skipped


def test_cv_skill_is_accuracy_corrected_for_the_majority_class() -> None:
    labels = np.array([0, 0, 0, 1])
    probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.2, 0.8]])
    accuracy, majority, skill = cv_skill(labels, probs, 2)
    assert (accuracy, majority) == (0.75, 0.75) and skill == 0.0  # no better than "always 0"
    assert cv_skill(labels, np.eye(2)[labels], 2) == (1.0, 0.75, 1.0)


def test_cross_validation_skips_when_its_model_is_weak(local: Project) -> None:
    """Labels unrelated to the pictures (half of each class red, half blue): no flags, a skip."""
    project = local
    accept(
        project,
        [stored_image(project, colour, s) for s in range(8) for colour in ("red", "blue")],
        RED,
    )
    accept(
        project,
        [stored_image(project, colour, 100 + s) for s in range(8) for colour in ("red", "blue")],
        BLUE,
    )
    report = run_audit(project, AuditConfig(select=("LBL001",)))
    (result,) = report.results
    assert result.findings == ()
    skipped = result.skipped or ""
    assert "too weak" in skipped and "min_cv_accuracy=0.5" in skipped and "--predictions" in skipped
    assert "top-1 accuracy" in skipped and "50.0% by always answering" in skipped
    # With the guard lowered to nothing, the same catalog is audited.
    report = run_audit(
        project, AuditConfig(select=("LBL001",), options={"LBL001": {"min_cv_accuracy": -1.0}})
    )
    assert report.results[0].skipped is None


def test_cross_validation_needs_two_classes(local: Project) -> None:
    project = local
    accept(project, [stored_image(project, "red", s) for s in range(4)], RED)
    report = run_audit(project, AuditConfig(select=("LBL001",)))
    assert "two classes" in (report.results[0].skipped or "")


# ----------------------------------------------------------------------------- LBL002


def test_acceptances_against_the_votes_are_flagged_with_their_workers(project: Project) -> None:
    a, b, c, d = (row_image(project, name) for name in "abcd")
    accept(project, [a, b, c], RED)
    project.catalog.add_candidate(d, RED, status="rejected")
    against = vote(project, a, RED, [("w1", 1, False), ("w2", 0, False), ("w3", 0, False)])
    record_decision(project, against, "ada")
    vote(project, b, RED, [("w1", 1, False), ("w2", 1, False), ("w3", 0, False)])  # a majority
    # Two of c's three "no" are on hidden controls: they measure the workers, not c.
    vote(project, c, RED, [("w1", 1, False), ("w2", 0, False), ("w3", 0, True), ("w4", 0, True)])
    vote(project, d, RED, [("w2", 0, False), ("w3", 0, False), ("w4", 0, False)])  # rejected
    (found,) = _findings(project, "LBL002")
    assert (found.key, found.image, found.synset) == (f"{RED}:{a}", a, RED)
    assert dict(found.evidence) == {
        "yes": 1,
        "no": 2,
        "votes": 3,
        "yes_share": pytest.approx(0.3333, abs=1e-4),
        "decided_by": "source",
        "accepted_by": "person: ada",
        "yes_workers": ["w1"],
        "no_workers": ["w2", "w3"],
    }
    assert _findings(project, "LBL002", options={"LBL002": {"min_votes": 4}}) == []
    stricter = {"LBL002": {"min_yes_share": 0.7}}
    assert {f.image for f in _findings(project, "LBL002", options=stricter)} == {a, b}


def test_no_votes_against_means_no_finding(local: Project) -> None:
    project = local
    a = row_image(project, "a")
    accept(project, [a], RED)
    vote(project, a, RED, [("w1", 1, False), ("w2", 1, False), ("w3", 0, False)])
    assert _findings(project, "LBL002") == []


# ----------------------------------------------------------------------------- LBL003


def test_a_synset_of_two_visual_groups_is_flagged(project: Project) -> None:
    birds = [stored_image(project, "blue", s) for s in range(12)]
    machines = [stored_image(project, "red", 100 + s) for s in range(10)]
    accept(project, [*birds, *machines], CRANE)
    accept(project, [stored_image(project, "green", 200 + s) for s in range(22)], PLAIN)
    accept(project, [stored_image(project, "red", 300 + s) for s in range(5)], RED)  # too few
    (found,) = _findings(project, "LBL003")
    assert (found.key, found.synset) == (CRANE, CRANE)
    evidence = dict(found.evidence)
    assert evidence["sizes"] == [12, 10] and evidence["images"] == 22
    assert evidence["silhouette"] > 0.8
    assert set(evidence["examples"]["larger"]) <= set(birds)
    assert set(evidence["examples"]["smaller"]) <= set(machines)
    assert len(evidence["examples"]["smaller"]) == 5
    assert _findings(project, "LBL003", options={"LBL003": {"min_share": 0.5}}) == []


def test_one_visual_group_is_not_flagged(local: Project) -> None:
    project = local
    accept(project, [stored_image(project, "green", s) for s in range(25)], PLAIN)
    assert _findings(project, "LBL003") == []


def test_two_means_and_silhouette_on_points() -> None:
    x = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    labels = two_means(x)
    assert labels[0] == labels[1] != labels[2] == labels[3]
    # Each point: a = 1 (its partner), b = mean(10, sqrt(101)) ~ 10.02: s = 1 - 1/b.
    b = (10 + np.sqrt(101)) / 2
    assert silhouette(x, labels) == pytest.approx(1 - 1 / b)
    assert silhouette(x, np.zeros(4, dtype=np.int64)) == 0.0
    assert two_means(np.ones((5, 3))).tolist() == [0] * 5
