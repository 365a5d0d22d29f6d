"""Labels (LBL002): accepted candidates the votes argue with."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import and_, case, func, select

from ...catalog import schema
from .._reads import synset_names
from ..context import AuditContext
from ..model import Finding
from ..registry import check

log = logging.getLogger(__name__)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.floating]
_EXAMPLES = 5  # image ids quoted per list in a finding's evidence
_CHUNK = 500  # ids per IN (...) query
_MIN_CLASS = 2  # cross-validation needs a class's image in a training fold too


# ----------------------------------------------------------------------------- LBL002


@check(
    "LBL002",
    "accepted-against-votes",
    family="labels",
    level="warning",
    summary="accepted candidates most of whose crowd votes said no",
    options={"min_votes": 3, "min_yes_share": 0.5},
)
def accepted_against_votes(ctx: AuditContext) -> Iterator[Finding]:
    """Accepted candidates whose crowd votes disagree strongly with the acceptance.

    A candidate with at least ``min_votes`` votes whose share of "yes" answers
    is below ``min_yes_share`` (default 0.5: more "no" than "yes") was accepted
    against its voters: by a person's decision (``synsetdb label accept``), a
    trusted source at ingest, or an aggregator that weighed the "yes" voters
    more (Dawid-Skene, dynamic consensus). Either the acceptance overrides the
    crowd on purpose, or the image does not show its synset. Votes on hidden
    controls measure workers, not the candidate, and are not counted.

    Each finding names the workers who said yes and no and, from the decision
    log, who or what accepted the candidate last. In a release, the release's
    items are looked at; in the catalog, every accepted candidate.

    Fix: look at the image; reject it (``synsetdb label reject``) or dismiss
    the finding with the reason the acceptance stands.
    """
    min_votes, share = int(ctx.option("min_votes")), float(ctx.option("min_yes_share"))
    c, v, s = schema.candidate, schema.vote, schema.synset
    yes = func.sum(case((v.c.answer == 1, 1), else_=0))
    votes = func.count(v.c.id)
    # Votes are tallied first (one pass over the vote table in candidate order),
    # so only the few candidates voted against are joined to their rows.
    tallies = (
        select(v.c.candidate_id, yes.label("yes"), votes.label("votes"))
        .where(v.c.is_control.is_(False))
        .group_by(v.c.candidate_id)
        .having(and_(votes >= min_votes, yes < share * votes))
        .subquery()
    )
    t = tallies.c
    query = (
        select(c.c.id, c.c.image_id, s.c.wnid, c.c.decided_by, t.yes, t.votes)
        .join(tallies, t.candidate_id == c.c.id)
        .join(s, s.c.id == c.c.synset_id)
        .where(c.c.status == "accepted")
    )
    if ctx.release is not None:
        ri = schema.release_item
        query = query.join(
            ri,
            and_(
                ri.c.release_id == ctx.release.id,
                ri.c.image_id == c.c.image_id,
                ri.c.synset_id == c.c.synset_id,
            ),
        )
    with ctx.catalog.engine.connect() as conn:
        rows = conn.execute(query.order_by(c.c.id)).all()
        voters = _voters(conn, [r.id for r in rows])
        deciders = _deciders(conn, [r.id for r in rows])
    names = synset_names(ctx) if rows else {}
    for row in rows:
        yes_n, total = int(row.yes), int(row.votes)
        said = voters.get(row.id, {})
        yield Finding(
            "LBL002",
            ctx.release_key(f"{row.wnid}:{row.image_id}"),
            f"image {row.image_id[:12]} accepted as {row.wnid} {names.get(row.wnid, '')} "
            f"though {total - yes_n} of its {total} votes said no",
            action="look at the image; reject it, or dismiss with why the acceptance stands",
            synset=row.wnid,
            image=row.image_id,
            evidence={
                "yes": yes_n,
                "no": total - yes_n,
                "votes": total,
                "yes_share": round(yes_n / total, 4),
                "decided_by": row.decided_by,
                "accepted_by": deciders.get(row.id),
                "yes_workers": said.get(1, []),
                "no_workers": said.get(0, []),
            },
            score=round((1.0 - yes_n / total) * total / (total + 1), 6),
        )


def _voters(conn: object, candidates: list[int]) -> dict[int, dict[int, list[str]]]:
    """Per candidate, the names of the workers who answered 1 (yes) and 0 (no), sorted."""
    v, w = schema.vote, schema.worker
    found: dict[int, dict[int, list[str]]] = {}
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start : start + _CHUNK]
        query = (
            select(v.c.candidate_id, v.c.answer, w.c.name)
            .join(w, w.c.id == v.c.worker_id)
            .where(v.c.candidate_id.in_(chunk), v.c.is_control.is_(False))
            .order_by(v.c.candidate_id, w.c.name)
        )
        for candidate, answer, name in conn.execute(query):  # type: ignore[attr-defined]
            found.setdefault(candidate, {}).setdefault(int(answer != 0), []).append(name)
    return found


def _deciders(conn: object, candidates: list[int]) -> dict[int, str | None]:
    """Per candidate, the actor (or ``decided_by``) of its last decision to accept."""
    d = schema.decision
    found: dict[int, str | None] = {}
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start : start + _CHUNK]
        query = (
            select(d.c.candidate_id, d.c.actor, d.c.decided_by)
            .where(d.c.candidate_id.in_(chunk), d.c.status == "accepted")
            .order_by(d.c.candidate_id, d.c.id)
        )
        for candidate, actor, how in conn.execute(query):  # type: ignore[attr-defined]
            found[candidate] = f"{how}: {actor}" if actor else how
    return found
