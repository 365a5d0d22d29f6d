"""Small projects for the label checks: a custom taxonomy, coloured images, votes, predictions.

Images come in two kinds: rows only (an id from a name, no blob: enough for
predictions files and votes) and real PNGs of a solid colour with noise,
stored in the project's blob store (for cross-validation and clustering).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import insert, select

from synsetdb.catalog import ImageRecord, Project, schema
from synsetdb.verify.accounts import add_worker

# thing > red thing, blue thing, crane, plain
THING, RED, BLUE, CRANE, PLAIN = (f"c0000000{i}" for i in range(1, 6))
TAXONOMY = f"""name: colours
synsets:
  - {{id: {THING}, lemmas: [thing], gloss: anything}}
  - {{id: {RED}, lemmas: [red thing], gloss: a red thing, parents: [{THING}]}}
  - {{id: {BLUE}, lemmas: [blue thing], gloss: a blue thing, parents: [{THING}]}}
  - {{id: {CRANE}, lemmas: [crane], gloss: a bird or a machine, parents: [{THING}]}}
  - {{id: {PLAIN}, lemmas: [plain], gloss: one kind of picture, parents: [{THING}]}}
"""
COLOURS = {"red": (200, 30, 30), "blue": (30, 30, 200), "green": (30, 180, 40)}


def make_project(root: Path, catalog_url: str) -> Project:
    """A project on ``catalog_url`` (SQLite or PostgreSQL) with the colour taxonomy."""
    root.mkdir(parents=True, exist_ok=True)
    taxonomy = root.parent / f"{root.name}-taxonomy.yaml"
    taxonomy.write_text(TAXONOMY, encoding="utf-8")
    url = None if catalog_url.startswith("sqlite") else catalog_url
    return Project.init(root, catalog_url=url, taxonomy=str(taxonomy))


def row_image(project: Project, name: str) -> str:
    """An image row whose id is the sha256 of ``name`` (no blob behind it)."""
    sha = hashlib.sha256(name.encode()).hexdigest()
    project.catalog.add_image(
        ImageRecord(id=sha, width=64, height=48, format="JPEG", byte_size=10, blob_key=sha, phash=0)
    )
    return sha


def colour_png(colour: str, seed: int, side: int = 24) -> bytes:
    """A PNG of one colour with mild noise; each seed gives other bytes."""
    rng = np.random.default_rng(seed)
    base = np.array(COLOURS[colour], dtype=np.float64)
    pixels = base + rng.normal(0.0, 12.0, size=(side, side, 3))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def stored_image(project: Project, colour: str, seed: int) -> str:
    """A coloured PNG stored in the blob store with its image row; returns its id."""
    data = colour_png(colour, seed)
    key = project.blobs.put(data)
    project.catalog.add_image(
        ImageRecord(
            id=hashlib.sha256(data).hexdigest(),
            width=24,
            height=24,
            format="PNG",
            byte_size=len(data),
            blob_key=key,
            phash=0,
        )
    )
    return key


def accept(project: Project, image_ids: Sequence[str], wnid: str) -> None:
    for image in image_ids:
        project.catalog.add_candidate(image, wnid, status="accepted")


def save_predictions(
    path: Path, image_ids: Sequence[str], wnids: Sequence[str], probs: np.ndarray
) -> Path:
    np.savez(
        path,
        image_ids=np.asarray(image_ids),
        wnids=np.asarray(wnids),
        probs=np.asarray(probs, dtype=np.float32),
    )
    return path


def one_hot_probs(classes: Sequence[int], k: int, p: float = 0.9) -> np.ndarray:
    """Rows putting ``p`` on the given class and the rest evenly on the others."""
    probs = np.full((len(classes), k), (1.0 - p) / (k - 1))
    probs[np.arange(len(classes)), list(classes)] = p
    return probs


def vote(project: Project, image: str, wnid: str, answers: Sequence[tuple[str, int, bool]]) -> int:
    """Store votes ``(worker name, answer, is_control)`` on the candidate; its id."""
    catalog = project.catalog
    c, w = schema.candidate, schema.worker
    now = datetime.now(UTC)
    with catalog.engine.connect() as conn:
        candidate = conn.execute(
            select(c.c.id).where(c.c.image_id == image, c.c.synset_id == catalog.synset_id(wnid))
        ).scalar_one()
        known: dict[str, int] = {n: i for n, i in conn.execute(select(w.c.name, w.c.id))}  # noqa: C416
    for name, _, _ in answers:
        if name not in known:
            known[name] = add_worker(catalog, name, None).id
    with catalog.engine.begin() as conn:
        conn.execute(
            insert(schema.vote),
            [
                {
                    "candidate_id": candidate,
                    "worker_id": known[name],
                    "answer": answer,
                    "is_control": control,
                    "created_at": now,
                }
                for name, answer, control in answers
            ],
        )
    return int(candidate)


def record_decision(project: Project, candidate: int, actor: str) -> None:
    """A person's decision to accept the candidate, as the decision log keeps it."""
    with project.catalog.engine.begin() as conn:
        conn.execute(
            insert(schema.decision).values(
                candidate_id=candidate,
                status="accepted",
                decided_by="person",
                actor=actor,
                reason="test",
                created_at=datetime.now(UTC),
            )
        )
