"""One problem of each audit family, planted in a copy of the demo project.

Each function plants one thing through the project's own commands and APIs
(ingest, the blob store, votes as the labelling app stores them) and returns
the findings it must cause, as ``(code, key)`` pairs.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner
from PIL import Image
from sqlalchemy import insert, select

from synsetdb.catalog import LocalBlobStore, Project, schema
from synsetdb.cli import cli
from synsetdb.hierarchy import PERSON_ROOT, named_set
from synsetdb.verify.accounts import ensure_worker
from tests.fixtures.photos import encode, photo

TENCH = "n01440764"  # not a demo class
TIGER, LEMON, FROG = "n02129604", "n07749582", "n01639765"  # demo classes
Planted = set[tuple[str, str]]


def _ingest(root: Path, folder: Path, wnid: str, *extra: str) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "--project",
            str(root),
            "ingest",
            "folder",
            str(folder),
            "--synset",
            wnid,
            "--trusted",
            "--workers",
            "0",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output


def _photos(folder: Path, names: list[str]) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        (folder / f"{name}.jpg").write_bytes(encode(photo(name, (160, 120)), "JPEG", quality=90))
    return folder


def tiny_class(root: Path, scratch: Path) -> Planted:
    """Balance: a new class of one image, under the demo's minimum of three."""
    _ingest(root, _photos(scratch / "tench", ["coffee"]), TENCH, "--licence", "CC0-1.0")
    return {("BAL002", TENCH)}


def person_class(root: Path, scratch: Path, project: Project) -> Planted:
    """Sensitive (and licences): five photos of a person synset, ingested without a licence."""
    kept = named_set("imagenet21k-p-winter21").wnids
    wnid = min(w for w in kept if PERSON_ROOT in project.taxonomy.ancestors(w) and w != PERSON_ROOT)
    folder = _photos(
        scratch / "people", ["astronaut", "rocket", "hubble_deep_field", "retina", "chelsea"]
    )
    _ingest(root, folder, wnid, "--source-name", "planted-people")
    return {("SEN001", wnid), ("LIC001", "source:planted-people")}


def relabelled_copy(root: Path, scratch: Path, project: Project) -> Planted:
    """Leakage: a re-encoded copy of a tiger photo, labelled lemon."""
    original = project.catalog.images_under(TIGER, statuses=("accepted",))[0]
    with Image.open(io.BytesIO(project.blobs.get(_blob_key(project, original)))) as image:
        copy = encode(image.convert("RGB"), "JPEG", quality=70)
    folder = scratch / "copy"
    folder.mkdir()
    (folder / "tiger-copy.jpg").write_bytes(copy)
    _ingest(root, folder, LEMON, "--licence", "CC0-1.0")
    sha = hashlib.sha256(copy).hexdigest()
    return {("LEK005", "|".join(sorted((original, sha))))}


def corrupt_blob(project: Project) -> Planted:
    """Images: one stored original overwritten with other bytes."""
    image = project.catalog.images_under(LEMON, statuses=("accepted",))[0]
    blobs = project.blobs
    assert isinstance(blobs, LocalBlobStore)
    blobs.path(_blob_key(project, image)).write_bytes(b"not the picture any more")
    return {("IMG001", image)}


def accepted_against_votes(project: Project) -> Planted:
    """Labels: ten people vote no on an accepted tiger after it was accepted."""
    candidate, image = _candidate(project, TIGER, index=1)
    _votes(project, [(f"late-{i}", candidate, 0, False) for i in range(10)])
    return {("LBL002", f"{TIGER}:{image}")}


def spammer(project: Project) -> Planted:
    """Verification: a worker who says yes to all twelve hidden controls."""
    positives = [_candidate(project, TIGER, index=i)[0] for i in range(6)]
    negatives = [_candidate(project, w, index=i)[0] for w in (LEMON, FROG) for i in (1, 2, 3)]
    _votes(project, [("spam", c, 1, True) for c in positives + negatives], task_synset=TIGER)
    return {("VER001", "worker:spam")}


def _candidate(project: Project, wnid: str, index: int) -> tuple[int, str]:
    c = schema.candidate
    with project.catalog.engine.connect() as conn:
        rows = conn.execute(
            select(c.c.id, c.c.image_id)
            .where(c.c.synset_id == project.catalog.synset_id(wnid), c.c.status == "accepted")
            .order_by(c.c.image_id)
        ).all()
    return int(rows[index].id), str(rows[index].image_id)


def _votes(
    project: Project, answers: list[tuple[str, int, int, bool]], task_synset: str = TIGER
) -> None:
    now = datetime.now(UTC)
    workers = {name: ensure_worker(project.catalog, name).id for name, *_ in answers}
    with project.catalog.engine.begin() as conn:
        for name, worker in workers.items():
            task = conn.execute(
                insert(schema.task)
                .values(
                    synset_id=project.catalog.synset_id(task_synset),
                    kind="verify",
                    status="submitted",
                    worker_id=worker,
                    created_at=now,
                )
                .returning(schema.task.c.id)
            ).scalar_one()
            conn.execute(
                insert(schema.vote),
                [
                    {
                        "candidate_id": candidate,
                        "worker_id": worker,
                        "task_id": task,
                        "answer": answer,
                        "is_control": control,
                        "created_at": now,
                    }
                    for who, candidate, answer, control in answers
                    if who == name
                ],
            )


def _blob_key(project: Project, image_id: str) -> str:
    with project.catalog.engine.connect() as conn:
        return str(
            conn.execute(
                select(schema.image.c.blob_key).where(schema.image.c.id == image_id)
            ).scalar_one()
        )
