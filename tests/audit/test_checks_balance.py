"""The balance checks (BAL001-BAL005) on small catalogs and releases, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from synsetdb.audit import AuditConfig, run_audit
from synsetdb.catalog import Project
from synsetdb.release import create_release, parse_spec
from tests.audit._balance_data import (
    CHAIN,
    DEEP,
    SHALLOW,
    add_images,
    audit,
    findings,
    make_project,
    many,
)

A, B, C, D, E, F = DEEP


@pytest.fixture
def project(tmp_path: Path, catalog_url: str) -> Iterator[Project]:
    opened = make_project(tmp_path / "project", catalog_url)
    yield opened
    opened.close()


def _release(project: Project, name: str, spec: str) -> str:
    create_release(project, name, parse_spec(spec))
    return name


# ----------------------------------------------------------------------------- BAL001


def test_imbalance_flags_classes_far_from_the_median(project: Project) -> None:
    add_images(project, [*many(A, 20), *many(B, 20), *many(C, 20), *many(D, 200), *many(E, 2)])
    found = {f.key: f for f in findings(project, "BAL001")}
    assert set(found) == {D, E}
    assert found[D].evidence["ratio_to_median"] == 10.0
    assert found[E].evidence["largest_over_smallest"] == 100.0
    assert found[D].score == found[E].score  # ten times either way ranks the same
    assert audit(project, "BAL001", options={"ratio": 11.0}) == set()


def test_balanced_classes_and_release_keys(project: Project) -> None:
    add_images(project, [*many(A, 8), *many(B, 10), *many(C, 12), *many(D, 40)])
    assert audit(project, "BAL001") == set()
    _release(project, "r1", f'[selection]\nwnids = ["{A}", "{B}", "{C}", "{D}"]\n')
    assert audit(project, "BAL001", release="r1", options={"ratio": 3.0}) == {f"r1:{D}"}


# ----------------------------------------------------------------------------- BAL002


def test_tiny_classes_in_the_catalog(project: Project) -> None:
    add_images(project, [*many(A, 12), *many(B, 3), *many(C, 3, status="candidate")])
    (tiny,) = findings(project, "BAL002")
    assert (tiny.key, tiny.synset, tiny.evidence["images"]) == (B, B, 3)
    assert audit(project, "BAL002", options={"min_images": 3}) == set()


def test_tiny_classes_and_splits_in_a_release(project: Project) -> None:
    add_images(project, [*many(A, 12), *many(B, 12), *many(C, 3)])
    spec = f'seed = 1\n[selection]\nwnids = ["{A}", "{B}", "{C}"]\n[splits]\nval = 2\n'
    _release(project, "r1", spec)
    # C: 3 images, 2 in val and 1 in train: one finding, its splits in the evidence.
    (tiny,) = findings(project, "BAL002", release="r1")
    assert tiny.key == "r1:" + C and tiny.evidence["splits"] == {"train": 1, "val": 2}
    assert audit(project, "BAL002", release="r1", options={"min_split_images": 3}) == {
        "r1:" + C,
        f"r1:{A}:val",
        f"r1:{B}:val",
    }
    assert audit(project, "BAL002", release="r1", options={"min_images": 3}) == {f"r1:{C}:train"}


def test_no_tiny_class_in_a_healthy_release(project: Project) -> None:
    add_images(project, [*many(A, 12), *many(B, 12)])
    _release(project, "r1", f'[selection]\nwnids = ["{A}", "{B}"]\n[splits]\nval = 2\n')
    assert audit(project, "BAL002", release="r1") == set()


# ----------------------------------------------------------------------------- BAL003


def test_short_of_spec_in_a_release(project: Project) -> None:
    add_images(
        project,
        [
            *many(A, 12),
            *many(B, 12),
            *many(C, 5),
            *many(D, 3),
            *many(D, 4, prefix="open-", status="candidate"),
        ],
    )
    spec = f'[selection]\nwnids = ["{A}", "{B}", "{C}", "{D}"]\nmin_images = 4\n[splits]\nval = 6\n'
    _release(project, "r1", spec)
    found = {f.key: f for f in findings(project, "BAL003", release="r1")}
    assert set(found) == {f"r1:{D}", f"r1:{C}:val"}
    assert found[f"r1:{D}"].evidence == {"images_at_build": 3, "min_images": 4, "accepted_now": 3}
    assert (found[f"r1:{C}:val"].evidence["images"], found[f"r1:{C}:val"].evidence["wanted"]) == (
        5,
        6,
    )


def test_a_release_that_meets_its_spec(project: Project) -> None:
    add_images(project, [*many(A, 12), *many(B, 12)])
    _release(project, "r1", f'[selection]\nwnids = ["{A}", "{B}"]\n[splits]\nval = 0.25\n')
    assert audit(project, "BAL003", release="r1") == set()


def test_short_of_min_images_in_the_catalog(project: Project) -> None:
    add_images(project, [*many(A, 12), *many(B, 5), *many(C, 2, status="candidate")])
    found = {f.key: f for f in findings(project, "BAL003", options={"min_images": 10})}
    assert set(found) == {B, C}
    assert found[C].evidence["candidate"] == 2 and found[C].evidence["accepted"] == 0
    assert "verify" in found[C].action and "collect" in found[B].action
    assert audit(project, "BAL003", options={"min_images": 5}) == {C}
    report = run_audit(project, AuditConfig(select=("BAL003",)))
    assert report.results[0].skipped and "min_images" in report.results[0].skipped


# ----------------------------------------------------------------------------- BAL004, BAL005


def test_depth_imbalance(project: Project) -> None:
    add_images(project, [img for w in SHALLOW for img in many(w, 40)])
    add_images(project, [img for w in (A, B, C) for img in many(w, 4)])
    found = {f.key: f for f in findings(project, "BAL004")}
    assert set(found) == {"depth:2", "depth:6"}
    assert found["depth:2"].evidence["median"] == 40 and found["depth:2"].evidence["ratio"] == 10.0
    assert audit(project, "BAL004", options={"ratio": 10.0}) == set()


def test_even_depths(project: Project) -> None:
    add_images(project, [img for w in (*SHALLOW, A, B, C) for img in many(w, 5)])
    assert audit(project, "BAL004") == set()
    assert audit(project, "BAL004", options={"min_classes": 4}) == set()  # too few per level


def test_nested_classes(project: Project) -> None:
    add_images(project, [img for w in (A, B, C) for img in many(w, 3)])
    add_images(project, many(CHAIN[5], 3))  # the parent of A, B and C
    add_images(project, many(CHAIN[1], 3))  # and an ancestor of all four
    found = {f.key: f for f in findings(project, "BAL005")}
    assert set(found) == {CHAIN[5], CHAIN[1]}
    assert found[CHAIN[5]].evidence["descendants"] == 3
    assert found[CHAIN[1]].evidence["descendants"] == 4
    assert audit(project, "BAL005", options={"min_descendants": 4}) == {CHAIN[1]}


def test_no_nested_classes(project: Project) -> None:
    add_images(project, [img for w in (A, B, C, *SHALLOW) for img in many(w, 3)])
    assert audit(project, "BAL005") == set()
