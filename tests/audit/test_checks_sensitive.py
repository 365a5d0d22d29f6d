"""The sensitive family (SEN001-SEN004) on a WordNet project with planted categories."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from synsetdb.audit import AuditConfig, run_audit
from synsetdb.audit.checks.sensitive import winter21_removed
from synsetdb.catalog import ImageRecord, Project, aggregates, schema
from synsetdb.errors import ConfigError
from synsetdb.hierarchy.sets import PERSON_ROOT, named_set

BLACK_PERSON = "n09636339"  # lemma "blackamoor" marked ethnic slur; removed in winter21
GOOK = "n09643799"  # the synset marked disparagement; removed in winter21
SCUBA_DIVER = "n10565667"  # person subtree (an ILSVRC-2012 class), on no list
ASTRONAUT = "n09818022"  # person subtree, kept by winter21
DOG = "n02084071"
SIZES = {BLACK_PERSON: 2, GOOK: 1, SCUBA_DIVER: 3, ASTRONAUT: 1, DOG: 4}


def sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


@pytest.fixture(scope="module")
def project(
    wordnet_project_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Project]:
    """One project for the module (the tests only read it; the release test adds a release)."""
    root = tmp_path_factory.mktemp("sensitive") / "project"
    shutil.copytree(wordnet_project_template, root)
    opened = Project.open(root)
    for wnid, n in SIZES.items():
        for i in range(n):
            image = sha(f"{wnid}-{i}")
            opened.catalog.add_image(ImageRecord(image, 64, 48, "JPEG", 10, image))
            opened.catalog.add_candidate(image, wnid, status="accepted")
    # a person synset with only an undecided candidate: out of scope
    opened.catalog.add_image(ImageRecord(sha("x"), 64, 48, "JPEG", 10, sha("x")))
    opened.catalog.add_candidate(sha("x"), "n10001481")
    yield opened
    opened.close()


def found(
    project: Project, code: str, release: str | None = None, **options: Any
) -> dict[str, Any]:
    config = AuditConfig(
        release=release, select=(code,), options={code: options} if options else {}, store=False
    )
    (result,) = run_audit(project, config).results
    assert result.skipped is None, result.skipped
    return {f.key: f for f in result.findings}


def skipped(project: Project, code: str, **options: Any) -> str | None:
    config = AuditConfig(select=(code,), options={code: options}, store=False)
    (result,) = run_audit(project, config).results
    assert not result.findings
    return result.skipped


def test_the_derived_winter21_list() -> None:
    removed = winter21_removed()
    assert len(removed) == 771
    person = set(named_set("person").wnids)
    assert removed <= person and PERSON_ROOT not in removed
    full = set(named_set("imagenet21k-p").wnids)
    kept = set(named_set("imagenet21k-p-winter21").wnids)
    assert removed == full - kept and kept <= full
    assert {BLACK_PERSON, GOOK} <= removed and not {SCUBA_DIVER, ASTRONAUT} & removed


def test_sen001_person_subtree_with_counts_and_notes(project: Project) -> None:
    findings = found(project, "SEN001")
    assert set(findings) == {BLACK_PERSON, GOOK, SCUBA_DIVER, ASTRONAUT}
    assert {k: f.evidence["images"] for k, f in findings.items()} == {
        BLACK_PERSON: 2,
        GOOK: 1,
        SCUBA_DIVER: 3,
        ASTRONAUT: 1,
    }
    assert findings[BLACK_PERSON].evidence["also"] == ["removed in winter21", "ethnic slur"]
    assert findings[GOOK].evidence["also"] == ["removed in winter21", "disparagement"]
    assert findings[SCUBA_DIVER].evidence["also"] == []
    assert findings[SCUBA_DIVER].evidence["branch"] is not None
    assert findings[SCUBA_DIVER].message.startswith(f"{SCUBA_DIVER} scuba diver: 3 image(s)")
    assert findings[SCUBA_DIVER].score == 3.0


def test_no_finding_without_sensitive_synsets(wordnet_project: Path) -> None:
    opened = Project.open(wordnet_project)
    try:
        for i in range(3):  # dogs only
            opened.catalog.add_image(ImageRecord(sha(f"d{i}"), 64, 48, "JPEG", 10, sha(f"d{i}")))
            opened.catalog.add_candidate(sha(f"d{i}"), DOG, status="accepted")
        for code in ("SEN001", "SEN002", "SEN003"):
            assert found(opened, code) == {}, code
        assert found(opened, "SEN004", lexicon=["cat"]) == {}
    finally:
        opened.close()


def test_sen002_the_winter21_list_and_a_file(project: Project, tmp_path: Path) -> None:
    findings = found(project, "SEN002")
    assert set(findings) == {BLACK_PERSON, GOOK}
    assert findings[GOOK].evidence == {"images": 1, "lists": ["winter21-removed"]}
    mine = tmp_path / "ours.txt"
    mine.write_text(f"# reviewed 2026-12\n{DOG}  # dogs, for the test\n\n{GOOK}\n")
    both = found(project, "SEN002", unsafe_list=str(mine))
    assert {k: f.evidence["lists"] for k, f in both.items()} == {
        BLACK_PERSON: ["winter21-removed"],
        GOOK: ["winter21-removed", "ours.txt"],
        DOG: ["ours.txt"],
    }
    only = found(project, "SEN002", unsafe_list=str(mine), winter21_removed=False)
    assert set(only) == {DOG, GOOK}
    assert "no list" in str(skipped(project, "SEN002", winter21_removed=False))


def test_sen002_a_bad_list_is_refused(project: Project, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(f"{DOG}\ndog\n")
    with pytest.raises(ConfigError, match=r"bad\.txt:2"):
        found(project, "SEN002", unsafe_list=str(bad))
    with pytest.raises(ConfigError, match="cannot read"):
        found(project, "SEN002", unsafe_list=str(tmp_path / "missing.txt"))


def test_sen003_wordnet_usage_domains(project: Project) -> None:
    findings = found(project, "SEN003")
    assert set(findings) == {BLACK_PERSON, GOOK}
    assert findings[GOOK].evidence["domains"] == ["disparagement"]
    assert findings[BLACK_PERSON].evidence["domains"] == ["ethnic slur"]
    assert findings[BLACK_PERSON].evidence["flags"] == [
        {"domain": "n06718862", "lemma": "blackamoor"}
    ]
    assert "ethnic slur (lemma 'blackamoor')" in findings[BLACK_PERSON].message
    # whole-synset pointers only: the lemma-only slur is not counted
    assert set(found(project, "SEN003", lemmas=False)) == {GOOK}


def test_sen004_lexicon_from_a_list_or_a_file(project: Project, tmp_path: Path) -> None:
    assert "no lexicon" in str(skipped(project, "SEN004"))
    # "diver" is a lemma word of scuba diver; "wolf" is only in dog's gloss
    findings = found(project, "SEN004", lexicon=["Diver", "wolf"])
    assert set(findings) == {SCUBA_DIVER, DOG}
    assert findings[SCUBA_DIVER].evidence["lemma_words"] == ["diver"]
    assert findings[DOG].evidence == {"images": 4, "lemma_words": [], "gloss_words": ["wolf"]}
    assert set(found(project, "SEN004", lexicon=["wolf"], gloss=False)) == set()
    words = tmp_path / "words.txt"
    words.write_text("# ours\nscuba diver\nwol\n")  # a phrase; "wol" is no whole word
    assert set(found(project, "SEN004", lexicon_file=str(words))) == {SCUBA_DIVER}


def test_a_release_scope_counts_its_items(project: Project) -> None:
    ids = {w: project.catalog.synset_id(w) for w in (GOOK, DOG)}
    with project.catalog.engine.begin() as conn:
        release_id = conn.execute(
            insert(schema.release)
            .values(name="r1", config={}, manifest_sha256="0" * 64, created_at=datetime.now(UTC))
            .returning(schema.release.c.id)
        ).scalar_one()
        rows = [(GOOK, 0, "val"), (DOG, 0, "train"), (DOG, 1, "val")]
        conn.execute(
            insert(schema.release_item),
            [
                {"release_id": release_id, "image_id": sha(f"{w}-{i}"), "synset_id": ids[w]}
                | {"split": s}
                for w, i, s in rows
            ],
        )
        aggregates.store_release_counts(conn, release_id)
    findings = found(project, "SEN001", "r1")
    assert list(findings) == [f"r1:{GOOK}"]
    assert findings[f"r1:{GOOK}"].evidence["images"] == 1
    assert list(found(project, "SEN003", "r1")) == [f"r1:{GOOK}"]
