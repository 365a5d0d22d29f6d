"""The verification checks (VER001-VER003): flagged workers, hard synsets, undecided shares."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from synsetdb.catalog import Project, schema
from synsetdb.release import create_release, parse_spec
from synsetdb.verify.accounts import ensure_worker
from tests.audit._balance_data import DEEP, Img, add_images, audit, findings, make_project, many

A, B, C, D, E, F = DEEP
NOW = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture
def project(tmp_path: Path, catalog_url: str) -> Iterator[Project]:
    opened = make_project(tmp_path / "project", catalog_url)
    yield opened
    opened.close()


def _candidates(project: Project) -> dict[str, int]:
    """Candidate id by image key's id."""
    c = schema.candidate
    with project.catalog.engine.connect() as conn:
        return {image: int(i) for i, image in conn.execute(select(c.c.id, c.c.image_id))}


def _votes(project: Project, worker: str, wnid: str, answers: list[tuple[Img, int, bool]]) -> None:
    """One task of ``wnid`` for ``worker``, with its answers (image, answer, is_control)."""
    ids = _candidates(project)
    worker_id = ensure_worker(project.catalog, worker).id
    synset_id = project.catalog.synset_id(wnid)
    with project.catalog.engine.begin() as conn:
        task = conn.execute(
            insert(schema.task)
            .values(
                synset_id=synset_id,
                kind="verify",
                status="submitted",
                worker_id=worker_id,
                created_at=NOW,
            )
            .returning(schema.task.c.id)
        ).scalar_one()
        conn.execute(
            insert(schema.vote),
            [
                {
                    "candidate_id": ids[img.id],
                    "worker_id": worker_id,
                    "task_id": task,
                    "answer": answer,
                    "is_control": control,
                    "created_at": NOW,
                }
                for img, answer, control in answers
            ],
        )


def _controls(project: Project, worker: str, right: bool) -> None:
    """12 hidden controls in a task of A: 6 of A (positive) and 6 of B (negative)."""
    positives, negatives = many(A, 6, prefix="ctl-"), many(B, 6, prefix="ctl-")
    answers = [(img, 1, True) for img in positives]  # a spammer says yes to everything
    answers += [(img, 0 if right else 1, True) for img in negatives]
    _votes(project, worker, A, answers)


# ----------------------------------------------------------------------------- VER001


@pytest.fixture
def crowd(project: Project) -> Project:
    """``spam`` says yes to every control; ``good`` answers them right. Accepted A images:
    x (both yes), y (good no, spam yes: rests on spam), z (spam alone); w (good alone)."""
    add_images(project, [*many(A, 6, prefix="ctl-"), *many(B, 6, prefix="ctl-")])
    x, y, z, w = (Img(k, A) for k in "xyzw")
    add_images(project, [x, y, z, w, Img("rejected", A, status="rejected")])
    _controls(project, "good", right=True)
    _controls(project, "spam", right=False)
    _votes(project, "good", A, [(x, 1, False), (y, 0, False), (w, 1, False)])
    _votes(
        project,
        "spam",
        A,
        [(x, 1, False), (y, 1, False), (z, 1, False), (Img("rejected", A), 1, False)],
    )
    return project


def test_a_spammer_and_the_images_resting_on_it(crowd: Project) -> None:
    (spam,) = findings(crowd, "VER001")
    assert spam.key == "worker:spam"
    evidence = spam.evidence
    assert (evidence["flag"], evidence["controls"]) == ("constant", 12)
    assert (evidence["accepted_voted"], evidence["accepted_said_yes"]) == (3, 3)
    assert evidence["accepted_resting"] == 2  # y and z
    assert audit(crowd, "VER001", options={"min_controls": 13}) == set()  # too few to judge


def test_a_release_counts_its_own_items(crowd: Project) -> None:
    create_release(crowd, "r1", parse_spec(f'[selection]\nwnids = ["{A}"]\n'))
    (spam,) = findings(crowd, "VER001", release="r1")
    assert spam.key == "r1:worker:spam" and spam.evidence["accepted_resting"] == 2
    create_release(crowd, "r2", parse_spec(f'[selection]\nwnids = ["{B}"]\n'))
    assert audit(crowd, "VER001", release="r2") == set()  # no vote of spam's on B's items


def test_no_spammer(project: Project) -> None:
    add_images(project, [*many(A, 6, prefix="ctl-"), *many(B, 6, prefix="ctl-"), Img("x", A)])
    _controls(project, "good", right=True)
    _votes(project, "good", A, [(Img("x", A), 1, False)])
    assert audit(project, "VER001") == set()


# ----------------------------------------------------------------------------- VER002


def test_a_hard_synset(project: Project) -> None:
    clear_good, clear_bad = many(A, 6, prefix="good-"), many(A, 6, prefix="bad-", status="rejected")
    muddled = many(B, 12, status="undecided")
    add_images(project, [*clear_good, *clear_bad, *muddled])
    for n, worker in enumerate(("w1", "w2", "w3", "w4", "w5")):
        answers = [(img, 1, False) for img in clear_good] + [(img, 0, False) for img in clear_bad]
        answers += [(img, (n + i) % 2, False) for i, img in enumerate(muddled)]
        _votes(project, worker, A, answers)
    (hard,) = findings(project, "VER002")
    assert hard.key == B and hard.synset == B
    assert hard.evidence["voted_candidates"] == 12 and hard.evidence["settled"] == 0
    assert hard.evidence["undecided"] == 12
    assert audit(project, "VER002", options={"min_voted": 13}) == set()
    create_release(project, "r1", parse_spec(f'[selection]\nwnids = ["{A}"]\n'))
    assert audit(project, "VER002", release="r1") == set()  # B is not a class of r1


def test_no_hard_synset(project: Project) -> None:
    good, bad = many(A, 6), many(A, 6, prefix="bad-", status="rejected")
    add_images(project, [*good, *bad])
    for worker in ("w1", "w2", "w3"):
        answers = [(img, 1, False) for img in good] + [(img, 0, False) for img in bad]
        _votes(project, worker, A, answers)
    assert audit(project, "VER002") == set()


# ----------------------------------------------------------------------------- VER003


def test_undecided_shares(project: Project) -> None:
    add_images(
        project,
        [
            *many(A, 7),
            *many(A, 3, prefix="u-", status="undecided"),
            *many(B, 9),
            *many(B, 1, prefix="u-", status="undecided"),
            *many(C, 1),
            *many(C, 4, prefix="u-", status="undecided"),  # too few decided
            *many(D, 5, prefix="open-", status="candidate"),
        ],
    )
    (found,) = findings(project, "VER003", options={"min_decided": 10})
    assert (found.key, found.evidence["undecided"], found.evidence["share"]) == (A, 3, 0.3)
    assert audit(project, "VER003", options={"min_decided": 5}) == {A, C}
    assert audit(project, "VER003", options={"min_decided": 5, "max_undecided_share": 0.8}) == set()
    create_release(project, "r1", parse_spec(f'[selection]\nwnids = ["{B}", "{C}"]\n'))
    assert audit(project, "VER003", release="r1", options={"min_decided": 5}) == {C}
