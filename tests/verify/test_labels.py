"""Decisions without a crowd: a person's bulk accept or reject, trusted sources."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from synsetdb.catalog import Catalog, schema
from synsetdb.catalog.checks import run_checks
from synsetdb.errors import NotFoundError, UnknownSynsetError, VerifyError
from synsetdb.hierarchy import Taxonomy
from synsetdb.verify.labels import (
    LabelSelection,
    decide_labels,
    read_image_list,
    trust_source,
    untrust_source,
)
from synsetdb.verify.tasks import apply_decisions
from tests.fixtures.catalog_images import add_image_row

BIRD, MAMMAL, VERTEBRATE = "n01503061", "n01861778", "n01471682"
LAB = "folder:/data/lab"


@pytest.fixture
def catalog(catalog_url: str, sample_taxonomy: Taxonomy) -> Iterator[Catalog]:
    """Four bird and three mammal candidates from the lab's folder, two birds from the web."""
    catalog = Catalog.open(catalog_url, create=True)
    catalog.load_taxonomy(sample_taxonomy)
    for i in range(4):
        catalog.add_candidate(add_image_row(catalog, f"bird-{i}"), BIRD, source=LAB)
    for i in range(3):
        catalog.add_candidate(add_image_row(catalog, f"mammal-{i}"), MAMMAL, source=LAB)
    for i in range(2):
        catalog.add_candidate(add_image_row(catalog, f"web-{i}"), BIRD, source="urls:web.csv")
    yield catalog
    catalog.close()


def _statuses(catalog: Catalog) -> dict[tuple[str, str | None], int]:
    c = schema.candidate.c
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(c.status, c.decided_by)).all()
    found: dict[tuple[str, str | None], int] = {}
    for status, decided_by in rows:
        found[(status, decided_by)] = found.get((status, decided_by), 0) + 1
    return found


def _log(catalog: Catalog) -> list[tuple[str, str, str | None, str | None]]:
    d = schema.decision.c
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(d.status, d.decided_by, d.actor, d.reason).order_by(d.id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _counts_ok(catalog: Catalog) -> bool:
    report = run_checks(catalog, None, only=("counts",))  # type: ignore[arg-type]
    return report.ok


def test_accepting_a_synset_is_one_persons_decision_with_a_reason(catalog: Catalog) -> None:
    report = decide_labels(
        catalog, LabelSelection(wnids=(BIRD,)), "accepted", actor="ada", reason="my photos"
    )
    assert report.matched == 6 and dict(report.changed) == {"candidate": 6}
    assert _statuses(catalog) == {("accepted", "person"): 6, ("candidate", None): 3}
    assert _log(catalog) == [("accepted", "person", "ada", "my photos")] * 6
    assert _counts_ok(catalog)


def test_criteria_combine_and_a_subtree_widens_synsets(catalog: Catalog) -> None:
    both = LabelSelection(wnids=(VERTEBRATE,), subtree=True, source=LAB)
    report = decide_labels(catalog, both, "accepted", actor="ada", reason="lab folder")
    assert report.matched == 7  # birds and mammals of the lab, not the web's birds
    only_vertebrate = LabelSelection(wnids=(VERTEBRATE,))
    assert decide_labels(catalog, only_vertebrate, "accepted", actor="a", reason="r").matched == 0


def test_decided_candidates_are_kept_unless_overridden(catalog: Catalog) -> None:
    birds = LabelSelection(wnids=(BIRD,), source="urls:web.csv")
    decide_labels(catalog, birds, "rejected", actor="ada", reason="cartoons")
    again = decide_labels(
        catalog, LabelSelection(wnids=(BIRD,)), "accepted", actor="bo", reason="x"
    )
    assert dict(again.changed) == {"candidate": 4} and dict(again.kept) == {"rejected": 2}
    over = decide_labels(
        catalog, birds, "accepted", actor="bo", reason="they are birds", override=True
    )
    assert dict(over.changed) == {"rejected": 2}
    assert _statuses(catalog)[("accepted", "person")] == 6
    assert _counts_ok(catalog)


def test_a_file_of_ids_and_ingested_paths(catalog: Catalog, tmp_path: Path) -> None:
    first, second = add_image_row(catalog, "listed-0"), add_image_row(catalog, "listed-1")
    for image in (first, second):
        catalog.add_candidate(image, MAMMAL, source=LAB)
    with catalog.engine.begin() as conn:
        conn.execute(
            schema.ingest_item.insert(),
            [
                {
                    "source": LAB,
                    "key": "n01861778/b.jpg",
                    "status": "added",
                    "image_id": second,
                    "created_at": _now(),
                }
            ],
        )
    listing = tmp_path / "ok.txt"
    listing.write_text(f"# checked by hand\n{first.upper()}\n\n/data/lab/n01861778/b.jpg\n")
    ids = read_image_list(catalog, listing)
    assert ids == (first, second)
    report = decide_labels(
        catalog, LabelSelection(image_ids=ids), "accepted", actor="ada", reason="checked"
    )
    assert report.matched == 2
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{first}\n/data/lab/n01861778/nope.jpg\n")
    with pytest.raises(VerifyError) as caught:
        read_image_list(catalog, bad)
    assert caught.value.code == "E_UNKNOWN_IMAGE" and "line 2" in str(caught.value)


def test_bad_requests_change_nothing(catalog: Catalog) -> None:
    before = _statuses(catalog)
    with pytest.raises(VerifyError) as caught:
        LabelSelection()
    assert caught.value.code == "E_NO_SELECTION"
    for selection, status, reason, error, code in [
        (LabelSelection(wnids=(BIRD,)), "accepted", " ", VerifyError, "E_NO_REASON"),
        (LabelSelection(wnids=(BIRD,)), "undecided", "r", VerifyError, "E_STATUS"),
        (LabelSelection(wnids=("n0150306",)), "accepted", "r", UnknownSynsetError, None),
        (LabelSelection(source="folder:/elsewhere"), "accepted", "r", NotFoundError, None),
        (LabelSelection(release="v9"), "accepted", "r", NotFoundError, "E_NO_RELEASE"),
    ]:
        with pytest.raises(error) as info:
            decide_labels(catalog, selection, status, actor="ada", reason=reason)
        assert code is None or info.value.code == code  # type: ignore[attr-defined]
    assert _statuses(catalog) == before and _log(catalog) == []


def test_trusting_and_untrusting_a_source(catalog: Catalog) -> None:
    decide_labels(
        catalog, LabelSelection(wnids=(MAMMAL,)), "rejected", actor="ada", reason="blurry"
    )
    report = trust_source(catalog, LAB, actor="ada")
    assert dict(report.changed) == {"candidate": 4} and dict(report.kept) == {"rejected": 3}
    assert _statuses(catalog) == {
        ("accepted", "source"): 4,
        ("rejected", "person"): 3,
        ("candidate", None): 2,
    }
    back = untrust_source(catalog, LAB, actor="ada")
    assert dict(back.changed) == {"accepted": 4} and dict(back.kept) == {"rejected": 3}
    assert _statuses(catalog) == {("candidate", None): 6, ("rejected", "person"): 3}
    assert [row[:2] for row in _log(catalog)[-4:]] == [("candidate", "person")] * 4
    assert _counts_ok(catalog)


def test_the_crowds_decisions_are_the_crowds(catalog: Catalog) -> None:
    c = schema.candidate.c
    with catalog.engine.begin() as conn:
        ids = list(conn.execute(select(c.id).where(c.source == "urls:web.csv")).scalars())
        changed = apply_decisions(conn, {ids[0]: "accept", ids[1]: "reject"}, actor="majority")
    assert changed == {"accepted": 1, "rejected": 1}
    assert _statuses(catalog)[("accepted", "crowd")] == 1
    assert {row[1:3] for row in _log(catalog)} == {("crowd", "majority")}


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_an_images_page_says_how_each_label_was_decided(catalog: Catalog) -> None:
    from synsetdb.catalog.image_info import image_info

    decide_labels(
        catalog, LabelSelection(source="urls:web.csv"), "rejected", actor="ada", reason="cartoon"
    )
    trust_source(catalog, LAB, actor="ada")
    c = schema.candidate.c
    with catalog.engine.connect() as conn:
        web = conn.execute(select(c.image_id).where(c.source == "urls:web.csv")).scalars().first()
        lab = conn.execute(select(c.image_id).where(c.source == LAB)).scalars().first()
    web_info, lab_info = image_info(catalog, str(web)), image_info(catalog, str(lab))
    assert web_info is not None and lab_info is not None
    assert web_info.candidates[0].how_decided == "by ada: cartoon"
    assert lab_info.candidates[0].how_decided == "trusted source"
