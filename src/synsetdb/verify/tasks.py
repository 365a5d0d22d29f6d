"""Labelling tasks over the catalog: batches, routing, submissions, decisions.

A task is one worker's batch of candidates of one synset, with hidden
controls mixed in (ImageNetV2's procedure): accepted images of the synset
(positive controls) and of a sibling synset (negative controls). The batch
holds the open candidates whose next vote is worth most: during a synset's
seed phase, the seed candidates still short of ``seed_votes``; afterwards
those most likely to be decided by one more vote (ImageNet's dynamic
consensus, :mod:`synsetdb.verify.consensus`).

Votes are append-only. A submission turns every item of the batch into one
vote (selected: yes, else no) in one transaction, guarded by the task's
status, so a retried POST records nothing twice. A task not submitted by its
expiry returns its candidates to the pool. After each submission the
synset's decisions are refreshed: candidates become ``accepted``,
``rejected`` or ``undecided`` and are not asked again.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, case, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..catalog import Catalog, aggregates, schema
from ..errors import VerifyError
from .consensus import ConfidenceTable, ConsensusConfig, Decision, decide
from .labels import log_decisions

__all__ = [
    "Submission",
    "Task",
    "TaskConfig",
    "TaskItem",
    "apply_decisions",
    "expire_tasks",
    "next_task",
    "refresh_decisions",
    "submit",
]

KIND = "verify"
OPEN, SUBMITTED, EXPIRED = "open", "submitted", "expired"
# The candidate status each final decision gives (an open candidate keeps "candidate").
_STATUS_OF = {
    Decision.ACCEPT: "accepted",
    Decision.REJECT: "rejected",
    Decision.UNDECIDED: "undecided",
}
_CHUNK = 10_000  # ids per IN (...) list: under every driver's parameter limit


@dataclass(frozen=True, slots=True)
class TaskConfig:
    """How batches are made.

    Attributes:
        batch_size: images per task, controls included (ImageNetV2: 48).
        positive_controls, negative_controls: hidden controls per task, when
            the catalog has accepted images to use.
        ttl: how long a worker may keep a task before it expires.
        consensus: the dynamic consensus that decides candidates.
        review: single-annotator review, for a lab without a crowd: one answer
            decides its candidate at once (selected: accepted, else rejected),
            as that person's decision; batches carry no hidden controls.
    """

    batch_size: int = 48
    positive_controls: int = 3
    negative_controls: int = 3
    ttl: timedelta = timedelta(minutes=30)
    consensus: ConsensusConfig = field(default_factory=ConsensusConfig)
    review: bool = False

    def __post_init__(self) -> None:
        controls = self.positive_controls + self.negative_controls
        if self.review and controls:
            raise VerifyError("review mode has no hidden controls: set them to 0", code="E_CONFIG")
        if self.batch_size < 1 or min(self.positive_controls, self.negative_controls) < 0:
            raise VerifyError("batch_size must be >= 1 and control counts >= 0", code="E_CONFIG")
        if controls >= self.batch_size:
            raise VerifyError("controls must leave room for candidates in a batch", code="E_CONFIG")
        if self.ttl <= timedelta(0):
            raise VerifyError("ttl must be positive", code="E_CONFIG")


@dataclass(frozen=True, slots=True)
class TaskItem:
    """One image of a batch as the worker sees it (controls are not marked)."""

    candidate_id: int
    image_id: str
    thumbnail_key: str | None


@dataclass(frozen=True, slots=True)
class Task:
    """A batch for one worker, with what ImageNet's workers saw of the synset."""

    id: int
    worker_id: int
    wnid: str
    name: str
    lemmas: tuple[str, ...]
    gloss: str
    ancestors: tuple[str, ...]  # names from the root down to the parent
    items: tuple[TaskItem, ...]
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Submission:
    """What a submission recorded; ``repeated`` when the task was already submitted."""

    task_id: int
    votes: int
    repeated: bool


# ----------------------------------------------------------------------------- tasks


def next_task(
    catalog: Catalog,
    worker_id: int,
    config: TaskConfig | None = None,
    *,
    now: datetime | None = None,
    prefer: str | None = None,
) -> Task | None:
    """The worker's open task, or a new batch; None when nothing is left for this worker.

    ``prefer``: a wnid whose candidates come first when a new batch is made
    (the explorer's "label it"); others follow when it has none for this worker.
    """
    config = config or TaskConfig()
    now = now or datetime.now(UTC)
    expire_tasks(catalog, now)
    first = catalog.synset_id(prefer) if prefer is not None else None
    try:
        with catalog.engine.begin() as conn:
            current = _open_task_id(conn, worker_id)
            if current is not None:
                return _load_task(conn, current)
            order = _synsets_with_open_candidates(conn)
            if first in order:
                order = [first] + [s for s in order if s != first]
            for synset_id in order:
                chosen = _route(conn, synset_id, worker_id, config)
                if chosen:
                    task_id = _create(conn, synset_id, worker_id, chosen, config, now)
                    return _load_task(conn, task_id)
    except IntegrityError:
        # Another process gave this worker a batch after our look: the unique
        # index on open tasks refused a second one. Hand out the first.
        with catalog.engine.connect() as conn:
            current = _open_task_id(conn, worker_id)
            if current is None:
                raise
            return _load_task(conn, current)
    return None


def _open_task_id(conn: Connection, worker_id: int) -> int | None:
    t = schema.task.c
    current = conn.execute(select(t.id).where(t.worker_id == worker_id, t.status == OPEN)).scalar()
    return None if current is None else int(current)


def submit(
    catalog: Catalog,
    task_id: int,
    worker_id: int,
    selected: Collection[int],
    config: TaskConfig | None = None,
    *,
    now: datetime | None = None,
) -> Submission:
    """Record one vote per item of the task: yes for ``selected`` candidate ids, else no.

    Raises:
        VerifyError: ``E_NO_TASK`` (not this worker's task), ``E_TASK_EXPIRED``,
            ``E_BAD_SUBMISSION`` (a selected id is not in the batch).
    """
    config = config or TaskConfig()
    now = now or datetime.now(UTC)
    t, ti = schema.task, schema.task_item
    with catalog.engine.begin() as conn:
        row = conn.execute(select(t).where(t.c.id == task_id)).first()
        if row is None or row.worker_id != worker_id:
            raise VerifyError(f"task {task_id} is not yours", code="E_NO_TASK")
        if row.status == SUBMITTED:
            return Submission(task_id, 0, repeated=True)
        if row.status == EXPIRED or _aware(row.expires_at) <= now:
            raise VerifyError(f"task {task_id} expired; take a new batch", code="E_TASK_EXPIRED")
        items = conn.execute(
            select(ti.c.candidate_id, ti.c.is_control).where(ti.c.task_id == task_id)
        ).all()
        unknown = set(selected) - {i.candidate_id for i in items}
        if unknown:
            raise VerifyError(
                f"{len(unknown)} selected image(s) are not in task {task_id}",
                code="E_BAD_SUBMISSION",
            )
        # The guard: only one transaction can move the task out of "open".
        moved = conn.execute(
            update(t)
            .where(t.c.id == task_id, t.c.status == OPEN)
            .values(status=SUBMITTED, submitted_at=now)
        ).rowcount
        if moved == 0:
            return Submission(task_id, 0, repeated=True)
        # A worker votes once per candidate: should two of its batches overlap
        # (two app processes racing in next_task), the second's answers on the
        # shared candidates are dropped rather than counted twice.
        already = _voted_on(conn, worker_id, [i.candidate_id for i in items if not i.is_control])
        votes = [
            {
                "candidate_id": i.candidate_id,
                "worker_id": worker_id,
                "task_id": task_id,
                "answer": int(i.candidate_id in selected),
                "is_control": bool(i.is_control),
                "created_at": now,
            }
            for i in items
            if i.is_control or i.candidate_id not in already
        ]
        if votes:
            conn.execute(insert(schema.vote), votes)
            aggregates.count_votes(conn, [now] * len(votes))
        if config.review:
            _review_decides(conn, worker_id, [v for v in votes if not v["is_control"]], now)
    if not config.review:
        refresh_decisions(catalog, int(row.synset_id), config.consensus)
    return Submission(task_id, len(votes), repeated=False)


def _review_decides(
    conn: Connection, worker_id: int, votes: Sequence[Mapping[str, Any]], now: datetime
) -> None:
    """Review mode: each answer decides its open candidate, as the reviewer's own decision."""
    c = schema.candidate
    reviewer = conn.execute(
        select(schema.worker.c.name).where(schema.worker.c.id == worker_id)
    ).scalar_one()
    wanted = [int(v["candidate_id"]) for v in votes]
    still_open = set(
        conn.execute(
            select(c.c.id).where(c.c.id.in_(wanted), c.c.status.in_(("candidate", "undecided")))
        ).scalars()
    )
    by_status: dict[str, list[int]] = {"accepted": [], "rejected": []}
    for v in votes:
        if v["candidate_id"] in still_open:
            by_status["accepted" if v["answer"] else "rejected"].append(int(v["candidate_id"]))
    with aggregates.counting_candidates(conn, still_open):
        for status, ids in by_status.items():
            if ids:
                conn.execute(
                    update(c)
                    .where(c.c.id.in_(ids))
                    .values(status=status, decided_by="person", updated_at=now)
                )
                log_decisions(conn, ids, status, "person", actor=reviewer, reason="review", now=now)


def _voted_on(conn: Connection, worker_id: int, candidates: list[int]) -> set[int]:
    """Which of ``candidates`` the worker already has a (non-control) vote on."""
    v = schema.vote
    rows = conn.execute(
        select(v.c.candidate_id).where(
            v.c.worker_id == worker_id, v.c.candidate_id.in_(candidates), ~v.c.is_control
        )
    )
    return {int(r.candidate_id) for r in rows}


def expire_tasks(catalog: Catalog, now: datetime | None = None) -> int:
    """Mark open tasks past their expiry as expired; their candidates return to the pool."""
    now = now or datetime.now(UTC)
    t = schema.task
    with catalog.engine.begin() as conn:
        result = conn.execute(
            update(t).where(t.c.status == OPEN, t.c.expires_at <= now).values(status=EXPIRED)
        )
    return int(result.rowcount)


# ----------------------------------------------------------------------------- decisions


def vote_counts(conn: Connection, synset_id: int) -> list[Any]:
    """(candidate id, status, yes, votes, image id) of the synset's candidates with real votes."""
    c, v = schema.candidate, schema.vote
    yes = func.sum(case((v.c.answer == 1, 1), else_=0))
    return list(
        conn.execute(
            select(c.c.id, c.c.status, yes, func.count(v.c.id), c.c.image_id)
            .join(v, and_(v.c.candidate_id == c.c.id, v.c.is_control.is_(False)))
            .where(c.c.synset_id == synset_id)
            .group_by(c.c.id, c.c.status, c.c.image_id)
        ).all()
    )


def _table(counts: list[Any], config: ConsensusConfig, open_total: int) -> ConfidenceTable | None:
    """The synset's confidence table, once its seed is complete (None before)."""
    if not counts:
        return None
    yes = np.array([r[2] for r in counts], dtype=np.float64)
    total = np.array([r[3] for r in counts], dtype=np.float64)
    seeded = int((total >= config.seed_votes).sum())
    if seeded < min(config.seed_size, open_total):
        return None
    return ConfidenceTable.fit(yes, total - yes)


def refresh_decisions(
    catalog: Catalog, synset_id: int, config: ConsensusConfig | None = None
) -> dict[str, int]:
    """Decide the synset's voted candidates under dynamic consensus; counts of changes."""
    config = config or ConsensusConfig()
    with catalog.engine.begin() as conn:
        counts = vote_counts(conn, synset_id)
        table = _table(counts, config, _open_count(conn, synset_id))
        pending = [r for r in counts if r[1] == "candidate"]
        if table is None or not pending:
            return {}
        yes = np.array([r[2] for r in pending])
        decided = decide(table, yes, np.array([r[3] for r in pending]) - yes, config)
        ids = [int(r[0]) for r in pending]
        return apply_decisions(conn, dict(zip(ids, decided.tolist(), strict=True)))


def apply_decisions(
    conn: Connection, decisions: Mapping[int, str], *, actor: str = "consensus"
) -> dict[str, int]:
    """Give candidates still in status ``candidate`` the status their decision means.

    ``decisions`` maps candidate ids to :class:`Decision` values; open ones
    change nothing, nor do candidates decided before. Each change is the
    crowd's (``decided_by = 'crowd'``) and is logged with ``actor``, the method
    that decided. Returns the rows changed per new status.
    """
    by_status: dict[str, list[int]] = {}
    for candidate, decision in decisions.items():
        if decision in _STATUS_OF:
            by_status.setdefault(_STATUS_OF[decision], []).append(candidate)
    c = schema.candidate
    now = datetime.now(UTC)
    changed: dict[str, int] = {}
    with aggregates.counting_candidates(conn, [i for ids in by_status.values() for i in ids]):
        for status, ids in by_status.items():
            for start in range(0, len(ids), _CHUNK):
                still_open = (
                    conn.execute(
                        select(c.c.id).where(
                            c.c.id.in_(ids[start : start + _CHUNK]), c.c.status == "candidate"
                        )
                    )
                    .scalars()
                    .all()
                )
                if not still_open:
                    continue
                conn.execute(
                    update(c)
                    .where(c.c.id.in_(still_open))
                    .values(status=status, decided_by="crowd", updated_at=now)
                )
                log_decisions(conn, still_open, status, "crowd", actor=actor, reason=None, now=now)
                changed[status] = changed.get(status, 0) + len(still_open)
    return changed


# ----------------------------------------------------------------------------- routing


def _open_count(conn: Connection, synset_id: int) -> int:
    """How many of the synset's candidates are still to verify."""
    c = schema.candidate
    return int(
        conn.execute(
            select(func.count()).where(c.c.synset_id == synset_id, c.c.status == "candidate")
        ).scalar_one()
    )


def _synsets_with_open_candidates(conn: Connection) -> list[int]:
    """Synsets with candidates to verify, those with the most first."""
    c = schema.candidate
    rows = conn.execute(
        select(c.c.synset_id, func.count())
        .where(c.c.status == "candidate")
        .group_by(c.c.synset_id)
        .order_by(func.count().desc(), c.c.synset_id)
    ).all()
    return [int(r[0]) for r in rows]


def _route(
    conn: Connection, synset_id: int, worker_id: int, config: TaskConfig
) -> list[tuple[int, bool]]:
    """(candidate id, is control) for a new batch, or [] if the worker has nothing to do here."""
    c, v, ti, t = schema.candidate, schema.vote, schema.task_item, schema.task
    voted = schema.candidate.alias("voted")
    # Images, not candidates: one image may be a candidate of several synsets,
    # and a worker must never see the same picture twice.
    seen = (
        select(voted.c.image_id)
        .join(v, v.c.candidate_id == voted.c.id)
        .where(v.c.worker_id == worker_id)
    )
    in_flight = (
        select(ti.c.candidate_id, func.count().label("n"))
        .join(t, t.c.id == ti.c.task_id)
        .where(t.c.status == OPEN, t.c.synset_id == synset_id)
        .group_by(ti.c.candidate_id)
        .subquery()
    )
    yes = func.sum(case((and_(v.c.answer == 1, v.c.is_control.is_(False)), 1), else_=0))
    total = func.sum(case((v.c.is_control.is_(False), 1), else_=0))
    rows = conn.execute(
        select(
            c.c.id,
            func.coalesce(yes, 0),
            func.coalesce(total, 0),
            func.coalesce(in_flight.c.n, 0),
            c.c.image_id,
        )
        .outerjoin(v, v.c.candidate_id == c.c.id)
        .outerjoin(in_flight, in_flight.c.candidate_id == c.c.id)
        .where(c.c.synset_id == synset_id, c.c.status == "candidate", c.c.image_id.not_in(seen))
        .group_by(c.c.id, c.c.image_id, in_flight.c.n)
    ).all()
    if not rows:
        return []
    room = config.batch_size - config.positive_controls - config.negative_controls
    table = _table(vote_counts(conn, synset_id), config.consensus, _open_count(conn, synset_id))
    order = _priority(rows, table, config.consensus)
    chosen = [rows[i] for i in order[:room]]
    in_batch = [r[4] for r in chosen]
    controls = _controls(conn, synset_id, config, seen=seen, in_batch=in_batch)
    return [(int(r[0]), False) for r in chosen] + [(cid, True) for cid in controls]


def _priority(
    rows: Sequence[Any], table: ConfidenceTable | None, config: ConsensusConfig
) -> list[int]:
    """Row indices, the most useful next vote first.

    Seed phase (no table yet): candidates closest to ``seed_votes`` first, so
    the seed completes. Afterwards: the chance that one more vote decides
    the candidate (expected value of a vote), then fewer copies in flight,
    then more votes so far.
    """
    yes = np.array([r[1] for r in rows], dtype=np.float64)
    total = np.array([r[2] for r in rows], dtype=np.float64)
    in_flight = np.array([r[3] for r in rows], dtype=np.float64)
    ids = np.array([r[0] for r in rows])
    if table is None:
        short = total < config.seed_votes
        return list(np.lexsort((ids, in_flight, -total, ~short)))
    no = total - yes
    good = table.confidence(yes, no)
    p_yes = good * table.sensitivity + (1.0 - good) * table.false_positive
    settles_yes = np.isin(decide(table, yes + 1, no, config), (Decision.ACCEPT, Decision.REJECT))
    settles_no = np.isin(decide(table, yes, no + 1, config), (Decision.ACCEPT, Decision.REJECT))
    value = p_yes * settles_yes + (1.0 - p_yes) * settles_no
    return list(np.lexsort((ids, -total, in_flight, -value)))


def _controls(
    conn: Connection, synset_id: int, config: TaskConfig, *, seen: Any, in_batch: list[str]
) -> list[int]:
    """Accepted candidates of the synset and of a sibling synset, showing images the
    worker has not seen and the batch does not hold already."""
    c, p = schema.candidate, schema.synset_parent
    parents = select(p.c.parent_id).where(p.c.child_id == synset_id)
    siblings = select(p.c.child_id).where(p.c.parent_id.in_(parents), p.c.child_id != synset_id)

    def pick(where: Any, k: int) -> list[int]:
        if k == 0:
            return []
        query = (
            select(c.c.id)
            .where(
                where,
                c.c.status == "accepted",
                c.c.image_id.not_in(seen),
                c.c.image_id.not_in(in_batch),
            )
            .order_by(func.random())
            .limit(k)
        )
        return [int(x) for x in conn.execute(query).scalars()]

    positives = pick(c.c.synset_id == synset_id, config.positive_controls)
    negatives = pick(c.c.synset_id.in_(siblings), config.negative_controls)
    return positives + negatives


def _create(
    conn: Connection,
    synset_id: int,
    worker_id: int,
    chosen: list[tuple[int, bool]],
    config: TaskConfig,
    now: datetime,
) -> int:
    order = list(range(len(chosen)))
    random.shuffle(order)  # controls must not sit at the end of the batch
    task_id = conn.execute(
        insert(schema.task)
        .returning(schema.task.c.id)
        .values(
            synset_id=synset_id,
            kind=KIND,
            status=OPEN,
            worker_id=worker_id,
            payload={"candidates": len(chosen) - sum(c for _, c in chosen)},
            created_at=now,
            expires_at=now + config.ttl,
        )
    ).scalar_one()
    conn.execute(
        insert(schema.task_item),
        [
            {"task_id": task_id, "candidate_id": cid, "position": pos, "is_control": control}
            for pos, (cid, control) in zip(order, chosen, strict=True)
        ],
    )
    return int(task_id)


def _load_task(conn: Connection, task_id: int) -> Task:
    t, ti, c, i, s = schema.task, schema.task_item, schema.candidate, schema.image, schema.synset
    task = conn.execute(select(t).where(t.c.id == task_id)).one()
    synset = conn.execute(select(s).where(s.c.id == task.synset_id)).one()
    items = conn.execute(
        select(ti.c.candidate_id, c.c.image_id, i.c.thumbnail_key)
        .join(c, c.c.id == ti.c.candidate_id)
        .join(i, i.c.id == c.c.image_id)
        .where(ti.c.task_id == task_id)
        .order_by(ti.c.position)
    ).all()
    return Task(
        id=task_id,
        worker_id=int(task.worker_id),
        wnid=synset.wnid,
        name=synset.name,
        lemmas=tuple(synset.lemmas.split("\t")),
        gloss=synset.gloss,
        ancestors=_ancestor_names(conn, int(task.synset_id)),
        items=tuple(TaskItem(int(r[0]), r[1], r[2]) for r in items),
        expires_at=_aware(task.expires_at),
    )


def _ancestor_names(conn: Connection, synset_id: int) -> tuple[str, ...]:
    """One path of names from the root to the synset's parent (first parents by id)."""
    p, s = schema.synset_parent, schema.synset
    names: list[str] = []
    current = synset_id
    for _ in range(64):  # WordNet is 20 deep at most; a cycle in custom data must not hang
        parent = conn.execute(
            select(p.c.parent_id).where(p.c.child_id == current).order_by(p.c.parent_id).limit(1)
        ).scalar()
        if parent is None:
            break
        names.append(conn.execute(select(s.c.name).where(s.c.id == parent)).scalar_one())
        current = int(parent)
    return tuple(reversed(names))


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every time stored here is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
