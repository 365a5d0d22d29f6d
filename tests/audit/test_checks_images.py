"""The image checks (IMG001-IMG005): stored blobs, sizes, colour modes and EXIF turns."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from synsetdb.catalog import LocalBlobStore, Project
from synsetdb.release import create_release, parse_spec
from tests.audit._balance_data import DEEP, Img, add_images, audit, findings, make_project, many
from tests.fixtures.photos import COLOUR_PHOTOS, encode, orientation_exif, photo
from tests.release.catalog_rows import ingest_photos

A, B, C, D, E, F = DEEP


@pytest.fixture
def project(tmp_path: Path, catalog_url: str) -> Iterator[Project]:
    opened = make_project(tmp_path / "project", catalog_url)
    yield opened
    opened.close()


def _colour(i: int, size: tuple[int, int] = (160, 120)) -> bytes:
    """A distinct colour JPEG (photo and size vary with ``i``)."""
    name = COLOUR_PHOTOS[i % len(COLOUR_PHOTOS)]
    return encode(photo(name, (size[0] + 8 * i, size[1] + 4 * i)), "JPEG", quality=85)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------- IMG001


def test_missing_and_corrupt_blobs_are_found(project: Project, tmp_path: Path) -> None:
    photos = [_colour(i) for i in range(4)]
    ingest_photos(project, tmp_path / "in", {A: photos})
    assert audit(project, "IMG001") == set()
    blobs = project.blobs
    assert isinstance(blobs, LocalBlobStore)
    broken, gone = _sha(photos[0]), _sha(photos[1])
    blobs.path(broken).write_bytes(b"not the bytes that were ingested")
    blobs.path(gone).unlink()
    found = {f.key: f for f in findings(project, "IMG001")}
    assert set(found) == {broken, gone}
    assert found[broken].evidence["code"] == "E_BLOB_CORRUPT"
    assert found[gone].evidence["code"] == "E_BLOB_MISSING"
    assert found[gone].image == gone and found[gone].evidence["sampled"] == 4


def test_the_sample_is_the_ids_from_the_seeds_point_on(project: Project, tmp_path: Path) -> None:
    photos = [_colour(i) for i in range(5)]
    ingest_photos(project, tmp_path / "in", {A: photos})
    ids = sorted(_sha(p) for p in photos)
    blobs = project.blobs
    assert isinstance(blobs, LocalBlobStore)
    for image_id in ids:
        blobs.path(image_id).unlink()
    for seed in (0, 1, 2):
        start = hashlib.sha256(f"synsetdb-audit-sample:{seed}".encode()).hexdigest()
        after = [i for i in ids if i >= start]
        expected = set((after + [i for i in ids if i < start])[:2])
        assert audit(project, "IMG001", options={"sample": 2, "seed": seed}) == expected
    assert audit(project, "IMG001", options={"sample": 0}) == set(ids)


# ----------------------------------------------------------------------------- IMG002, IMG003


def test_small_images_per_image_and_per_class(project: Project) -> None:
    add_images(
        project,
        [
            Img("ok", A),
            Img("small", A, width=40, height=300),
            Img("edge", A, width=64, height=64),  # at the policy: fine
            *many(B, 3, width=20, height=20),
            Img("small-candidate", C, status="candidate", width=10, height=10),  # out of scope
        ],
    )
    small = Img("small", A).id
    found = {f.key: f for f in findings(project, "IMG002", options={"per_class": 2})}
    assert set(found) == {small, f"class:{B}"}
    assert found[small].evidence == {"width": 40, "height": 300, "min_side": 64}
    assert found[f"class:{B}"].evidence["images"] == 3
    assert len(audit(project, "IMG002")) == 4  # per_class 20: one finding per image
    assert audit(project, "IMG002", options={"min_side": 20}) == set()


def test_extreme_aspect_ratios(project: Project) -> None:
    add_images(
        project,
        [
            Img("wide", A, width=1000, height=200),
            Img("tall", A, width=100, height=401),
            Img("four", A, width=400, height=100),  # exactly 4: fine
            Img("square", B, width=300, height=300),
        ],
    )
    found = {f.key: f for f in findings(project, "IMG003")}
    assert set(found) == {Img("wide", A).id, Img("tall", A).id}
    assert found[Img("wide", A).id].evidence["aspect"] == 5.0
    assert audit(project, "IMG003", options={"max_aspect": 4.5}) == {Img("wide", A).id}


def test_release_scope_keys(project: Project) -> None:
    add_images(project, [*many(A, 4), Img("tiny", A, width=30, height=30), *many(B, 5)])
    create_release(project, "r1", parse_spec(f'[selection]\nwnids = ["{A}"]\n'))
    assert audit(project, "IMG002", release="r1") == {"r1:" + Img("tiny", A).id}
    assert audit(project, "IMG003", release="r1") == set()


# ----------------------------------------------------------------------------- IMG004, IMG005


@pytest.fixture
def photographed(project: Project, tmp_path: Path) -> Project:
    """A: colour; B: 3 grey of 4 (two single-channel, one grey RGB); C: one CMYK of 4;
    D: one original of 3 turned by EXIF (orientation 6)."""
    grey = [photo(name, (150 + 10 * i, 110)) for i, name in enumerate(("camera", "coins", "moon"))]
    ingest_photos(
        project,
        tmp_path / "in",
        {
            A: [_colour(i) for i in range(4)],
            B: [
                encode(grey[0].convert("L"), "JPEG"),
                encode(grey[1].convert("L"), "JPEG"),
                encode(grey[2], "JPEG"),  # grey picture, RGB file
                _colour(4),
            ],
            C: [_colour(i) for i in range(5, 8)]
            + [encode(photo("rocket").convert("CMYK"), "JPEG")],
            D: [
                _colour(8),
                _colour(9),
                encode(photo("coffee", (200, 100)), "JPEG", exif=orientation_exif(6)),
            ],
        },
    )
    return project


def test_grey_and_cmyk_shares(photographed: Project) -> None:
    found = {f.key: f for f in findings(photographed, "IMG004")}
    assert set(found) == {B, C}
    assert (found[B].evidence["grey"], found[B].evidence["sampled"]) == (3, 4)
    assert (found[C].evidence["cmyk"], found[C].evidence["grey"]) == (1, 0)
    options = {"max_grey_share": 0.75, "max_cmyk_share": 0.25}
    assert audit(photographed, "IMG004", options=options) == set()
    assert audit(photographed, "IMG004", options={"min_sampled": 5}) == set()
    # 2 per class, 4 in all, classes in wnid order: A and B are sampled, C is not
    options = {"per_class": 2, "sample": 4, "min_sampled": 1, "max_grey_share": 1.0}
    assert audit(photographed, "IMG004", options=options) == set()


def test_colour_classes_are_not_flagged(project: Project, tmp_path: Path) -> None:
    ingest_photos(project, tmp_path / "in", {A: [_colour(i) for i in range(4)]})
    assert audit(project, "IMG004") == set()
    assert audit(project, "IMG005") == set()


def test_exif_turned_originals(photographed: Project) -> None:
    (turned,) = findings(photographed, "IMG005")
    assert turned.key == D
    assert turned.evidence["rotated"] == 1 and turned.evidence["sampled"] == 3
    assert turned.evidence["orientations"] == [6]
    assert audit(photographed, "IMG005", options={"min_share": 0.4}) == set()
