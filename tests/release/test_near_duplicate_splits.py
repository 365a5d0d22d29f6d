"""Crops, turns and mirror images of a photo are kept in its split; distinct photos are not tied."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from synsetdb.catalog import Project, schema
from synsetdb.ingest.dedupe import catalog_duplicates, store_catalog_duplicates
from synsetdb.release import build_manifest, parse_spec
from tests.fixtures.photos import PHOTO_NAMES, encode, photo
from tests.imaging.copies import crop, mirror, straighten
from tests.release.catalog_rows import ingest_photos

CAT, DOG = "n02121808", "n02084071"
SPEC = f"""seed = 7
[selection]
wnids = ["{CAT}", "{DOG}"]
[splits]
val = 0.5
"""


def _project(root: Path) -> tuple[Project, list[str]]:
    """A cat class: chelsea and three copies of it among other photos; a dog class of photos.

    Returns the project and the names of chelsea's files (original first).
    """
    original = photo("chelsea")
    copies = [crop(original, 0.15, 0, 0, 0), straighten(original, 6), mirror(original)]
    others = [photo(name, (400, 300)) for name in PHOTO_NAMES if name != "chelsea"]
    cats = [original, *copies, *others[:6]]
    dogs = others[6:]
    project = Project.open(root)
    data = {
        CAT: [encode(im, "JPEG", quality=90) for im in cats],
        DOG: [encode(im, "JPEG", quality=90) for im in dogs],
    }
    ingest_photos(project, root.parent / "photos", data)
    return project, [f"{CAT}_{i}" for i in range(4)]


def test_copies_of_a_photo_land_in_its_split(wordnet_project: Path) -> None:
    project, chelsea = _project(wordnet_project)
    built = build_manifest(project.catalog, project.taxonomy, parse_spec(SPEC), blobs=project.blobs)
    splits = {item.name: item.split for item in built.manifest.items}
    assert len({splits[name] for name in chelsea}) == 1, {n: splits[n] for n in chelsea}
    report = built.report["splits"]
    assert report["duplicate_groups"] == 1 and report["grouped_items"] == 4, report
    # The variant hashes were computed once and kept: a build without the blob
    # store reads them and splits the same way.
    with project.catalog.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(schema.image_variant)).scalar_one()
    assert rows == len(built.manifest.items)
    again = build_manifest(project.catalog, project.taxonomy, parse_spec(SPEC))
    assert again.manifest.sha256 == built.manifest.sha256


def test_dups_groups_the_copies_and_only_them(wordnet_project: Path) -> None:
    project, _ = _project(wordnet_project)
    groups = catalog_duplicates(project.catalog, blobs=project.blobs)
    assert [g.size for g in groups] == [4]
    with project.catalog.engine.connect() as conn:
        names = dict(
            conn.execute(select(schema.candidate.c.image_id, schema.candidate.c.file_name)).all()
        )
    assert sorted(names[i] for i in groups[0].ids) == [f"{CAT}_{i}.jpg" for i in range(4)]
    stored = store_catalog_duplicates(project.catalog, blobs=project.blobs)
    assert stored.groups == 1 and stored.images == len(names)
