"""Stored releases on a WordNet project: create, load, list, verify; refusals change nothing."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from synsetdb.catalog import Project, schema
from synsetdb.errors import ReleaseError
from synsetdb.hierarchy import PERSON_ROOT
from synsetdb.release import (
    create_release,
    list_releases,
    load_release,
    parse_spec,
    verify_release,
)
from tests.fixtures.photos import jpeg_variants
from tests.release.catalog_rows import Row, add_rows, ingest_photos, random_hashes

TENCH, GOLDFISH, LEMON = "n01440764", "n01443537", "n07749582"
ADULT, CHILD = "n09605289", "n09917593"  # in the person subtree

SPEC = f"""
seed = 3
[selection]
wnids = ["{TENCH}", "{GOLDFISH}", "{LEMON}"]
[splits]
val = 3
"""


def _project_with_rows(root: Path) -> Project:
    project = Project.open(root)
    hashes = iter(random_hashes(100, seed=4))
    add_rows(
        project.catalog,
        [
            Row(f"{w}-{i}", w, next(hashes), file_name=f"{w}_{i}.JPEG", licence="CC-BY")
            for w in (TENCH, GOLDFISH, LEMON, ADULT, CHILD)
            for i in range(10)
        ],
    )
    return project


def _rows_in_catalog(project: Project) -> tuple[int, int]:
    with project.catalog.engine.connect() as conn:
        releases = conn.execute(select(func.count()).select_from(schema.release)).scalar_one()
        items = conn.execute(select(func.count()).select_from(schema.release_item)).scalar_one()
    return int(releases), int(items)


def test_create_load_and_list(wordnet_project: Path) -> None:
    project = _project_with_rows(wordnet_project)
    release = create_release(project, "fish-v1", parse_spec(SPEC))
    folder = wordnet_project / "releases" / "fish-v1"
    data = (folder / "manifest.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() == release.sha256
    assert data == release.manifest.to_bytes()
    report = json.loads((folder / "report.json").read_text())
    assert report["items"] == 30 and report["classes"] == 3
    assert sorted(p.name for p in (wordnet_project / "releases").iterdir()) == ["fish-v1"]
    # the datasheet, written with the build report and the catalog's source and licence counts
    sheet = (folder / "datasheet.md").read_text(encoding="utf-8")
    assert release.sha256 in sheet and (folder / "datasheet.html").is_file()
    assert "| test-rows | 30 |" in sheet and "| CC-BY | 30 |" in sheet
    loaded = load_release(Project.open(wordnet_project), "fish-v1")
    assert loaded.manifest == release.manifest and loaded.name == "fish-v1"
    assert loaded.sha256 == release.sha256
    (info,) = list_releases(project)
    assert (info.name, info.sha256, info.parent, info.items, info.classes) == (
        "fish-v1",
        release.sha256,
        None,
        30,
        3,
    )
    assert info.created_at.endswith("+00:00")
    assert _rows_in_catalog(project) == (1, 30)


def test_the_same_spec_gives_the_same_hash_and_a_parent_is_recorded(
    wordnet_project: Path, tmp_path: Path
) -> None:
    project = _project_with_rows(wordnet_project)
    first = create_release(project, "a", parse_spec(SPEC))
    second = create_release(project, "b", parse_spec(SPEC))
    assert first.sha256 == second.sha256  # creating a release does not change what a build reads
    child = create_release(project, "c", parse_spec(f'parent = "a"\n{SPEC}'))
    assert child.manifest.parent == first.sha256 and child.sha256 != first.sha256
    sheet = (wordnet_project / "releases" / "c" / "datasheet.md").read_text(encoding="utf-8")
    assert first.sha256 in sheet  # the datasheet compares the child with its parent
    assert {i.name: i.parent for i in list_releases(project)} == {"a": None, "b": None, "c": "a"}
    with pytest.raises(ReleaseError) as caught:
        create_release(project, "d", parse_spec(f'parent = "zzz"\n{SPEC}', source="s.toml"))
    assert caught.value.code == "E_NO_RELEASE" and "s.toml: parent" in str(caught.value)


def _snapshot(project: Project) -> tuple[dict[str, bytes], list[tuple[object, ...]]]:
    """Every file under releases/ and every release and release_item row."""
    root = project.releases_dir
    files = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with project.catalog.engine.connect() as conn:
        rows = [tuple(r) for t in (schema.release, schema.release_item) for r in conn.execute(
            select(t).order_by(*t.primary_key.columns)
        )]  # fmt: skip
    return files, rows


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_release_folders_follow_the_umask(wordnet_project: Path, umask: int) -> None:
    project = _project_with_rows(wordnet_project)
    old = os.umask(umask)
    try:
        create_release(project, "v1", parse_spec(SPEC))
    finally:
        os.umask(old)
    folder = wordnet_project / "releases" / "v1"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o777 & ~umask
    for file in folder.iterdir():
        assert stat.S_IMODE(file.stat().st_mode) == 0o666 & ~umask, file.name


def test_an_existing_name_is_refused_and_nothing_changes(wordnet_project: Path) -> None:
    project = _project_with_rows(wordnet_project)
    create_release(project, "v1", parse_spec(SPEC))
    before = _snapshot(project)
    assert "v1/manifest.json" in before[0] and "v1/datasheet.md" in before[0]
    for spec in (parse_spec(f'[selection]\nwnids = ["{LEMON}"]\n'), parse_spec(SPEC)):
        with pytest.raises(ReleaseError) as caught:
            create_release(project, "v1", spec)
        assert caught.value.code == "E_RELEASE_EXISTS"
        assert _snapshot(project) == before  # no file, row or timestamp changed


def test_bad_names_are_refused_before_anything_is_written(wordnet_project: Path) -> None:
    project = _project_with_rows(wordnet_project)
    for name in ("", "../up", ".hidden", "a/b", "x" * 129, "tab\there", "é", "/abs"):
        with pytest.raises(ReleaseError) as caught:
            create_release(project, name, parse_spec(SPEC))
        assert caught.value.code == "E_RELEASE_NAME", name
    assert list((wordnet_project / "releases").iterdir()) == []
    assert _rows_in_catalog(project) == (0, 0)


def test_failed_builds_and_folders_in_the_way_leave_nothing(wordnet_project: Path) -> None:
    project = _project_with_rows(wordnet_project)
    with pytest.raises(ReleaseError) as caught:
        create_release(project, "v1", parse_spec('[selection]\nwnids = ["n01440765"]\n'))
    assert caught.value.code == "E_SPEC"
    with pytest.raises(ReleaseError) as caught:
        create_release(project, "v1", parse_spec('[selection]\nwnids = ["n02084071"]\n'))
    assert caught.value.code == "E_EMPTY_RELEASE"
    assert list((wordnet_project / "releases").iterdir()) == []
    (wordnet_project / "releases" / "v1").mkdir()
    (wordnet_project / "releases" / "v1" / "notes.txt").write_text("mine")
    with pytest.raises(ReleaseError) as caught:
        create_release(project, "v1", parse_spec(SPEC))
    assert caught.value.code == "E_RELEASE_DIR"
    assert (wordnet_project / "releases" / "v1" / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in (wordnet_project / "releases").iterdir()) == ["v1"]
    assert _rows_in_catalog(project) == (0, 0)


def test_loading_refuses_changed_or_missing_manifests(wordnet_project: Path) -> None:
    project = _project_with_rows(wordnet_project)
    create_release(project, "v1", parse_spec(SPEC))
    with pytest.raises(ReleaseError) as caught:
        load_release(project, "v2")
    assert caught.value.code == "E_NO_RELEASE" and "v1" in str(caught.value)
    manifest = wordnet_project / "releases" / "v1" / "manifest.json"
    original = manifest.read_bytes()
    raw = json.loads(original)
    raw["items"][0][2] = "val" if raw["items"][0][2] == "train" else "train"
    manifest.write_text(json.dumps(raw, sort_keys=True, separators=(",", ":")))
    with pytest.raises(ReleaseError) as caught:
        load_release(project, "v1")
    assert caught.value.code == "E_MANIFEST_MISMATCH"
    manifest.unlink()
    with pytest.raises(ReleaseError) as caught:
        load_release(project, "v1")
    assert caught.value.code == "E_MANIFEST_MISSING"
    manifest.write_bytes(original)
    assert load_release(project, "v1").sha256 == hashlib.sha256(original).hexdigest()


def test_person_and_unsafe_filters_are_applied_and_reported(
    wordnet_project: Path, tmp_path: Path
) -> None:
    project = _project_with_rows(wordnet_project)
    (tmp_path / "unsafe.txt").write_text(f"# reviewed\n{LEMON}\nn99999999  # not in WordNet\n")
    spec_text = (
        f'[selection]\nwnids = ["{TENCH}", "{LEMON}", "{ADULT}"]\nsubtrees = ["{PERSON_ROOT}"]\n'
        '[filters]\nperson = true\nunsafe = "unsafe.txt"\n'
    )
    spec = parse_spec(spec_text, base_dir=tmp_path)
    release = create_release(project, "safe", spec)
    assert release.manifest.wnids == [TENCH]
    report = json.loads((wordnet_project / "releases" / "safe" / "report.json").read_text())
    person, unsafe = report["filters"]
    assert person["filter"] == "person" and person["images_removed"] == 20
    assert set(person["wnids"]) >= {ADULT, CHILD} and person["classes_removed"] > 10_000
    assert unsafe == {
        "filter": "unsafe",
        "classes_removed": 1,
        "wnids": [LEMON],
        "images_removed": 10,
        "unknown_wnids": ["n99999999"],
    }
    assert release.manifest.spec["filters"]["unsafe"] == [LEMON, "n99999999"]


def test_verify_finds_missing_and_corrupt_blobs_and_changed_rows(
    wordnet_project: Path, tmp_path: Path
) -> None:
    project = Project.open(wordnet_project)
    photos = jpeg_variants(12)
    ingest_photos(project, tmp_path / "photos", {TENCH: photos[:6], GOLDFISH: photos[6:]})
    release = create_release(project, "v1", parse_spec(SPEC))
    report = verify_release(project, "v1")
    assert report.ok and report.items == 12 and report.blobs == 12
    assert report.to_dict()["problems"] == []
    first, second = release.manifest.items[0], release.manifest.items[1]
    blob_dir = Path(project.blobs.url)
    (blob_dir / first.blob[:2] / first.blob).unlink()
    (blob_dir / second.blob[:2] / second.blob).write_bytes(b"not the picture")
    with project.catalog.engine.begin() as conn:
        conn.execute(
            delete(schema.release_item).where(
                schema.release_item.c.image_id == release.manifest.items[2].image
            )
        )
    report = verify_release(project, "v1", threads=2)
    assert not report.ok
    found = {(p.code, p.subject, p.items) for p in report.problems}
    assert ("E_BLOB_MISSING", first.blob, (first.name,)) in found
    assert ("E_BLOB_CORRUPT", second.blob, (second.name,)) in found
    mismatch = [p for p in report.problems if p.code == "E_ITEMS_MISMATCH"]
    assert len(mismatch) == 1 and mismatch[0].items == (release.manifest.items[2].name,)
    assert report.to_dict()["problem_counts"] == {
        "E_BLOB_MISSING": 1,
        "E_BLOB_CORRUPT": 1,
        "E_ITEMS_MISMATCH": 1,
    }


@pytest.mark.postgres
def test_a_release_on_postgresql_with_a_custom_taxonomy(tmp_path: Path, postgres_url: str) -> None:
    taxonomy = tmp_path / "shells.yaml"
    taxonomy.write_text(
        "name: shells\nsynsets:\n"
        "  - {id: c00000001, lemmas: [shell], gloss: a hard outer covering}\n"
        "  - {id: c00000002, lemmas: [sea glass], gloss: frosted glass, parents: [c00000001]}\n"
        "  - {id: c00000003, lemmas: [cowrie], gloss: a glossy shell, parents: [c00000001]}\n"
    )
    project = Project.init(tmp_path / "p", catalog_url=postgres_url, taxonomy=str(taxonomy))
    hashes = iter(random_hashes(20, seed=8))
    add_rows(
        project.catalog,
        [Row(f"{w}-{i}", w, next(hashes)) for w in ("c00000002", "c00000003") for i in range(6)],
    )
    spec = parse_spec('[selection]\nsubtrees = ["c00000001"]\n[splits]\nval = 0.5\n')
    release = create_release(project, "shells-v1", spec)
    assert release.manifest.wnids == ["c00000002", "c00000003"]
    assert release.manifest.hierarchy == {
        "c00000001": (),
        "c00000002": ("c00000001",),
        "c00000003": ("c00000001",),
    }
    assert sum(it.split == "val" for it in release.manifest.items) == 6
    assert _rows_in_catalog(project) == (1, 12)
    assert load_release(project, "shells-v1").sha256 == release.sha256
    with pytest.raises(ReleaseError) as caught:
        create_release(project, "shells-v1", spec)
    assert caught.value.code == "E_RELEASE_EXISTS"
    report = verify_release(project, "shells-v1")
    assert {p.code for p in report.problems} == {"E_BLOB_MISSING"}  # rows only: no blobs here
    assert create_release(project, "shells-v2", spec).sha256 == release.sha256
    project.close()
