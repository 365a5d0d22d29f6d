"""``blur_faces = true``: faces blurred into new blobs on the engine, originals kept, cached."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from synsetdb.catalog import Project, schema
from synsetdb.catalog.browse import image_files
from synsetdb.engine import LocalEngine
from synsetdb.errors import ReleaseError
from synsetdb.release import create_release, parse_spec, verify_release
from synsetdb.release.faces import LbpFaceDetector
from tests.fixtures.photos import encode, photo
from tests.release.catalog_rows import ingest_photos

PEOPLE, CATS = "n07942152", "n02121808"  # "people" (not under person), domestic cat

SPEC = f"""
[selection]
wnids = ["{PEOPLE}", "{CATS}"]
[filters]
blur_faces = true
"""


class CountingDetector:
    """The bundled LBP detector, counting the images it searches (in this process)."""

    def __init__(self) -> None:
        self.inner = LbpFaceDetector()
        self.calls = 0

    @property
    def name(self) -> str:
        return "counting-lbp"

    def detect(self, image: Image.Image) -> list[tuple[int, int, int, int]]:
        self.calls += 1
        return self.inner.detect(image)

    def __repr__(self) -> str:
        return f"CountingDetector({self.inner!r})"


def _photos() -> dict[str, list[bytes]]:
    return {
        PEOPLE: [encode(photo("astronaut"), "JPEG", quality=92)],
        CATS: [encode(photo("chelsea"), "JPEG", quality=92), encode(photo("coffee"), "PNG")],
    }


def _ingested(root: Path, tmp_path: Path) -> tuple[Project, dict[str, list[bytes]]]:
    """The project at ``root`` with the three photographs ingested as accepted labels."""
    project = Project.open(root)
    photos = _photos()
    ingest_photos(project, tmp_path / "in", photos)
    return project, photos


def test_faces_are_blurred_into_new_blobs_and_cached(wordnet_project: Path, tmp_path: Path) -> None:
    project, photos = _ingested(wordnet_project, tmp_path)
    detector = CountingDetector()
    engine = LocalEngine(workers=0)
    release = create_release(project, "v1", parse_spec(SPEC), engine=engine, detector=detector)
    assert detector.calls == 3
    (astronaut,) = [it for it in release.manifest.items if it.wnid == PEOPLE]
    assert astronaut.blurred and astronaut.blob != astronaut.image
    # the original is untouched and still what the catalog's image id names
    original = project.blobs.get(astronaut.image, verify=True)
    assert original == photos[PEOPLE][0]
    blurred = release.read(astronaut, verify=True)
    assert blurred != original and astronaut.format == "JPEG"
    assert Image.open(io.BytesIO(blurred)).size == (512, 512)
    cats = [it for it in release.manifest.items if it.wnid == CATS]
    assert not any(it.blurred for it in cats) and all(it.blob == it.image for it in cats)
    assert {it.format for it in cats} == {"JPEG", "PNG"}
    assert verify_release(project, "v1").ok
    # the blurred copy is a rendition of its image: the explorer shows it beside the original
    files = image_files(project.catalog, astronaut.image)
    assert files is not None and files.renditions == {"faces-blurred": astronaut.blob}
    report = (wordnet_project / "releases" / "v1" / "report.json").read_text()
    assert '"blurred": 1' in report and '"face_detector": "counting-lbp"' in report
    # a rebuild searches nothing again, and gives the same release
    again = create_release(project, "v2", parse_spec(SPEC), engine=engine, detector=detector)
    assert detector.calls == 3 and again.sha256 == release.sha256
    # a deleted blurred blob is made again rather than trusted from the cache
    Path(project.blobs.url, astronaut.blob[:2], astronaut.blob).unlink()
    third = create_release(project, "v3", parse_spec(SPEC), engine=engine, detector=detector)
    assert detector.calls == 4 and third.sha256 == release.sha256
    assert hashlib.sha256(third.read(astronaut)).hexdigest() == astronaut.blob


def test_blurring_runs_on_a_real_process_pool(wordnet_project: Path, tmp_path: Path) -> None:
    project, _ = _ingested(wordnet_project, tmp_path)
    pooled = create_release(project, "pooled", parse_spec(SPEC), engine=LocalEngine(workers=2))
    blurred = [it for it in pooled.manifest.items if it.blurred]
    assert [it.wnid for it in blurred] == [PEOPLE]
    # the same bytes as blurring in this process (another detector key: no cache shared)
    detector = CountingDetector()
    local = create_release(
        project, "local", parse_spec(SPEC), engine=LocalEngine(workers=0), detector=detector
    )
    assert detector.calls == 3 and local.sha256 == pooled.sha256


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_a_bad_blob_stops_blurring_with_a_code_and_stores_nothing(
    wordnet_project: Path, tmp_path: Path, damage: str
) -> None:
    project, photos = _ingested(wordnet_project, tmp_path)
    astronaut = hashlib.sha256(photos[PEOPLE][0]).hexdigest()
    path = Path(project.blobs.url, astronaut[:2], astronaut)
    if damage == "missing":
        path.unlink()
    else:  # another real photograph under the astronaut's key: blurring it would publish it
        path.write_bytes(photos[CATS][0])
    with pytest.raises(ReleaseError) as caught:
        create_release(project, "v1", parse_spec(SPEC), engine=LocalEngine(workers=0))
    assert caught.value.code == {"corrupt": "E_BLOB_CORRUPT", "missing": "E_BLOB_MISSING"}[damage]
    assert astronaut in str(caught.value)  # the message names the image
    with project.catalog.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.release)).scalar_one() == 0
    assert [p.name for p in (wordnet_project / "releases").iterdir()] == [".cache"]


def test_damaged_cache_lines_are_skipped(wordnet_project: Path, tmp_path: Path) -> None:
    project, photos = _ingested(wordnet_project, tmp_path)
    detector = CountingDetector()
    engine = LocalEngine(workers=0)
    first = create_release(project, "v1", parse_spec(SPEC), engine=engine, detector=detector)
    (cache,) = (wordnet_project / "releases" / ".cache").glob("faces-*.jsonl")
    astronaut = hashlib.sha256(photos[PEOPLE][0]).hexdigest()
    damaged = [
        {"image": astronaut, "blob": "../../../etc/passwd", "format": "JPEG"},
        {"image": astronaut, "blob": 5, "format": "JPEG"},
        {"image": astronaut, "blob": "ab" * 32, "format": None},
        {"image": ["not", "a", "sha"], "blob": None, "format": None},
    ]
    with cache.open("a", encoding="utf-8") as out:
        out.writelines(json.dumps(entry) + "\n" for entry in damaged)
        out.write('{"image": "cut short by a cra')
    again = create_release(project, "v2", parse_spec(SPEC), engine=engine, detector=detector)
    assert detector.calls == 3  # the good lines still stand: nothing searched again
    assert again.sha256 == first.sha256
