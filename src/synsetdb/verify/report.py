"""Where verification stands, and aggregation of all votes so far, over the catalog.

``verification_status`` is what ``synsetdb verify status`` prints: per synset,
candidates by status, votes, open tasks and the dynamic-consensus confidence
table; ``candidate_confidences`` lists one synset's candidates with their
votes and ``P(good)``. ``aggregate`` runs any aggregator over every real
(non-control) vote and can write the decisions back to the candidates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from sqlalchemy import and_, case, func, select, update

from ..catalog import Catalog, schema
from ..errors import VerifyError
from .aggregate import DawidSkene, MajorityVote
from .consensus import ConfidenceTable, ConsensusConfig, Decision, DynamicConsensus
from .tasks import vote_counts
from .votes import Votes

__all__ = [
    "METHODS",
    "AggregateReport",
    "SynsetProgress",
    "aggregate",
    "candidate_confidences",
    "verification_status",
]

Method = Literal["majority", "consensus", "dawid-skene"]
METHODS: tuple[Method, ...] = ("majority", "consensus", "dawid-skene")
_STATUSES = ("candidate", "accepted", "rejected", "undecided")


@dataclass(frozen=True, slots=True)
class SynsetProgress:
    """One synset's verification progress."""

    wnid: str
    name: str
    candidates: dict[str, int]  # by status
    votes: int  # real votes (controls excluded)
    open_tasks: int
    table: dict[str, float] | None  # the confidence table's parameters, once votes exist
    hard: bool  # votes cannot tell its good candidates from bad ones

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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


def verification_status(catalog: Catalog, wnid: str | None = None) -> list[SynsetProgress]:
    """Progress of every synset with candidates (or of ``wnid`` only)."""
    c, s, t = schema.candidate, schema.synset, schema.task
    where = [] if wnid is None else [c.c.synset_id == catalog.synset_id(wnid)]
    with catalog.engine.connect() as conn:
        by_status: dict[int, dict[str, int]] = {}
        for synset_id, status, n in conn.execute(
            select(c.c.synset_id, c.c.status, func.count())
            .where(*where)
            .group_by(c.c.synset_id, c.c.status)
        ):
            by_status.setdefault(int(synset_id), dict.fromkeys(_STATUSES, 0))[status] = int(n)
        names = {
            int(i): (w, n)
            for i, w, n in conn.execute(
                select(s.c.id, s.c.wnid, s.c.name).where(s.c.id.in_(list(by_status)))
            )
        }
        open_tasks: dict[int, int] = dict(
            conn.execute(
                select(t.c.synset_id, func.count())
                .where(t.c.status == "open")
                .group_by(t.c.synset_id)
            ).all()
        )
        result = []
        for synset_id in sorted(by_status, key=lambda i: names[i][0]):
            counts = vote_counts(conn, synset_id)
            yes = np.array([r[2] for r in counts], dtype=np.float64)
            total = np.array([r[3] for r in counts], dtype=np.float64)
            table = ConfidenceTable.fit(yes, total - yes) if total.sum() else None
            result.append(
                SynsetProgress(
                    wnid=names[synset_id][0],
                    name=names[synset_id][1],
                    candidates=by_status[synset_id],
                    votes=int(total.sum()),
                    open_tasks=int(open_tasks.get(synset_id, 0)),
                    table=None if table is None else _table_dict(table),
                    hard=table is not None and not table.informative,
                )
            )
    return result


def candidate_confidences(catalog: Catalog, wnid: str) -> list[dict[str, Any]]:
    """Each voted candidate of ``wnid``: votes, ``P(good)`` from the synset's table, status."""
    synset_id = catalog.synset_id(wnid)
    c, v = schema.candidate, schema.vote
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(c.c.id, c.c.image_id, c.c.status, *_vote_sums(v))
            .join(v, and_(v.c.candidate_id == c.c.id, v.c.is_control.is_(False)))
            .where(c.c.synset_id == synset_id)
            .group_by(c.c.id, c.c.image_id, c.c.status)
            .order_by(c.c.id)
        ).all()
    if not rows:
        return []
    yes = np.array([r[3] for r in rows], dtype=np.float64)
    total = np.array([r[4] for r in rows], dtype=np.float64)
    confidence = ConfidenceTable.fit(yes, total - yes).confidence(yes, total - yes)
    return [
        {
            "candidate_id": int(r[0]),
            "image_id": r[1],
            "status": r[2],
            "yes": int(r[3]),
            "no": int(r[4] - r[3]),
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
        report.applied = _apply(catalog, decisions)
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


def _apply(catalog: Catalog, decisions: dict[int, str]) -> dict[str, int]:
    statuses = {
        Decision.ACCEPT: "accepted",
        Decision.REJECT: "rejected",
        Decision.UNDECIDED: "undecided",
    }
    by_status: dict[str, list[int]] = {}
    for candidate, decision in decisions.items():
        if decision in statuses:
            by_status.setdefault(statuses[decision], []).append(candidate)
    c = schema.candidate
    applied: dict[str, int] = {}
    now = datetime.now(UTC)
    with catalog.engine.begin() as conn:
        for status, ids in by_status.items():
            changed = 0
            for start in range(0, len(ids), 10_000):  # stay under drivers' parameter limits
                chunk = ids[start : start + 10_000]
                changed += conn.execute(
                    update(c)
                    .where(c.c.id.in_(chunk), c.c.status == "candidate")
                    .values(status=status, updated_at=now)
                ).rowcount
            applied[status] = int(changed)
    return applied


def _vote_sums(v: Any) -> tuple[Any, Any]:
    return func.sum(case((v.c.answer == 1, 1), else_=0)), func.count(v.c.id)


def _table_dict(table: ConfidenceTable) -> dict[str, float]:
    return {
        "prior": round(table.prior, 6),
        "sensitivity": round(table.sensitivity, 6),
        "false_positive": round(table.false_positive, 6),
        "seed": table.seed,
    }
