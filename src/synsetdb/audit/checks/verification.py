"""Verification health: the crowd work the labels rest on (workers, hard synsets, undecided work).

These checks look at the catalog's votes and decisions, which belong to
synsets and candidates rather than to a release. Audited on the catalog they
cover every synset with crowd work; audited on a release they cover the
release's classes only (and, for VER001, the accepted candidates that became
the release's items), so a release's report says what its labels rest on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
from sqlalchemy import and_, case, exists, func, select

from ...catalog import schema
from ...verify import QualityConfig
from ...verify.consensus import ConfidenceTable
from ...verify.report import worker_quality
from .._reads import class_sizes, synset_names
from ..context import AuditContext
from ..model import Finding
from ..registry import check


def _label(ctx: AuditContext, wnid: str) -> str:
    name = synset_names(ctx).get(wnid)
    return f"{wnid} {name}" if name else wnid


def _in_release(ctx: AuditContext, candidate: Any) -> Any:
    """An EXISTS clause: the candidate's (image, synset) is an item of the audited release."""
    assert ctx.release is not None
    ri = schema.release_item
    return exists().where(
        ri.c.release_id == ctx.release.id,
        ri.c.image_id == candidate.c.image_id,
        ri.c.synset_id == candidate.c.synset_id,
    )


# ----------------------------------------------------------------------------- VER001


@check(
    "VER001",
    "spammer-votes",
    family="verification",
    level="warning",
    summary="workers flagged on hidden controls, and the accepted images resting on their votes",
    options={"min_controls": 10, "min_accuracy": 0.7},
)
def spammer_votes(ctx: AuditContext) -> Iterator[Finding]:
    """Workers flagged by their hidden-control answers, and the accepted images needing their votes.

    Labelling tasks mix in hidden controls (known-good images of the synset
    and of a confusable sibling, as ImageNetV2's tasks did). A worker is
    flagged (``synsetdb.verify.assess_workers``) as ``constant`` (nearly
    always the same answer), ``random`` (no better than coin flips on the
    controls) or ``inaccurate`` (balanced accuracy under ``min_accuracy``),
    once it has answered ``min_controls`` controls. Spammers are a known
    hazard of crowd labelling (Ipeirotis et al., "Quality management on
    Amazon Mechanical Turk", 2010); aggregation dampens them, but an image
    accepted on few votes can rest on one.

    For each flagged worker the evidence counts the accepted candidates it
    voted on, those it said yes to, and those that **rest** on it: without
    its votes the remaining real votes are not a majority of yes. In a
    release only the candidates that are its items count, and a flagged
    worker with no vote on them is not reported. Key: ``worker:<name>``.

    Options: ``min_controls`` (default 10) and ``min_accuracy`` (default
    0.7), ``synsetdb.verify.QualityConfig``'s defaults.

    Fix: disable the worker (``synsetdb worker disable NAME``),
    re-aggregate without its votes, and send the candidates resting on it
    back for more votes.
    """
    config = QualityConfig(
        min_controls=int(ctx.option("min_controls")), min_accuracy=float(ctx.option("min_accuracy"))
    )
    flagged = {
        r.worker.id: r for r in worker_quality(ctx.catalog, config) if r.quality.flag is not None
    }
    if not flagged:
        return
    impact = _impact(ctx, list(flagged))
    for worker_id, report in sorted(flagged.items(), key=lambda kv: kv[1].worker.name):
        voted, said_yes, resting = impact.get(worker_id, (0, 0, 0))
        if ctx.release is not None and not voted:
            continue
        quality = report.quality
        yield Finding(
            "VER001",
            ctx.release_key(f"worker:{report.worker.name}"),
            f"worker {report.worker.name} ({quality.flag} on {quality.controls} controls): "
            f"{resting} accepted image(s) rest on its votes, {voted} carry one",
            action="disable the worker and send the images resting on it back for votes",
            evidence={
                "worker": report.worker.name,
                "flag": quality.flag,
                "controls": quality.controls,
                "balanced_accuracy": _number(quality.balanced_accuracy),
                "yes_share": _number(quality.yes_share),
                "votes": report.votes,
                "accepted_voted": voted,
                "accepted_said_yes": said_yes,
                "accepted_resting": resting,
            },
            score=float(resting) + voted / 1e6,
        )


def _number(value: float) -> float | None:
    return None if value != value else round(value, 4)  # NaN is not JSON


def _impact(ctx: AuditContext, workers: list[int]) -> dict[int, tuple[int, int, int]]:
    """Per flagged worker: accepted candidates in scope voted on, said yes to, resting on it."""
    v, c = schema.vote, schema.candidate
    real = v.c.is_control.is_(False)
    yes = func.sum(case((v.c.answer == 1, 1), else_=0))
    mine = (
        select(v.c.worker_id, v.c.candidate_id, yes.label("yes"), func.count().label("n"))
        .where(real, v.c.worker_id.in_(workers))
        .group_by(v.c.worker_id, v.c.candidate_id)
        .subquery()
    )
    touched = select(mine.c.candidate_id).distinct().scalar_subquery()
    totals = (
        select(v.c.candidate_id, yes.label("yes"), func.count().label("n"))
        .where(real, v.c.candidate_id.in_(touched))
        .group_by(v.c.candidate_id)
        .subquery()
    )
    others_yes = totals.c.yes - mine.c.yes
    rests = and_(mine.c.yes > 0, 2 * others_yes <= totals.c.n - mine.c.n)
    query = (
        select(
            mine.c.worker_id,
            func.count(),
            func.sum(case((mine.c.yes > 0, 1), else_=0)),
            func.sum(case((rests, 1), else_=0)),
        )
        .select_from(mine)
        .join(totals, totals.c.candidate_id == mine.c.candidate_id)
        .join(c, c.c.id == mine.c.candidate_id)
        .where(c.c.status == "accepted")
        .group_by(mine.c.worker_id)
    )
    if ctx.release is not None:
        query = query.where(_in_release(ctx, c))
    with ctx.catalog.engine.connect() as conn:
        return {int(w): (int(n), int(y or 0), int(r or 0)) for w, n, y, r in conn.execute(query)}


# ----------------------------------------------------------------------------- VER002


@check(
    "VER002",
    "hard-synset",
    family="verification",
    level="warning",
    summary="synsets whose votes cannot tell good candidates from bad (hard to illustrate)",
    options={"min_voted": 10, "min_separation": 0.1},
)
def hard_synset(ctx: AuditContext) -> Iterator[Finding]:
    """Synsets whose crowd votes do not separate good candidates from bad ones.

    Dynamic consensus (Deng et al., CVPR 2009, section 3.2) fits, per
    synset, a latent-class model to its candidates' yes/no counts: the share
    of good candidates, ``P(yes | good)`` (sensitivity) and ``P(yes | bad)``
    (false positive). When the two rates are close the votes carry little
    information: people cannot tell whether an image shows the synset (a
    "Burmese cat" among cats, an abstract or rare concept). Such a synset
    is flagged as hard to illustrate, the same rule as ``synsetdb verify
    status`` (``hard``): sensitivity minus false-positive rate under
    ``min_separation`` (default 0.1); it is also flagged when none of its
    voted candidates was ever accepted or rejected. Its accepted images are
    the least trustworthy of the catalog.

    The model is fitted from all real votes (hidden controls left out), once
    a synset has at least ``min_voted`` (default 10) voted candidates. In a
    release only its classes are looked at. Key: the wnid (the same finding
    on the catalog and on every release holding the class, so one review
    covers it).

    Fix: give workers a clearer definition and examples (the gloss, a
    parent), review the synset's images yourself (``synsetdb label``), or
    leave it out of releases.
    """
    least, separation = int(ctx.option("min_voted")), float(ctx.option("min_separation"))
    wanted = set(class_sizes(ctx)) if ctx.release is not None else None
    for wnid, (yes, no, status) in sorted(_vote_tallies(ctx).items()):
        if (wanted is not None and wnid not in wanted) or yes.size < max(1, least):
            continue
        if (yes + no).sum() == 0:
            continue
        table = ConfidenceTable.fit(yes, no)
        gap = table.sensitivity - table.false_positive
        settled = int(np.isin(status, ("accepted", "rejected")).sum())
        if gap >= separation and settled:
            continue
        why = "votes do not separate good from bad" if gap < separation else "nothing settled"
        yield Finding(
            "VER002",
            wnid,
            f"{_label(ctx, wnid)}: hard to illustrate ({why}; "
            f"P(yes|good) {table.sensitivity:.2f}, P(yes|bad) {table.false_positive:.2f})",
            action="clarify the synset for workers, review its images yourself, or leave it out",
            synset=wnid,
            evidence={
                "voted_candidates": int(yes.size),
                "votes": int((yes + no).sum()),
                "prior": round(table.prior, 4),
                "sensitivity": round(table.sensitivity, 4),
                "false_positive": round(table.false_positive, 4),
                "settled": settled,
                "undecided": int((status == "undecided").sum()),
            },
            score=float(separation - gap),
        )


def _vote_tallies(ctx: AuditContext) -> dict[str, tuple[Any, Any, Any]]:
    """Per synset: yes and no counts and the status of each voted candidate (numpy arrays).

    Counted in SQL as (synset, status, yes, votes) -> candidates, so what
    comes back is small whatever the number of candidates.
    """
    v, c, s = schema.vote, schema.candidate, schema.synset
    per_candidate = (
        select(
            c.c.synset_id,
            c.c.status,
            func.sum(case((v.c.answer == 1, 1), else_=0)).label("yes"),
            func.count().label("n"),
        )
        .select_from(v)
        .join(c, c.c.id == v.c.candidate_id)
        .where(v.c.is_control.is_(False))
        .group_by(c.c.id, c.c.synset_id, c.c.status)
        .subquery()
    )
    query = (
        select(
            s.c.wnid, per_candidate.c.status, per_candidate.c.yes, per_candidate.c.n, func.count()
        )
        .join(s, s.c.id == per_candidate.c.synset_id)
        .group_by(s.c.wnid, per_candidate.c.status, per_candidate.c.yes, per_candidate.c.n)
    )
    rows: dict[str, list[tuple[str, int, int, int]]] = {}
    with ctx.catalog.engine.connect() as conn:
        for wnid, status, yes, n, count in conn.execute(query):
            rows.setdefault(wnid, []).append((status, int(yes), int(n), int(count)))
    tallies = {}
    for wnid, groups in rows.items():
        counts = np.array([g[3] for g in groups])
        yes = np.repeat(np.array([g[1] for g in groups], dtype=np.float64), counts)
        total = np.repeat(np.array([g[2] for g in groups], dtype=np.float64), counts)
        status = np.repeat(np.array([g[0] for g in groups]), counts)
        tallies[wnid] = (yes, total - yes, status)
    return tallies


# ----------------------------------------------------------------------------- VER003


@check(
    "VER003",
    "undecided-share",
    family="verification",
    level="info",
    summary="synsets with a large share of their decided candidates left undecided",
    options={"max_undecided_share": 0.2, "min_decided": 20},
)
def undecided_share(ctx: AuditContext) -> Iterator[Finding]:
    """Synsets where many candidates ended undecided: the crowd could not agree on them.

    Dynamic consensus leaves a candidate ``undecided`` when its votes reach
    the cap without crossing the accept or reject threshold. A few are
    expected; a large share says the synset is ambiguous or its images are
    borderline, and that its accepted images were chosen from a contested
    pool (and that the class is smaller than the work spent on it). The share
    is undecided / (accepted + rejected + undecided), from the catalog's
    maintained counts; a synset with fewer than ``min_decided`` (default 20)
    decided candidates is not judged. Default ``max_undecided_share``: 0.2.
    In a release only its classes are looked at. Key: the wnid (one review
    covers the catalog and every release).

    Fix: review the undecided candidates yourself (``synsetdb label``), or
    clarify the synset for workers and send them back for more votes.
    """
    limit, least = float(ctx.option("max_undecided_share")), int(ctx.option("min_decided"))
    wanted = set(class_sizes(ctx)) if ctx.release is not None else None
    s, sc = schema.synset, schema.synset_count
    query = (
        select(s.c.wnid, sc.c.status, sc.c.own)
        .join(sc, sc.c.synset_id == s.c.id)
        .where(sc.c.status.in_(("accepted", "rejected", "undecided")), sc.c.own > 0)
    )
    counts: dict[str, dict[str, int]] = {}
    with ctx.catalog.engine.connect() as conn:
        for wnid, status, own in conn.execute(query):
            counts.setdefault(wnid, {})[status] = int(own)
    for wnid, by_status in sorted(counts.items()):
        if wanted is not None and wnid not in wanted:
            continue
        decided = sum(by_status.values())
        undecided = by_status.get("undecided", 0)
        if decided < max(1, least) or undecided / decided <= limit:
            continue
        yield Finding(
            "VER003",
            wnid,
            f"{_label(ctx, wnid)}: {undecided} of {decided} decided candidates undecided "
            f"({undecided / decided:.0%})",
            action="review the undecided candidates, or clarify the synset and re-vote",
            synset=wnid,
            evidence={
                "undecided": undecided,
                "accepted": by_status.get("accepted", 0),
                "rejected": by_status.get("rejected", 0),
                "share": round(undecided / decided, 4),
                "max_undecided_share": limit,
            },
            score=undecided / decided,
        )
