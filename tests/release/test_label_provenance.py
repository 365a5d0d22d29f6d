"""How a release's labels were obtained: counted from the catalog, worded for every mix.

Trusted sources, crowd consensus (with its votes), a person's decisions and
unverified candidates each get their own words in the build report, the
datasheet and its known issues; nothing says "accepted" of a label nobody checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from synsetdb.catalog import Project, schema
from synsetdb.release import create_release, parse_spec
from synsetdb.release.datasheet import write_datasheet
from synsetdb.release.provenance import describe_labels
from synsetdb.verify.tasks import apply_decisions
from synsetdb.verify.votes_io import import_votes
from tests.fixtures.photos import jpeg_variants
from tests.fixtures.releases import small_release
from tests.release.catalog_rows import ingest_photos

TENCH, GOLDFISH = "n01440764", "n01443537"


def _group(status: str, by: str | None, items: int, **extra: object) -> dict[str, Any]:
    return {"status": status, "decided_by": by, "items": items, **extra}


@pytest.mark.parametrize(
    ("groups", "text"),
    [
        (
            [_group("accepted", "source", 44, sources={"folder:/photos": 44})],
            "44 labels from a trusted source (folder:/photos)",
        ),
        (
            [_group("candidate", None, 16)],
            "16 unverified candidates (status 'candidate')",
        ),
        (
            [
                _group("accepted", "source", 44, sources={"folder:/a": 30, "folder:/b": 14}),
                _group("accepted", "crowd", 10, votes=31),
                _group("accepted", "person", 3),
                _group("candidate", None, 5),
            ],
            "44 labels from trusted sources (folder:/a 30, folder:/b 14), "
            "10 accepted by crowd consensus (31 votes), 3 accepted by a person, "
            "5 unverified candidates (status 'candidate')",
        ),
        (
            [
                _group("accepted", "crowd", 1, votes=5),
                _group("undecided", "crowd", 2, votes=40),
                _group("rejected", "person", 1),
                _group("accepted", None, 2),
            ],
            "1 accepted by crowd consensus (5 votes), 2 accepted (how is not recorded), "
            "2 left undecided by the crowd (40 votes), 1 rejected by a person",
        ),
    ],
)
def test_every_mix_is_worded(groups: list[dict[str, Any]], text: str) -> None:
    items = sum(int(g["items"]) for g in groups)
    assert describe_labels({"items": items, "groups": groups}) == text
    # the text follows a fixed order, whatever the order given
    assert describe_labels({"items": items, "groups": groups[::-1]}) == text


def test_unverified_candidates_are_not_called_accepted(
    wordnet_project: Path, tmp_path: Path
) -> None:
    project = Project.open(wordnet_project)
    photos = jpeg_variants(10)
    ingest_photos(project, tmp_path / "photos", {TENCH: photos}, status="candidate")
    spec = parse_spec(f'[selection]\nwnids = ["{TENCH}"]\nlabels = ["candidate"]\n')
    create_release(project, "raw", spec)
    folder = wordnet_project / "releases" / "raw"
    report = json.loads((folder / "report.json").read_text())
    assert report["labels"]["groups"] == [{"status": "candidate", "decided_by": None, "items": 10}]
    assert report["labels"]["text"] == "10 unverified candidates (status 'candidate')"
    sheet = (folder / "datasheet.md").read_text()
    assert "accepted candidates" not in sheet
    assert "How the labels were obtained: 10 unverified candidates (status 'candidate')" in sheet
    issues = sheet.split("## Known issues", 1)[1]
    assert "10 label(s) are unverified candidates: no person, crowd or trusted source" in issues


def test_a_mix_of_source_crowd_person_and_candidates(wordnet_project: Path, tmp_path: Path) -> None:
    project = Project.open(wordnet_project)
    photos = jpeg_variants(10)
    trusted = tmp_path / "trusted"
    ingest_photos(project, trusted, {TENCH: photos[:4]})
    ingest_photos(project, tmp_path / "loose", {GOLDFISH: photos[4:]}, status="candidate")
    ids = _candidate_ids(project, GOLDFISH)
    votes = tmp_path / "votes.csv"
    lines = [f"{cid},W{w},1" for cid in ids[:3] for w in range(4)]
    lines.append(f"{ids[5]},W9,0")  # a vote on a candidate left open
    votes.write_text("task,worker,label\n" + "\n".join(lines) + "\n")
    import_votes(project.catalog, votes, "crowdkit")
    c = schema.candidate.c
    with project.catalog.engine.begin() as conn:
        apply_decisions(conn, dict.fromkeys(ids[:5], "accept"))  # the crowd's decisions
        # two of them were a person's: the label command records them as decided_by person
        conn.execute(update(schema.candidate).where(c.id.in_(ids[3:5])).values(decided_by="person"))
    spec = parse_spec(
        f'[selection]\nwnids = ["{TENCH}", "{GOLDFISH}"]\nlabels = ["accepted", "candidate"]\n'
    )
    create_release(project, "mix", spec)
    folder = wordnet_project / "releases" / "mix"
    labels = json.loads((folder / "report.json").read_text())["labels"]
    source = f"folder:{trusted}"
    assert labels["items"] == 10
    assert labels["groups"] == [
        {"status": "accepted", "decided_by": "source", "items": 4, "sources": {source: 4}},
        {"status": "accepted", "decided_by": "crowd", "items": 3, "votes": 12},
        {"status": "accepted", "decided_by": "person", "items": 2},
        {"status": "candidate", "decided_by": None, "items": 1},
    ]
    text = (
        f"4 labels from a trusted source ({source}), 3 accepted by crowd consensus (12 votes), "
        "2 accepted by a person, 1 unverified candidate (status 'candidate')"
    )
    assert labels["text"] == text
    sheet = (folder / "datasheet.md").read_text()
    flat = " ".join(sheet.replace("\\", "").split())
    assert f"How the labels were obtained: {text}." in flat
    assert "| labels | " in sheet


def _candidate_ids(project: Project, wnid: str) -> list[int]:
    c = schema.candidate.c
    synset = project.catalog.synset_id(wnid)
    with project.catalog.engine.connect() as conn:
        return list(
            conn.execute(select(c.id).where(c.synset_id == synset).order_by(c.image_id)).scalars()
        )


def test_a_datasheet_without_label_counts_says_so(tmp_path: Path) -> None:
    release = small_release(tmp_path / "blobs")
    sheet = write_datasheet(release, tmp_path / "out").read_text()
    assert "labelled by accepted candidates" not in sheet
    assert "How each label was obtained is not recorded for this release" in sheet
