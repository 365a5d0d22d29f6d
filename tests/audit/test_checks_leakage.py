"""The leakage family (LEK001-LEK006) on a planted catalog and two releases, on both backends.

The taxonomy is four custom synsets (thing > cat, thing > dog > puppy), so a
project starts in well under a second on SQLite and PostgreSQL alike. Release
rows are written straight into the catalog (as ``release.store`` does), so a
test can plant what the builder would refuse to make: one image in two splits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from synsetdb.audit import AuditConfig, run_audit
from synsetdb.catalog import ImageRecord, Project, aggregates, schema
from synsetdb.errors import ConfigError

THING, CAT, DOG, PUPPY = "c00000001", "c00000002", "c00000003", "c00000004"
TAXONOMY = (
    "name: pets\nsynsets:\n"
    "  - {id: c00000001, lemmas: [thing], gloss: anything}\n"
    "  - {id: c00000002, lemmas: [cat], gloss: a cat, parents: [c00000001]}\n"
    "  - {id: c00000003, lemmas: [dog], gloss: a dog, parents: [c00000001]}\n"
    "  - {id: c00000004, lemmas: [puppy], gloss: a young dog, parents: [c00000003]}\n"
)

# Base pHashes far apart (random, fixed): near copies flip a few low bits.
BASE = {
    "A": 0x1B6F_0E2A_95C3_4D71,
    "C": 0x7A01_5E9C_22B4_F086,
    "D": 0x4C3D_A9F2_6810_EB57,
    "F": 0x2E94_C7B1_0D5A_3F68,
    "G": 0x6B27_F0D3_8E4C_1A95,
    "H": 0x5D8A_1C6E_F327_B049,
    "B": 0x3F52_86DB_C91E_07A4,
    "E": 0x0C7E_3B95_A46D_F218,
}
# The pictures: name -> pHash (signed, as the catalog stores it).
HASHES = {
    "A": BASE["A"],
    "A2": BASE["A"] ^ 0b11,  # 2 bits from A
    "B": BASE["B"],
    "C": BASE["C"],
    "C2": BASE["C"],  # another file, the same pHash
    "D": BASE["D"],
    "D2": BASE["D"] ^ 0b111,  # 3 bits from D
    "E": BASE["E"],
    "F": BASE["F"],
    "F2": BASE["F"] ^ 0b1,
    "G": BASE["A"] ^ 0xFF00,  # 8 bits from A: beyond the default radius of 6
    "H": BASE["H"],
    "H2": BASE["H"] ^ 0b1,
}
# Release r1: (picture, synset, split). Planted:
#   B in train (dog) and val (cat): LEK001, LEK002; A2 (val) near A (train): LEK003;
#   C and C2 in val: LEK004; D (dog) near D2 (cat), both train: LEK005 (LEK004 with
#   include_train); E as dog and puppy, F (puppy) near F2 (dog): nested, nothing;
#   G (val) 8 bits from A: LEK003 only at radius 8; H2 (val) near r0's H (train) and
#   A2 in r0's train: LEK006.
R1 = [
    ("A", CAT, "train"),
    ("A2", CAT, "val"),
    ("B", DOG, "train"),
    ("B", CAT, "val"),
    ("C", DOG, "val"),
    ("C2", DOG, "val"),
    ("D", DOG, "train"),
    ("D2", CAT, "train"),
    ("E", DOG, "train"),
    ("E", PUPPY, "train"),
    ("F", PUPPY, "train"),
    ("F2", DOG, "train"),
    ("G", CAT, "val"),
    ("H2", CAT, "val"),
]
R0 = [("H", CAT, "train"), ("A2", CAT, "train"), ("F", PUPPY, "val")]


def sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def pair(a: str, b: str) -> str:
    return "|".join(sorted((sha(a), sha(b))))


def add_release(project: Project, name: str, items: list[tuple[str, str, str]]) -> None:
    ids = {w: project.catalog.synset_id(w) for _, w, _ in items}
    with project.catalog.engine.begin() as conn:
        release_id = conn.execute(
            insert(schema.release)
            .values(
                name=name,
                config={},
                manifest_sha256="0" * 64,
                created_at=datetime.now(UTC),
            )
            .returning(schema.release.c.id)
        ).scalar_one()
        conn.execute(
            insert(schema.release_item),
            [
                {"release_id": release_id, "image_id": sha(p), "synset_id": ids[w], "split": s}
                for p, w, s in items
            ],
        )
        aggregates.store_release_counts(conn, release_id)


@pytest.fixture
def project(tmp_path: Path, catalog_url: str) -> Iterator[Project]:
    taxonomy = tmp_path / "pets.yaml"
    taxonomy.write_text(TAXONOMY)
    made = Project.init(tmp_path / "p", catalog_url=catalog_url, taxonomy=str(taxonomy))
    for name, phash in HASHES.items():
        signed = phash - (1 << 64) if phash >= 1 << 63 else phash
        made.catalog.add_image(ImageRecord(sha(name), 64, 48, "JPEG", 10, sha(name), phash=signed))
    for name, wnid, _ in R1:
        made.catalog.add_candidate(sha(name), wnid, status="accepted")
    made.catalog.add_candidate(sha("H"), CAT, status="accepted")
    add_release(made, "r0", R0)
    add_release(made, "r1", R1)
    yield made
    made.close()


def found(project: Project, code: str, release: str | None = "r1", **options: Any) -> list[Any]:
    config = AuditConfig(
        release=release, select=(code,), options={code: options} if options else {}, store=False
    )
    (result,) = run_audit(project, config).results
    assert result.skipped is None, result.skipped
    return sorted(result.findings, key=lambda f: f.key)


def test_lek001_an_image_in_two_splits(project: Project) -> None:
    (finding,) = found(project, "LEK001")
    assert finding.key == f"r1:{sha('B')}"
    assert (finding.image, finding.split) == (sha("B"), "val")
    assert finding.evidence["splits"] == ["train", "val"]
    assert finding.evidence["items"] == [
        {"wnid": DOG, "split": "train"},
        {"wnid": CAT, "split": "val"},
    ]
    assert found(project, "LEK001", "r0") == []  # r0 has no image twice


def test_lek002_one_image_under_two_synsets_not_nested(project: Project) -> None:
    assert [f.key for f in found(project, "LEK002")] == [f"r1:{sha('B')}"]
    assert [f.key for f in found(project, "LEK002", None)] == [sha("B")]  # the catalog
    # E is a dog and a puppy: reported only when nested ones are asked for
    keys = {f.key for f in found(project, "LEK002", nested=True)}
    assert keys == {f"r1:{sha('B')}", f"r1:{sha('E')}"}
    (b,) = found(project, "LEK002")
    assert b.evidence == {"wnids": [CAT, DOG], "splits": ["train", "val"]}


def test_lek003_held_out_image_near_train(project: Project) -> None:
    (finding,) = found(project, "LEK003")
    assert finding.key == f"r1:{pair('A2', 'A')}"
    assert (finding.image, finding.other_image, finding.split) == (sha("A2"), sha("A"), "val")
    assert finding.evidence["distance"] == 2 and finding.evidence["partners"] == 1
    assert finding.evidence["other"] == {
        "image": sha("A"),
        "wnid": CAT,
        "split": "train",
        "release": "r1",
    }
    # radius 8 reaches G too (8 bits from A); A2 is 10 bits from G, not linked
    wider = found(project, "LEK003", radius=8)
    assert [f.key for f in wider] == sorted([f"r1:{pair('A2', 'A')}", f"r1:{pair('G', 'A')}"])
    assert found(project, "LEK003", radius=1) == []
    assert found(project, "LEK003", "r0") == []  # r0's val F has no copy in r0's train


def test_lek004_copies_in_one_held_out_split(project: Project) -> None:
    (finding,) = found(project, "LEK004")
    assert finding.key == f"r1:val:{pair('C', 'C2')}"
    assert finding.evidence["distance"] == 0 and finding.split == "val"
    keys = [f.key for f in found(project, "LEK004", include_train=True)]
    assert sorted(keys) == sorted(
        [f"r1:val:{pair('C', 'C2')}", f"r1:train:{pair('D', 'D2')}", f"r1:train:{pair('F', 'F2')}"]
    )


def test_lek005_near_duplicates_with_different_labels(project: Project) -> None:
    (finding,) = found(project, "LEK005")
    assert finding.key == f"r1:{pair('D', 'D2')}"
    assert finding.evidence["distance"] == 3
    assert {finding.synset, finding.evidence["other"]["wnid"]} == {CAT, DOG}
    # the catalog: the same pair; F (puppy) and F2 (dog) only when nested ones count
    assert [f.key for f in found(project, "LEK005", None)] == [pair("D", "D2")]
    keys = [f.key for f in found(project, "LEK005", None, nested=True)]
    assert keys == sorted([pair("D", "D2"), pair("F", "F2")])


def test_lek006_held_out_images_in_another_release_train(project: Project) -> None:
    findings = found(project, "LEK006")
    assert [f.key for f in findings] == sorted(
        [f"r1:r0:{pair('A2', 'A2')}", f"r1:r0:{pair('H2', 'H')}"]
    )
    by_image = {f.image: f for f in findings}
    same, near = by_image[sha("A2")], by_image[sha("H2")]
    assert same.other_image == sha("A2") and same.evidence["distance"] == 0
    assert "the same image" in same.message
    assert near.other_image == sha("H") and near.evidence["distance"] == 1
    assert near.evidence["other"]["release"] == "r0" and near.split == "val"
    # r0's val (F) against r1's train: F's copy F2 is there, and F itself
    reverse = found(project, "LEK006", "r0")
    assert [f.key for f in reverse] == [f"r0:r1:{pair('F', 'F')}"]
    assert reverse[0].evidence["partners"] == 2  # F and F2


def test_lek006_against_and_nothing_to_compare(project: Project) -> None:
    assert [f.key for f in found(project, "LEK006", against=["r0"])] == sorted(
        [f"r1:r0:{pair('A2', 'A2')}", f"r1:r0:{pair('H2', 'H')}"]
    )
    with pytest.raises(ConfigError):
        found(project, "LEK006", against=["nope"])
    for against in ([], ["r1"]):  # nothing, or only the release itself
        options = {"LEK006": {"against": against}}
        config = AuditConfig(release="r1", select=("LEK006",), options=options, store=False)
        (result,) = run_audit(project, config).results
        assert result.skipped == "no other release to compare with"


def test_release_only_checks_skip_on_the_catalog(project: Project) -> None:
    report = run_audit(project, AuditConfig(select=("leakage",), store=False))
    ran = {r.check.code: r for r in report.results}
    assert [f.key for f in ran["LEK002"].findings] == [sha("B")]
    assert all(ran[c].skipped for c in ("LEK001", "LEK003", "LEK004", "LEK006"))
