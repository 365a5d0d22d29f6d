"""Maintained counts: what the explorer shows without ever scanning the images.

Five tables (``schema``) hold them:

- ``synset_count``: per synset and key (each candidate status, and ``live``
  for any status but rejected), ``own`` candidates of the synset itself and
  ``subtree`` *distinct* images with such a candidate anywhere under it;
- ``synset_facet``: per synset, its own live candidates by split, source and
  licence (the synset page's counts, without reading the class's rows);
- ``release_count``: the same per release and split (``all`` for every split);
- ``image_tally``: images per source, licence and format;
- ``activity``: per UTC day, images added, votes cast, candidates decided.

Every write that changes them keeps them right in its own transaction:
:func:`counting` wraps writes to candidates (it reads the touched images'
labels before and after, and applies the difference), :func:`count_images`
and :func:`count_votes` follow inserts, :func:`store_release_counts` runs
when a release is stored. ``catalog.recount`` rebuilds all of it from the
rows (``synsetdb recount``; also after a taxonomy change, which moves
subtrees) and compares the stored counts with a rebuild (``synsetdb check``).

A subtree count is a count of distinct images: an image proposed for both
husky and beagle counts once under dog. The hierarchy is a DAG, so a synset
with two parents counts under both, and once under their common ancestors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Table,
    Text,
    cast,
    delete,
    func,
    select,
    tuple_,
)

from . import schema
from ._bulk import bulk_insert, upsert_insert

__all__ = [
    "ALL_SPLITS",
    "LIVE",
    "bump_generation",
    "count_images",
    "count_votes",
    "counting",
    "counting_candidates",
    "counts_generation",
    "keys_of",
    "store_release_counts",
    "subtree_totals",
]

LIVE = "live"
ALL_SPLITS = "all"
# project_meta: a number that grows with every change of the counts, so that a
# reader (the statistics page) may keep what it computed from them until it does.
GENERATION_KEY = "counts_generation"
_CHUNK = 500  # ids per IN (...) list
DECIDED = ("accepted", "rejected", "undecided")

Key = tuple[int, str]  # (synset id, status or split)
Label = tuple[int, str]  # one candidate of an image: (synset id, status)


def keys_of(status: str) -> tuple[str, ...]:
    """The keys one candidate of this status counts under: its status, and ``live`` if live."""
    return (status, LIVE) if status in schema.LIVE_STATUSES else (status,)


def subtree_totals(
    own: Mapping[Key, int],
    shared: Iterable[Sequence[Key]],
    ancestors: Mapping[int, Collection[int]],
) -> Counter[Key]:
    """Distinct images under each synset, from own counts and the multiply-labelled images.

    Args:
        own: images per (synset, key) of the synset itself.
        shared: for each image with more than one (synset, key), those pairs:
            summing ``own`` over ancestors counts such an image once per pair,
            so each is taken back down to one per (ancestor, key).
        ancestors: every synset of ``own`` mapped to its ancestors, itself included.
    """
    totals: Counter[Key] = Counter()
    for (synset, key), n in own.items():
        for ancestor in ancestors[synset]:
            totals[(ancestor, key)] += n
    for pairs in shared:
        seen = Counter((a, key) for synset, key in pairs for a in ancestors[synset])
        for pair, times in seen.items():
            if times > 1:
                totals[pair] -= times - 1
    return totals


# ----------------------------------------------------------------------------- incremental


@dataclass(frozen=True, slots=True)
class _Candidate:
    """What the counts need of one candidate: its status and when it was set, its facets."""

    status: str
    updated: Any
    facets: tuple[str, str, str]  # split, source, licence ('' for none): SYNSET_FACETS' order


@dataclass(frozen=True, slots=True)
class _Labelled:
    """The candidates of some images: (image, synset) -> what the counts need of it."""

    rows: dict[tuple[str, int], _Candidate]
    by_image: dict[str, set[Label]]  # image -> its (synset, status) pairs

    def of(self, image: str) -> set[Label]:
        return self.by_image.get(image, set())


def read_labels(conn: Connection, image_ids: Sequence[str]) -> _Labelled:
    c, i = schema.candidate.c, schema.image.c
    rows: dict[tuple[str, int], _Candidate] = {}
    for start in range(0, len(image_ids), _CHUNK):
        chunk = image_ids[start : start + _CHUNK]
        query = (
            select(c.image_id, c.synset_id, c.status, c.updated_at, c.split, c.source, i.licence)
            .join_from(schema.candidate, schema.image, i.id == c.image_id)
            .where(c.image_id.in_(chunk))
        )
        for image, synset, status, updated, split, source, licence in conn.execute(query):
            facets = (split or "", source or "", licence or "")
            rows[(image, int(synset))] = _Candidate(status, updated, facets)
    by_image: dict[str, set[Label]] = {}
    for (image, synset), candidate in rows.items():
        by_image.setdefault(image, set()).add((synset, candidate.status))
    return _Labelled(rows, by_image)


def ancestors_of(conn: Connection, synset_ids: Iterable[int]) -> dict[int, list[int]]:
    """Each synset's ancestors, itself included, from the closure table."""
    wanted = sorted(set(synset_ids))
    found: dict[int, list[int]] = {s: [] for s in wanted}
    cl = schema.synset_closure.c
    for start in range(0, len(wanted), _CHUNK):
        query = select(cl.descendant_id, cl.ancestor_id).where(
            cl.descendant_id.in_(wanted[start : start + _CHUNK])
        )
        for descendant, ancestor in conn.execute(query):
            found[int(descendant)].append(int(ancestor))
    for synset, ancestors in found.items():
        if not ancestors:  # a synset outside the closure still counts under itself
            ancestors.append(synset)
    return found


@contextmanager
def counting(conn: Connection, image_ids: Iterable[str]) -> Iterator[None]:
    """Keep the synset counts and decisions per day right across writes to these images' candidates.

    Wrap, in the caller's transaction, every insert or status change of the
    candidates of ``image_ids``::

        with engine.begin() as conn, counting(conn, [image_id]):
            conn.execute(update(candidate)...)

    Writers of the counts take turns: the first thing this does is to bump the
    generation number, a write to one row, which holds SQLite's write lock and
    PostgreSQL's lock on that row until the caller commits. So the labels read
    "before" are never another writer's half-way state, and every writer takes
    its locks in one order (no deadlock between an ingest and a decision).
    """
    ids = sorted(set(image_ids))
    bump_generation(conn)
    before = read_labels(conn, ids)
    yield
    after = read_labels(conn, ids)
    _apply(conn, before, after)


@contextmanager
def counting_candidates(conn: Connection, candidate_ids: Iterable[int]) -> Iterator[None]:
    """:func:`counting` for the images of these candidates (a status change by candidate id)."""
    wanted = sorted(set(candidate_ids))
    c = schema.candidate.c
    images: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        query = select(c.image_id).where(c.id.in_(wanted[start : start + _CHUNK]))
        images.update(conn.execute(query).scalars())
    with counting(conn, images):
        yield


def _apply(conn: Connection, before: _Labelled, after: _Labelled) -> None:
    images = before.by_image.keys() | after.by_image.keys()
    changed = {i for i in images if before.of(i) != after.of(i)}
    if not changed:
        return
    synsets = {s for (i, s) in before.rows.keys() | after.rows.keys() if i in changed}
    ancestors = ancestors_of(conn, synsets)
    own: Counter[Key] = Counter()
    subtree: Counter[Key] = Counter()
    for image in changed:
        old, new = before.of(image), after.of(image)
        for labels, sign in ((old, -1), (new, 1)):
            pairs = {(s, key) for s, status in labels for key in keys_of(status)}
            for pair in pairs:
                own[pair] += sign
            for a, key in {(a, key) for s, key in pairs for a in ancestors[s]}:
                subtree[(a, key)] += sign
    _add_counts(conn, schema.synset_count, {}, own, subtree)
    _add_facets(conn, _facet_changes(before, after))
    _add_activity(conn, _decisions(before, after))


def _facet_changes(before: _Labelled, after: _Labelled) -> Counter[tuple[int, str, str]]:
    """(synset, facet, value) -> change of its live candidates (those that became or left live)."""
    changes: Counter[tuple[int, str, str]] = Counter()
    for pair in before.rows.keys() | after.rows.keys():
        old, new = before.rows.get(pair), after.rows.get(pair)
        delta = _is_live(new) - _is_live(old)
        if delta:
            facets = (new or old).facets  # type: ignore[union-attr]
            for facet, value in zip(schema.SYNSET_FACETS, facets, strict=True):
                changes[(pair[1], facet, value)] += delta
    return changes


def _is_live(candidate: _Candidate | None) -> int:
    return int(candidate is not None and candidate.status in schema.LIVE_STATUSES)


def _decisions(before: _Labelled, after: _Labelled) -> Counter[tuple[date, str]]:
    """Candidates that reached a decided status in this write, by the day they did, less
    those that left one (a decision overridden, a source no longer trusted)."""
    days: Counter[tuple[date, str]] = Counter()
    for pair in before.rows.keys() | after.rows.keys():
        old, new = before.rows.get(pair), after.rows.get(pair)
        if old is not None and new is not None and old.status == new.status:
            continue
        if new is not None and new.status in DECIDED:
            days[(day_of(new.updated), new.status)] += 1
        if old is not None and old.status in DECIDED:
            days[(day_of(old.updated), old.status)] -= 1
    return days


def day_of(moment: Any) -> date:
    """The UTC day of a stored time (SQLite gives naive datetimes, stored as UTC)."""
    if isinstance(moment, datetime):
        day: date = (moment.astimezone(UTC) if moment.tzinfo else moment).date()
        return day
    return datetime.now(UTC).date()


def count_images(conn: Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Count images just inserted (their ``image`` row values) by facet and by day."""
    tally: Counter[tuple[str, str]] = Counter()
    days: Counter[tuple[date, str]] = Counter()
    for row in rows:
        for facet in schema.IMAGE_FACETS:
            tally[(facet, row.get(facet) or "")] += 1
        days[(day_of(row.get("created_at")), "images")] += 1
    _add_tally(conn, tally)
    _add_activity(conn, days)
    if tally:
        bump_generation(conn)


def count_votes(conn: Connection, times: Iterable[datetime]) -> None:
    """Count votes just inserted, by the day of their ``created_at``."""
    days = Counter((day_of(t), "votes") for t in times)
    _add_activity(conn, days)
    if days:
        bump_generation(conn)


def bump_generation(conn: Connection) -> None:
    """Note one more change of the counts (in the caller's transaction).

    An upsert of one row: it always takes that row's lock (see :func:`counting`).
    """
    meta = schema.project_meta
    statement = upsert_insert(conn, meta).values(key=GENERATION_KEY, value="1")
    grown = cast(cast(meta.c.value, BigInteger) + 1, Text)
    conn.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": grown}))


def counts_generation(conn: Connection) -> int:
    """How many changes the counts have seen (0 before any): equal numbers, equal counts."""
    meta = schema.project_meta.c
    value = conn.execute(select(meta.value).where(meta.key == GENERATION_KEY)).scalar()
    return int(value or 0)


# ----------------------------------------------------------------------------- upserts


def _upsert(conn: Connection, table: Table, keys: Sequence[str], added: Sequence[str]) -> Any:
    """INSERT … ON CONFLICT (keys) DO UPDATE SET column = column + excluded.column."""
    statement = upsert_insert(conn, table)
    return statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + statement.excluded[name] for name in added},
    )


def _add_counts(
    conn: Connection,
    table: Table,
    fixed: Mapping[str, Any],
    own: Counter[Key],
    subtree: Counter[Key],
) -> None:
    key_column = "split" if table is schema.release_count else "status"
    pairs = sorted(p for p in own.keys() | subtree.keys() if own[p] or subtree[p])
    if not pairs:
        return
    keys = [*fixed, "synset_id", key_column]
    conn.execute(
        _upsert(conn, table, keys, ("own", "subtree")),
        [
            {**fixed, "synset_id": s, key_column: k, "own": own[(s, k)], "subtree": subtree[(s, k)]}
            for s, k in pairs
        ],
    )
    # Only a count that went down can have reached zero (an ingest only adds).
    shrunk = [p for p in pairs if own[p] < 0 or subtree[p] < 0]
    for start in range(0, len(shrunk), _CHUNK):
        conn.execute(
            delete(table).where(
                tuple_(table.c.synset_id, table.c[key_column]).in_(shrunk[start : start + _CHUNK]),
                table.c.own == 0,
                table.c.subtree == 0,
                *(table.c[name] == value for name, value in fixed.items()),
            )
        )


def _add_facets(conn: Connection, changes: Counter[tuple[int, str, str]]) -> None:
    changed = sorted(key for key, n in changes.items() if n)
    if not changed:
        return
    table = schema.synset_facet
    conn.execute(
        _upsert(conn, table, ("synset_id", "facet", "value"), ("n",)),
        [{"synset_id": s, "facet": f, "value": v, "n": changes[(s, f, v)]} for s, f, v in changed],
    )
    shrunk = [key for key in changed if changes[key] < 0]
    for start in range(0, len(shrunk), _CHUNK):
        keys = tuple_(table.c.synset_id, table.c.facet, table.c.value)
        conn.execute(delete(table).where(keys.in_(shrunk[start : start + _CHUNK]), table.c.n <= 0))


def _add_tally(conn: Connection, tally: Counter[tuple[str, str]]) -> None:
    if tally:
        conn.execute(
            _upsert(conn, schema.image_tally, ("facet", "value"), ("images",)),
            [{"facet": f, "value": v, "images": n} for (f, v), n in sorted(tally.items())],
        )


def _add_activity(conn: Connection, days: Counter[tuple[date, str]]) -> None:
    changed = sorted(key for key, n in days.items() if n)
    if not changed:
        return
    table = schema.activity
    conn.execute(
        _upsert(conn, table, ("day", "kind"), ("n",)),
        [{"day": d, "kind": k, "n": days[(d, k)]} for d, k in changed],
    )
    # A decision taken back (overridden, a source no longer trusted) can empty a day.
    for day, kind in (key for key in changed if days[key] < 0):
        conn.execute(delete(table).where(table.c.day == day, table.c.kind == kind, table.c.n <= 0))


# ----------------------------------------------------------------------------- releases


def store_release_counts(conn: Connection, release_id: int) -> int:
    """Write a stored release's counts per synset and split from its items; returns the rows."""
    totals = release_totals(conn, release_id)
    rows = [
        (release_id, synset, split, own, subtree)
        for (synset, split), (own, subtree) in sorted(totals.items())
    ]
    rc = schema.release_count
    conn.execute(delete(rc).where(rc.c.release_id == release_id))
    bump_generation(conn)
    return bulk_insert(
        conn, schema.release_count, ("release_id", "synset_id", "split", "own", "subtree"), rows
    )


def release_totals(conn: Connection, release_id: int) -> dict[Key, tuple[int, int]]:
    ri = schema.release_item.c
    own: Counter[Key] = Counter()
    query = (
        select(ri.synset_id, ri.split, func.count())
        .where(ri.release_id == release_id)
        .group_by(ri.synset_id, ri.split)
    )
    for synset, split, n in conn.execute(query):
        own[(int(synset), split)] += int(n)
        own[(int(synset), ALL_SPLITS)] += int(n)
    many = (
        select(ri.image_id)
        .where(ri.release_id == release_id)
        .group_by(ri.image_id)
        .having(func.count() > 1)
    )
    shared_ids = list(conn.execute(many).scalars())
    shared: dict[str, list[Key]] = {}
    for start in range(0, len(shared_ids), _CHUNK):
        query = select(ri.image_id, ri.synset_id, ri.split).where(
            ri.release_id == release_id, ri.image_id.in_(shared_ids[start : start + _CHUNK])
        )
        for image, synset, split in conn.execute(query):
            shared.setdefault(image, []).extend([(int(synset), split), (int(synset), ALL_SPLITS)])
    ancestors = ancestors_of(conn, {s for s, _ in own})
    subtree = subtree_totals(own, shared.values(), ancestors)
    return {pair: (own[pair], subtree[pair]) for pair in own.keys() | subtree.keys()}
