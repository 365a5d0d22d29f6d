"""A project for the explorer's tests: real JPEGs through the real ingest, votes, boxes, a release.

``build`` fills an initialised WordNet project:

- dog: ``dogs`` photographs, the first ``accepted`` ingested as accepted
  labels (folder ``accepted/``), the rest as candidates (folder ``open/``);
  crowd-kit votes from three workers on the first five candidates;
- tiger cat: five accepted photographs, and one of the dogs proposed as a
  tiger cat too, with a bounding box (an image with two labels and a box);
- ``extra`` more synsets (the sample's other classes) with three accepted
  images each, for tests that grow the catalog;
- release ``r1``: dog and tiger cat's accepted images, 30% in val;
- one stored near-duplicate group: a train and a val image of ``r1``;
- accounts: ``root`` (admin), ``lab`` (may browse), ``crowd`` (labels only).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from synsetdb.catalog import BoxRecord, ImageRecord, IngestEntry, Project, schema
from synsetdb.catalog.duplicates import store_duplicate_groups
from synsetdb.ingest import FolderSource, IngestConfig, ingest
from synsetdb.release import create_release, parse_spec
from synsetdb.verify.accounts import add_worker
from synsetdb.verify.votes_io import import_votes
from tests.fixtures.photos import jpeg_variants

DOG, TIGER_CAT = "n02084071", "n02123159"
ANIMAL, CARNIVORE = "n00015388", "n02075296"
EXTRA = ("n01503061", "n02512053", "n04524313", "n03001627", "n04536866", "n09472597")
PASSWORDS = {"root": "root-password", "lab": "lab-password", "crowd": "crowd-password"}
BOX = (10.0, 12.0, 90.0, 100.0)


@dataclass(frozen=True)
class Built:
    """What ``build`` made, for the tests' expectations."""

    root: Path
    dogs: list[str]  # image ids: accepted ones first, then the open candidates
    cats: list[str]
    boxed: str  # the dog also proposed as a tiger cat, with a box
    voted: list[str]  # the candidates with votes
    group: tuple[str, str]  # the stored near-duplicate pair (r1's train, then val)
    extra: list[str]  # the extra synsets filled


def build(root: Path, work: Path, *, dogs: int = 70, accepted: int = 60, extra: int = 0) -> Built:
    project = Project.open(root)
    try:
        return _build(project, work, dogs, accepted, extra)
    finally:
        project.close()


def _build(project: Project, work: Path, dogs: int, accepted: int, extra: int) -> Built:
    photos = jpeg_variants(dogs + 5 + 3 * extra, size=(120, 90))
    dog_photos, cat_photos = photos[:dogs], photos[dogs : dogs + 5]
    extra_wnids = list(EXTRA[:extra])
    folders = {
        "accepted": {DOG: dog_photos[:accepted], TIGER_CAT: cat_photos},
        "open": {DOG: dog_photos[accepted:]},
    }
    for n, wnid in enumerate(extra_wnids):
        start = dogs + 5 + 3 * n
        folders["accepted"][wnid] = photos[start : start + 3]
    for folder, classes in folders.items():
        status = "accepted" if folder == "accepted" else "candidate"
        _ingest(project, work / folder, classes, status)
    dog_ids = [hashlib.sha256(p).hexdigest() for p in dog_photos]  # image id: sha256 of the bytes
    cat_ids = [hashlib.sha256(p).hexdigest() for p in cat_photos]
    boxed = dog_ids[0]
    _propose_with_box(project, boxed)
    voted = dog_ids[accepted : accepted + 5]
    _vote(project, work / "votes.csv", voted)
    for name, password in PASSWORDS.items():
        role = "admin" if name == "root" else "worker"
        add_worker(project.catalog, name, password, role=role, can_browse=name == "lab")
    spec = parse_spec(
        f'seed = 7\n[selection]\nwnids = ["{DOG}", "{TIGER_CAT}"]\n[splits]\nval = 0.3\n'
    )
    release = create_release(project, "r1", spec)
    train = next(it.image for it in release.manifest.items if it.split == "train")
    val = next(it.image for it in release.manifest.items if it.split == "val")
    store_duplicate_groups(project.catalog, [((train, val), 5)], radius=6, images=len(photos))
    return Built(project.root, dog_ids, cat_ids, boxed, voted, (train, val), extra_wnids)


def _ingest(project: Project, folder: Path, classes: dict[str, list[bytes]], status: str) -> None:
    for wnid, images in classes.items():
        (folder / wnid).mkdir(parents=True, exist_ok=True)
        for i, data in enumerate(images):
            (folder / wnid / f"{wnid}_{i}.jpg").write_bytes(data)
    report = ingest(project, FolderSource(folder), IngestConfig(workers=0, label_status=status))
    assert report.rejected == 0, report


def _propose_with_box(project: Project, image_id: str) -> None:
    """The image as a tiger cat candidate, with a box: written the way ingest writes boxes."""
    catalog = project.catalog
    i = schema.image.c
    with catalog.engine.connect() as conn:
        row = conn.execute(select(schema.image).where(i.id == image_id)).one()
    record = ImageRecord(
        id=row.id,
        width=row.width,
        height=row.height,
        format=row.format,
        byte_size=row.byte_size,
        blob_key=row.blob_key,
        phash=row.phash,
        thumbnail_key=row.thumbnail_key,
    )
    cat = catalog.synset_id(TIGER_CAT)
    entry = IngestEntry(
        "boxes", image_id, image=record, synset_id=cat, boxes=(BoxRecord(cat, *BOX),)
    )
    catalog.record_ingest([entry])


def _vote(project: Project, path: Path, image_ids: list[str]) -> None:
    """Three workers' crowd-kit votes on these dog candidates (two yes, one no each)."""
    c = schema.candidate.c
    dog = project.catalog.synset_id(DOG)
    with project.catalog.engine.connect() as conn:
        ids = dict(
            conn.execute(
                select(c.image_id, c.id).where(c.synset_id == dog, c.image_id.in_(image_ids))
            ).all()
        )
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["worker", "task", "label"])
        for image in image_ids:
            for worker, label in (("w1", 1), ("w2", 1), ("w3", 0)):
                writer.writerow([worker, ids[image], label])
    import_votes(project.catalog, path)
