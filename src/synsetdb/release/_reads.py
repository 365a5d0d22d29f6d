"""What a release build reads from the catalog: candidates, boxes, the catalog's state.

One indexed query fetches every candidate of the selected synsets (through
``ix_candidate_synset_id_status``, in chunks of 10,000 synset ids to stay under
the backends' bound-parameter limits: one query for up to 10,000 classes),
joined to its image row; one more fetches their boxes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Select, func, select

from ..catalog import schema

__all__ = [
    "Candidate",
    "candidate_queries",
    "catalog_state",
    "fetch_boxes",
    "fetch_candidates",
    "synset_ids_of",
]

_IN_CHUNK = 10_000

Box = tuple[float, float, float, float]


class Candidate(NamedTuple):
    """A candidate row with its image's columns (a tuple: a build makes 100,000s of them)."""

    image: str
    synset_id: int
    status: str
    split: str | None
    file_name: str | None
    phash: int | None
    format: str
    blob_key: str
    source: str | None
    licence: str | None


def _chunks(ids: Sequence[Any]) -> list[list[Any]]:
    return [list(ids[i : i + _IN_CHUNK]) for i in range(0, len(ids), _IN_CHUNK)]


def synset_ids_of(conn: Connection, wnids: Sequence[str]) -> dict[str, int]:
    """The catalog ids of these wnids (those it holds): a lookup, not all 82,115 rows."""
    s = schema.synset.c
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(set(wnids))):
        rows = conn.execute(select(s.wnid, s.id).where(s.wnid.in_(chunk)))
        found.update((wnid, int(synset_id)) for wnid, synset_id in rows)
    return found


def candidate_queries(
    synset_ids: Sequence[int], statuses: Sequence[str], official_only: bool
) -> list[Select[Any]]:
    """The candidate query, one per chunk of 10,000 synset ids; columns named as ``Candidate``."""
    cand, img = schema.candidate.c, schema.image.c
    queries = []
    for chunk in _chunks(sorted(synset_ids)):
        query = (
            select(
                cand.image_id.label("image"),
                cand.synset_id,
                cand.status,
                cand.split,
                cand.file_name,
                img.phash,
                img.format,
                img.blob_key,
                img.source,
                img.licence,
            )
            .join_from(schema.candidate, schema.image, img.id == cand.image_id)
            .where(cand.synset_id.in_(chunk), cand.status.in_(list(statuses)))
        )
        if official_only:
            query = query.where(cand.split.is_not(None))
        queries.append(query)
    return queries


def fetch_candidates(
    conn: Connection, synset_ids: Sequence[int], statuses: Sequence[str], official_only: bool
) -> list[Candidate]:
    """Every candidate of these synsets with one of these statuses (any order).

    The rows are SQLAlchemy's own (tuples with the same named fields as
    ``Candidate``): building 100,000 more tuples would cost a third of the query.
    """
    rows: list[Candidate] = []
    for query in candidate_queries(synset_ids, statuses, official_only):
        rows.extend(cast("list[Candidate]", conn.execute(query).all()))
    return rows


def fetch_boxes(conn: Connection, synset_ids: Sequence[int]) -> dict[tuple[str, int], list[Box]]:
    """Boxes of these synsets, by (image, synset id), each list sorted."""
    box = schema.box.c
    found: dict[tuple[str, int], list[Box]] = {}
    for chunk in _chunks(sorted(synset_ids)):
        query = select(box.image_id, box.synset_id, box.x0, box.y0, box.x1, box.y1).where(
            box.synset_id.in_(chunk)
        )
        for image_id, synset_id, x0, y0, x1, y1 in conn.execute(query):
            found.setdefault((image_id, synset_id), []).append(
                (float(x0), float(y0), float(x1), float(y1))
            )
    for boxes in found.values():
        boxes.sort()
    return found


def catalog_state(conn: Connection, taxonomy_meta: Mapping[str, str | None]) -> dict[str, Any]:
    """What the catalog looked like: taxonomy, schema revision and counts (no times, no paths).

    Counts only what a build reads (images, candidates by status, boxes), so
    votes cast or releases made since do not change a rebuild's hash.
    """
    from alembic.runtime.migration import MigrationContext

    cand = schema.candidate.c

    def count(table: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

    by_status: dict[str, int] = dict(
        conn.execute(select(cand.status, func.count()).group_by(cand.status)).all()
    )
    return {
        **dict(taxonomy_meta),
        "schema_revision": MigrationContext.configure(conn).get_current_revision(),
        "images": count(schema.image),
        "candidates": {s: int(by_status.get(s, 0)) for s in schema.CANDIDATE_STATUSES},
        "boxes": count(schema.box),
    }
