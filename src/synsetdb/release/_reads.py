"""What a release build reads from the catalog: candidates, boxes, the catalog's state.

One indexed query fetches every candidate of the selected synsets (through
``ix_candidate_synset_id_status``, in chunks of 10,000 synset ids to stay under
the backends' bound-parameter limits: one query for up to 10,000 classes),
joined to its image row; one more fetches their boxes, and one counts the
crowd's votes on the candidates the crowd decided. When nothing matches, two
small aggregates say what the selection holds instead (``status_counts``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Select, func, select

from ..catalog import schema

__all__ = [
    "Candidate",
    "StatusCount",
    "candidate_queries",
    "candidate_sources",
    "catalog_state",
    "crowd_votes",
    "fetch_boxes",
    "fetch_candidates",
    "status_counts",
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
    decided_by: str | None  # source, crowd, person; None while undecided
    label_source: str | None  # the source that proposed this label (candidate.source)


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
                cand.decided_by,
                cand.source.label("label_source"),
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


def crowd_votes(conn: Connection, synset_ids: Sequence[int]) -> dict[tuple[str, int], int]:
    """Votes (controls aside) on each crowd-decided candidate, by (image, synset id)."""
    cand, vote = schema.candidate.c, schema.vote.c
    found: dict[tuple[str, int], int] = {}
    for chunk in _chunks(sorted(synset_ids)):
        query = (
            select(cand.image_id, cand.synset_id, func.count())
            .join_from(schema.candidate, schema.vote, vote.candidate_id == cand.id)
            .where(
                cand.synset_id.in_(chunk), cand.decided_by == "crowd", vote.is_control.is_(False)
            )
            .group_by(cand.image_id, cand.synset_id)
        )
        found.update(((image, int(synset)), int(n)) for image, synset, n in conn.execute(query))
    return found


class StatusCount(NamedTuple):
    """What the selected synsets hold with one status: images, synsets, official splits."""

    images: int
    synsets: int
    official: int  # images that came with an official split


def status_counts(
    conn: Connection, synset_ids: Sequence[int]
) -> tuple[dict[str, StatusCount], StatusCount]:
    """Candidates of these synsets per status, and in all, whatever a spec selects.

    Explains an empty build: two aggregate queries per 10,000 synsets.
    """
    cand = schema.candidate.c
    columns = (
        func.count(cand.image_id.distinct()),
        func.count(cand.synset_id.distinct()),
        func.count(cand.split),
    )
    found: dict[str, StatusCount] = {}
    total = StatusCount(0, 0, 0)
    for chunk in _chunks(sorted(synset_ids)):
        where = cand.synset_id.in_(chunk)
        query = select(cand.status, *columns).where(where).group_by(cand.status)
        for status, *counts in conn.execute(query):
            found[status] = _add(found.get(status, StatusCount(0, 0, 0)), counts)
        total = _add(total, conn.execute(select(*columns).where(where)).one())
    return found, total


def _add(before: StatusCount, counts: Sequence[int]) -> StatusCount:
    return StatusCount(*(a + int(b) for a, b in zip(before, counts, strict=True)))


def candidate_sources(conn: Connection, synset_ids: Sequence[int], status: str) -> dict[str, int]:
    """Candidates of these synsets with ``status``, per source that proposed them."""
    cand = schema.candidate.c
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(synset_ids)):
        query = (
            select(cand.source, func.count())
            .where(cand.synset_id.in_(chunk), cand.status == status)
            .group_by(cand.source)
        )
        for source, n in conn.execute(query):
            key = source or "unknown"
            found[key] = found.get(key, 0) + int(n)
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
