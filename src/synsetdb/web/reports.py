"""What the admin page reports: per-synset progress and per-worker quality.

Plain functions over a :class:`~synsetdb.catalog.Catalog`, so the CLI or a
notebook can print the same tables the web page shows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from ..catalog import Catalog, schema
from ..verify.accounts import Worker, list_workers
from ..verify.quality import QualityConfig, WorkerQuality, assess_workers
from ..verify.votes import Votes

__all__ = ["SynsetProgress", "WorkerReport", "synset_progress", "worker_quality"]


@dataclass(frozen=True, slots=True)
class SynsetProgress:
    """Where the verification of one synset stands."""

    wnid: str
    name: str
    candidate: int  # still to verify
    accepted: int
    rejected: int
    undecided: int
    votes: int  # votes on its candidates, hidden controls left out
    open_tasks: int  # batches handed out, not yet submitted nor expired

    @property
    def total(self) -> int:
        return self.candidate + self.accepted + self.rejected + self.undecided

    @property
    def done(self) -> float:
        """Share of candidates decided (accepted, rejected or undecided)."""
        return 1.0 - self.candidate / self.total if self.total else 1.0


@dataclass(frozen=True, slots=True)
class WorkerReport:
    """One account's work: votes cast and, from its hidden-control answers, its quality."""

    worker: Worker
    votes: int
    quality: WorkerQuality  # zero controls (and flag None) for a worker who answered none


def synset_progress(catalog: Catalog, *, now: datetime | None = None) -> list[SynsetProgress]:
    """Every synset with candidates or open tasks, those with the most left to verify first."""
    now = now or datetime.now(UTC)
    c, v, t, s = schema.candidate, schema.vote, schema.task, schema.synset
    with catalog.engine.connect() as conn:
        by_status = conn.execute(
            select(s.c.wnid, s.c.name, c.c.status, func.count())
            .join(s, s.c.id == c.c.synset_id)
            .group_by(s.c.wnid, s.c.name, c.c.status)
        ).all()
        votes = conn.execute(
            select(s.c.wnid, func.count())
            .select_from(v)
            .join(c, c.c.id == v.c.candidate_id)
            .join(s, s.c.id == c.c.synset_id)
            .where(v.c.is_control.is_(False))
            .group_by(s.c.wnid)
        ).all()
        tasks = conn.execute(
            select(s.c.wnid, s.c.name, func.count())
            .join(s, s.c.id == t.c.synset_id)
            .where(t.c.status == "open", t.c.expires_at > now)
            .group_by(s.c.wnid, s.c.name)
        ).all()
    names = {wnid: name for wnid, name, *_ in (*by_status, *tasks)}
    counts: Counter[tuple[str, str]] = Counter()
    for wnid, _, status, n in by_status:
        counts[wnid, status] += int(n)
    vote_counts = {wnid: int(n) for wnid, n in votes}
    task_counts = {wnid: int(n) for wnid, _, n in tasks}
    rows = [
        SynsetProgress(
            wnid,
            name,
            candidate=counts[wnid, "candidate"],
            accepted=counts[wnid, "accepted"],
            rejected=counts[wnid, "rejected"],
            undecided=counts[wnid, "undecided"],
            votes=vote_counts.get(wnid, 0),
            open_tasks=task_counts.get(wnid, 0),
        )
        for wnid, name in names.items()
    ]
    return sorted(rows, key=lambda r: (-r.candidate, -r.open_tasks, r.wnid))


def worker_quality(catalog: Catalog, config: QualityConfig | None = None) -> list[WorkerReport]:
    """Every account with its votes and its record on hidden controls, by name.

    A control's truth is whether its candidate belongs to the synset of the
    task it was shown in: positive controls are accepted images of that
    synset, negative ones accepted images of a sibling. Each control vote is
    its own item for :func:`~synsetdb.verify.assess_workers`, since the same
    image can be a positive control in one task and a negative one in another.
    """
    v, c, t = schema.vote, schema.candidate, schema.task
    with catalog.engine.connect() as conn:
        per_worker = select(v.c.worker_id, func.count()).group_by(v.c.worker_id)
        totals = {int(worker): int(n) for worker, n in conn.execute(per_worker)}
        controls = conn.execute(
            select(v.c.id, v.c.worker_id, v.c.answer, (c.c.synset_id == t.c.synset_id))
            .join(c, c.c.id == v.c.candidate_id)
            .join(t, t.c.id == v.c.task_id)
            .where(v.c.is_control.is_(True))
        ).all()
    assessed: dict[int, WorkerQuality] = {}
    if controls:
        votes = Votes.from_arrays(
            [r[0] for r in controls],
            [r[1] for r in controls],
            [r[2] for r in controls],
            classes=[0, 1],
        )
        assessed = assess_workers(votes, {r[0]: bool(r[3]) for r in controls}, config)
    return [
        WorkerReport(
            worker,
            totals.get(worker.id, 0),
            assessed.get(worker.id, WorkerQuality(worker.id, 0, 0, 0, 0, None)),
        )
        for worker in list_workers(catalog)
    ]
