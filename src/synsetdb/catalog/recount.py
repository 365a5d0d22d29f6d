"""Rebuilding and checking the maintained counts (``synsetdb recount``, ``synsetdb check``).

A rebuild reads each synset's own counts with one GROUP BY, sums them over the
closure table in memory, and corrects the subtree counts only for the images
labelled more than once (:func:`~synsetdb.catalog.aggregates.subtree_totals`),
so it never joins the closure with every candidate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Date, cast, delete, func, literal, select

from . import schema
from ._bulk import bulk_insert
from .aggregates import (
    DECIDED,
    Key,
    ancestors_of,
    bump_generation,
    day_of,
    keys_of,
    read_labels,
    release_totals,
    subtree_totals,
)

__all__ = [
    "COUNTS_VERSION",
    "CountDrift",
    "RecountReport",
    "count_drift",
    "counts_are_current",
    "recount",
]

# project_meta records which version of the counts a catalog holds; a catalog
# without it (made before the counts existed) is recounted when it is migrated.
COUNTS_KEY = "counts_version"
COUNTS_VERSION = "1"


@dataclass(frozen=True, slots=True)
class RecountReport:
    """What :func:`recount` wrote."""

    synset_rows: int
    release_rows: int
    tally_rows: int
    activity_rows: int
    shared_images: int  # images labelled more than once (the subtree correction)

    def to_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class _Fresh:
    """Every count as a rebuild computes it."""

    synsets: dict[Key, tuple[int, int]]
    releases: dict[tuple[int, int, str], tuple[int, int]]
    tally: dict[tuple[str, str], int]
    activity: dict[tuple[date, str], int]
    facets: dict[tuple[int, str, str], int]
    shared_images: int = 0


def recount(conn: Connection) -> RecountReport:
    """Rebuild every maintained count from the stored rows, in the caller's transaction."""
    fresh = _compute(conn)
    tables = (schema.synset_count, schema.synset_facet, schema.release_count)
    for table in (*tables, schema.image_tally, schema.activity):
        conn.execute(delete(table))
    bulk_insert(
        conn,
        schema.synset_count,
        ("synset_id", "status", "own", "subtree"),
        [(s, k, own, sub) for (s, k), (own, sub) in sorted(fresh.synsets.items())],
    )
    bulk_insert(
        conn,
        schema.synset_facet,
        ("synset_id", "facet", "value", "n"),
        [(s, f, v, n) for (s, f, v), n in sorted(fresh.facets.items())],
    )
    bulk_insert(
        conn,
        schema.release_count,
        ("release_id", "synset_id", "split", "own", "subtree"),
        [(r, s, k, own, sub) for (r, s, k), (own, sub) in sorted(fresh.releases.items())],
    )
    bulk_insert(
        conn,
        schema.image_tally,
        ("facet", "value", "images"),
        [(f, v, n) for (f, v), n in sorted(fresh.tally.items())],
    )
    bulk_insert(
        conn,
        schema.activity,
        ("day", "kind", "n"),
        [(d, k, n) for (d, k), n in sorted(fresh.activity.items())],
    )
    _set_version(conn)
    bump_generation(conn)
    return RecountReport(
        len(fresh.synsets),
        len(fresh.releases),
        len(fresh.tally),
        len(fresh.activity),
        fresh.shared_images,
    )


def _compute(conn: Connection) -> _Fresh:
    synsets, shared = _synset_totals(conn)
    releases: dict[tuple[int, int, str], tuple[int, int]] = {}
    for release_id in conn.execute(select(schema.release.c.id)).scalars():
        for (synset, split), pair in release_totals(conn, int(release_id)).items():
            releases[(int(release_id), synset, split)] = pair
    return _Fresh(
        synsets,
        releases,
        _tally_totals(conn),
        _activity_totals(conn),
        _facet_totals(conn),
        shared,
    )


def _facet_totals(conn: Connection) -> dict[tuple[int, str, str], int]:
    """Each synset's own live candidates by split, source and licence (one GROUP BY each)."""
    c, i = schema.candidate.c, schema.image.c
    live = c.status.in_(schema.LIVE_STATUSES)
    columns = {"split": c.split, "source": c.source, "licence": i.licence}
    totals: dict[tuple[int, str, str], int] = {}
    for facet in schema.SYNSET_FACETS:
        value = func.coalesce(columns[facet], "")
        query = select(c.synset_id, value, func.count()).where(live).group_by(c.synset_id, value)
        if facet == "licence":
            query = query.join_from(schema.candidate, schema.image, i.id == c.image_id)
        for synset, found, n in conn.execute(query):
            totals[(int(synset), facet, found)] = int(n)
    return totals


def _synset_totals(conn: Connection) -> tuple[dict[Key, tuple[int, int]], int]:
    c = schema.candidate.c
    own: Counter[Key] = Counter()
    for synset, status, n in conn.execute(
        select(c.synset_id, c.status, func.count()).group_by(c.synset_id, c.status)
    ):
        for key in keys_of(status):
            own[(int(synset), key)] += int(n)
    many = select(c.image_id).group_by(c.image_id).having(func.count() > 1)
    shared_ids = list(conn.execute(many).scalars())
    labels = read_labels(conn, shared_ids).rows
    shared: dict[str, list[Key]] = {}
    for (image, synset), candidate in labels.items():
        shared.setdefault(image, []).extend((synset, key) for key in keys_of(candidate.status))
    subtree = subtree_totals(own, shared.values(), ancestors_of(conn, {s for s, _ in own}))
    totals = {pair: (own[pair], subtree[pair]) for pair in own.keys() | subtree.keys()}
    return {pair: counts for pair, counts in totals.items() if any(counts)}, len(shared_ids)


def _tally_totals(conn: Connection) -> dict[tuple[str, str], int]:
    i = schema.image.c
    tally: dict[tuple[str, str], int] = {}
    for facet in schema.IMAGE_FACETS:
        column = i[facet]
        for value, n in conn.execute(select(column, func.count()).group_by(column)):
            key = (facet, value or "")
            tally[key] = tally.get(key, 0) + int(n)
    return tally


def _activity_totals(conn: Connection) -> dict[tuple[date, str], int]:
    """Images and votes by the day they were stored, decisions by the day they were made."""
    days: Counter[tuple[date, str]] = Counter()
    i, v, c = schema.image.c, schema.vote.c, schema.candidate.c
    queries = (
        (i.created_at, literal("images"), ()),
        (v.created_at, literal("votes"), ()),
        (c.updated_at, c.status, (c.status.in_(DECIDED),)),
    )
    for moment, kind, where in queries:
        day = _sqlday_of(conn, moment)
        query = select(day, kind, func.count()).where(*where).group_by(day, kind)
        for value, name, n in conn.execute(query):
            days[(value if isinstance(value, date) else date.fromisoformat(value), name)] += int(n)
    return dict(days)


def _sqlday_of(conn: Connection, moment: Any) -> Any:
    """The UTC day of a timestamp column, in SQL."""
    if conn.dialect.name == "postgresql":
        return cast(func.timezone("UTC", moment), Date)
    return func.date(moment)  # SQLite holds the UTC time as text


def _set_version(conn: Connection) -> None:
    meta = schema.project_meta
    conn.execute(delete(meta).where(meta.c.key == COUNTS_KEY))
    conn.execute(meta.insert().values(key=COUNTS_KEY, value=COUNTS_VERSION))


def counts_are_current(conn: Connection) -> bool:
    """Whether the catalog's counts were built by this version (else :func:`recount` them)."""
    meta = schema.project_meta.c
    stored = conn.execute(select(meta.value).where(meta.key == COUNTS_KEY)).scalar_one_or_none()
    return stored == COUNTS_VERSION


# ----------------------------------------------------------------------------- check


@dataclass(frozen=True, slots=True)
class CountDrift:
    """One stored count that differs from a rebuild: which table, which row, stored and right."""

    table: str
    key: tuple[Any, ...]
    stored: tuple[int, ...]
    expected: tuple[int, ...]

    def message(self) -> str:
        key = ", ".join(str(k) for k in self.key)
        return f"{self.table}[{key}] is {self.stored}, a recount gives {self.expected}"


def count_drift(conn: Connection) -> list[CountDrift]:
    """Every stored count that a rebuild would change (``[]`` when all are right)."""
    fresh = _compute(conn)
    sc, rc = schema.synset_count.c, schema.release_count.c
    it, ac = schema.image_tally.c, schema.activity.c
    stored_synsets = {
        (int(s), k): (int(o), int(t))
        for s, k, o, t in conn.execute(select(sc.synset_id, sc.status, sc.own, sc.subtree))
    }
    stored_releases = {
        (int(r), int(s), k): (int(o), int(t))
        for r, s, k, o, t in conn.execute(
            select(rc.release_id, rc.synset_id, rc.split, rc.own, rc.subtree)
        )
    }
    stored_tally = {
        (f, v): int(n) for f, v, n in conn.execute(select(it.facet, it.value, it.images))
    }
    stored_activity = {
        (day_of(d) if isinstance(d, datetime) else d, k): int(n)
        for d, k, n in conn.execute(select(ac.day, ac.kind, ac.n))
    }
    sf = schema.synset_facet.c
    stored_facets = {
        (int(s), f, v): int(n)
        for s, f, v, n in conn.execute(select(sf.synset_id, sf.facet, sf.value, sf.n))
    }
    return [
        *_differences("synset_count", stored_synsets, fresh.synsets),
        *_differences("synset_facet", stored_facets, fresh.facets),
        *_differences("release_count", stored_releases, fresh.releases),
        *_differences("image_tally", stored_tally, fresh.tally),
        *_differences("activity", stored_activity, fresh.activity),
    ]


def _differences(
    table: str, stored: Mapping[Any, Any], expected: Mapping[Any, Any]
) -> list[CountDrift]:
    return [
        CountDrift(table, key, _tuple(stored.get(key)), _tuple(expected.get(key)))
        for key in sorted(stored.keys() | expected.keys(), key=str)
        if stored.get(key) != expected.get(key)
    ]


def _tuple(value: int | tuple[int, ...] | None) -> tuple[int, ...]:
    if value is None:
        return ()
    return value if isinstance(value, tuple) else (value,)
