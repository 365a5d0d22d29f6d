"""Where verification stands, and aggregation of all votes so far, over the catalog.

``verification_status`` is what ``synsetdb verify status`` prints and the
admin page shows: per synset, candidates by status, votes, open tasks and the
dynamic-consensus confidence table; ``worker_quality`` each account's votes
and record on hidden controls; ``candidate_confidences`` lists one synset's candidates with their
votes and ``P(good)``. ``aggregate`` runs any aggregator over every real
(non-control) vote and can write the decisions back to the candidates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from sqlalchemy import Connection, func, select

from ..catalog import Catalog, schema
from ..errors import VerifyError
from .accounts import Worker, list_workers
from .aggregate import DawidSkene, MajorityVote
from .consensus import ConfidenceTable, ConsensusConfig, Decision, DynamicConsensus
from .quality import QualityConfig, WorkerQuality, assess_workers
from .tasks import apply_decisions, vote_counts
from .votes import Votes

__all__ = [
    "METHODS",
    "AggregateReport",
    "SynsetProgress",
    "WorkerReport",
    "aggregate",
    "candidate_confidences",
    "verification_status",
    "worker_quality",
]

Method = Literal["majority", "consensus", "dawid-skene"]
METHODS: tuple[Method, ...] = ("majority", "consensus", "dawid-skene")
_STATUSES = ("candidate", "accepted", "rejected", "undecided")


@dataclass(frozen=True, slots=True)
class SynsetProgress:
    """One synset's verification progress.

    ``table`` (the dynamic-consensus confidence table's parameters) and
    ``hard`` are filled only when asked for, and once the synset has votes.
    """

    wnid: str
    name: str
    candidate: int  # still to verify
    accepted: int
    rejected: int
    undecided: int
    votes: int  # real votes (hidden controls left out)
    open_tasks: int  # batches handed out, neither submitted nor expired
    table: dict[str, float] | None = None
    hard: bool = False  # votes cannot tell its good candidates from bad ones

    @property
    def candidates(self) -> dict[str, int]:
        """Candidates by status."""
        return {status: getattr(self, status) for status in _STATUSES}

    @property
    def total(self) -> int:
        return sum(self.candidates.values())

    @property
    def done(self) -> float:
        """Share of candidates decided (accepted, rejected or undecided)."""
        return 1.0 - self.candidate / self.total if self.total else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "wnid": self.wnid,
            "name": self.name,
            "candidates": self.candidates,
            "votes": self.votes,
            "open_tasks": self.open_tasks,
            "table": self.table,
            "hard": self.hard,
        }


@dataclass(slots=True)
class AggregateReport:
    """What ``aggregate`` found (and, with ``apply``, wrote)."""

    method: str
    candidates: int = 0  # with at least one vote
    votes: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    applied: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class WorkerReport:
    """One account's work: votes cast and, from its hidden-control answers, its quality."""

    worker: Worker
    votes: int
    quality: WorkerQuality  # zero controls (and flag None) for a worker who answered none


def verification_status(
    catalog: Catalog,
    wnid: str | None = None,
    *,
    tables: bool = True,
    now: datetime | None = None,
) -> list[SynsetProgress]:
    """Progress of every synset with candidates (or of ``wnid`` only), by wnid.

    With ``tables`` each voted synset's confidence table is fitted too (a
    query and a small EM per synset: leave it out for many synsets at once).
    """
    now = now or datetime.now(UTC)
    c, s, t, v = schema.candidate, schema.synset, schema.task, schema.vote
    where = [] if wnid is None else [c.c.synset_id == catalog.synset_id(wnid)]
    with catalog.engine.connect() as conn:
        by_status = conn.execute(
            select(c.c.synset_id, s.c.wnid, s.c.name, c.c.status, func.count())
            .join(s, s.c.id == c.c.synset_id)
            .where(*where)
            .group_by(c.c.synset_id, s.c.wnid, s.c.name, c.c.status)
        ).all()
        votes: dict[int, int] = dict(
            conn.execute(
                select(c.c.synset_id, func.count())
                .select_from(v)
                .join(c, c.c.id == v.c.candidate_id)
                .where(v.c.is_control.is_(False), *where)
                .group_by(c.c.synset_id)
            ).all()
        )
        open_tasks: dict[int, int] = dict(
            conn.execute(
                select(t.c.synset_id, func.count())
                .where(t.c.status == "open", t.c.expires_at > now)
                .group_by(t.c.synset_id)
            ).all()
        )
        counts: dict[int, dict[str, Any]] = {}
        for synset_id, synset_wnid, name, status, n in by_status:
            row = counts.setdefault(int(synset_id), {"wnid": synset_wnid, "name": name})
            row[status] = int(n)
        result = []
        for synset_id, row in sorted(counts.items(), key=lambda item: item[1]["wnid"]):
            table = _synset_table(conn, synset_id) if tables else None
            result.append(
                SynsetProgress(
                    wnid=row["wnid"],
                    name=row["name"],
                    **{status: row.get(status, 0) for status in _STATUSES},
                    votes=int(votes.get(synset_id, 0)),
                    open_tasks=int(open_tasks.get(synset_id, 0)),
                    table=None if table is None else _table_dict(table),
                    hard=table is not None and not table.informative,
                )
            )
    return result


def _synset_table(conn: Connection, synset_id: int) -> ConfidenceTable | None:
    """The synset's confidence table from all its real votes (None without votes)."""
    counts = vote_counts(conn, synset_id)
    if not counts:
        return None
    yes = np.array([r[2] for r in counts], dtype=np.float64)
    total = np.array([r[3] for r in counts], dtype=np.float64)
    return ConfidenceTable.fit(yes, total - yes)


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


def candidate_confidences(catalog: Catalog, wnid: str) -> list[dict[str, Any]]:
    """Each voted candidate of ``wnid``: votes, ``P(good)`` from the synset's table, status."""
    with catalog.engine.connect() as conn:
        rows = sorted(vote_counts(conn, catalog.synset_id(wnid)), key=lambda r: r[0])
    if not rows:
        return []
    yes = np.array([r[2] for r in rows], dtype=np.float64)
    total = np.array([r[3] for r in rows], dtype=np.float64)
    confidence = ConfidenceTable.fit(yes, total - yes).confidence(yes, total - yes)
    return [
        {
            "candidate_id": int(r[0]),
            "image_id": r[4],
            "status": r[1],
            "yes": int(r[2]),
            "no": int(r[3] - r[2]),
            "confidence": round(float(p), 6),
        }
        for r, p in zip(rows, confidence, strict=True)
    ]


def aggregate(
    catalog: Catalog,
    method: Method,
    *,
    apply: bool = False,
    consensus: ConsensusConfig | None = None,
) -> AggregateReport:
    """Aggregate every real vote with ``method``; with ``apply``, decide open candidates.

    ``majority`` and ``dawid-skene`` accept a candidate whose label is "yes"
    and reject the rest; ``consensus`` (dynamic consensus, per synset) may
    also leave candidates open or undecided. Only candidates still in status
    ``candidate`` are ever changed.

    Raises:
        VerifyError: ``E_CONFIG`` for an unknown method.
    """
    if method not in METHODS:
        raise VerifyError(f"method must be one of {', '.join(METHODS)}", code="E_CONFIG")
    report = AggregateReport(method)
    v, c = schema.vote, schema.candidate
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(v.c.candidate_id, v.c.worker_id, v.c.answer, c.c.synset_id)
            .join(c, c.c.id == v.c.candidate_id)
            .where(v.c.is_control.is_(False))
        ).all()
    if not rows:
        return report
    votes = Votes.from_arrays(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], classes=[0, 1]
    )
    decisions = _decide(votes, method, {int(r[0]): int(r[3]) for r in rows}, consensus)
    report.candidates, report.votes = votes.n_tasks, len(votes)
    for status in decisions.values():
        report.decisions[status] = report.decisions.get(status, 0) + 1
    if apply:
        with catalog.engine.begin() as conn:
            report.applied = apply_decisions(conn, decisions, actor=method)
    return report


def _decide(
    votes: Votes, method: Method, synset_of: dict[int, int], consensus: ConsensusConfig | None
) -> dict[int, str]:
    """Candidate id -> decision (accept/reject/open/undecided)."""
    if method == "consensus":
        groups = {int(t): synset_of[int(t)] for t in votes.tasks}
        model = DynamicConsensus(config=consensus or ConsensusConfig()).fit(votes, groups)
        return {int(t): str(d) for t, d in zip(votes.tasks, model.decisions_, strict=True)}
    fitted = MajorityVote().fit(votes) if method == "majority" else DawidSkene().fit(votes)
    return {
        int(t): Decision.ACCEPT if label == 1 else Decision.REJECT
        for t, label in zip(fitted.tasks_, fitted.labels_, strict=True)
    }


def _table_dict(table: ConfidenceTable) -> dict[str, float]:
    return {
        "prior": round(table.prior, 6),
        "sensitivity": round(table.sensitivity, 6),
        "false_positive": round(table.false_positive, 6),
        "seed": table.seed,
    }
