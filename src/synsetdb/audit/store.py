"""Findings and reviews in the catalog: what a run writes, what the CLI and explorer read.

A run replaces, per scope (``""`` for the catalog, else a release's name), the
findings of the checks it ran and leaves the others' as they were. Reviews are
keyed by fingerprint and never touched by a run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, or_, select
from sqlalchemy.engine import Connection

from ..catalog import Catalog, bulk_insert, schema
from ..errors import AuditError
from .model import REVIEW_STATUSES, Finding

__all__ = [
    "CodeCount",
    "FindingPage",
    "Review",
    "StoredFinding",
    "clear_review",
    "code_counts",
    "finding_counts_by_synset",
    "findings_for_image",
    "findings_for_synset",
    "findings_page",
    "list_findings",
    "review_finding",
    "reviews",
    "save_findings",
    "scopes",
]

_CHUNK = 5_000  # rows per INSERT, and ids per IN (…)
f, r, run = schema.audit_finding, schema.audit_review, schema.audit_run


@dataclass(frozen=True, slots=True)
class Review:
    """A person's review of one finding."""

    fingerprint: str
    code: str
    subject: str
    status: str  # accepted | dismissed
    reason: str | None
    actor: str
    reviewed_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "code": self.code,
            "subject": self.subject,
            "status": self.status,
            "reason": self.reason,
            "actor": self.actor,
            "reviewed_at": self.reviewed_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """A finding as the last run stored it, with its review if it has one."""

    scope: str
    code: str
    level: str
    fingerprint: str
    subject: str
    wnid: str | None
    synset_name: str | None
    image_id: str | None
    other_image_id: str | None
    split: str | None
    message: str
    action: str
    evidence: Mapping[str, Any]
    score: float | None
    found_at: datetime
    review: Review | None

    @property
    def is_open(self) -> bool:
        return self.review is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "code": self.code,
            "level": self.level,
            "fingerprint": self.fingerprint,
            "subject": self.subject,
            "synset": self.wnid,
            "synset_name": self.synset_name,
            "image": self.image_id,
            "other_image": self.other_image_id,
            "split": self.split,
            "message": self.message,
            "action": self.action,
            "evidence": dict(self.evidence),
            "score": self.score,
            "found_at": self.found_at.isoformat(),
            "review": self.review.to_dict() if self.review else None,
        }


@dataclass(frozen=True, slots=True)
class CodeCount:
    """One check's stored findings in one scope: how many, how many still open."""

    scope: str
    code: str
    found: int
    open: int
    ran_at: datetime | None
    skipped: str | None


# ---------------------------------------------------------------------------- writing


def save_findings(
    catalog: Catalog,
    scope: str,
    results: Sequence[tuple[str, str, Sequence[Finding], str | None]],
) -> None:
    """Replace ``scope``'s findings of the checks that ran, in one transaction.

    ``results`` holds ``(code, level, findings, skipped)`` per check; a skipped
    check keeps no findings and records why.
    """
    now = datetime.now(UTC)
    synset_ids = catalog.synset_ids()
    codes = [code for code, *_ in results]
    with catalog.engine.begin() as conn:
        conn.execute(delete(f).where(f.c.scope == scope, f.c.code.in_(codes)))
        conn.execute(delete(run).where(run.c.scope == scope, run.c.code.in_(codes)))
        # The driver's executemany (COPY on PostgreSQL) with the columns' own bind
        # processing (JSON, timestamps): an ImageNet-21k catalog has tens of
        # thousands of findings, and binding each through SQLAlchemy took seconds.
        columns = [f.c[name] for name in _FINDING_COLUMNS]
        process = [c.type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for c in columns]
        rows = (
            tuple(p(v) if p else v for p, v in zip(process, values, strict=True))
            for code, level, findings, _ in results
            for one in findings
            for values in [_values(scope, level, one, synset_ids, now)]
        )
        bulk_insert(conn, f, _FINDING_COLUMNS, rows)
        conn.execute(
            insert(run),
            [
                {
                    "scope": scope,
                    "code": code,
                    "ran_at": now,
                    "found": len(findings),
                    "skipped": skipped,
                }
                for code, _, findings, skipped in results
            ],
        )


_FINDING_COLUMNS = (
    "scope",
    "code",
    "level",
    "fingerprint",
    "subject",
    "synset_id",
    "image_id",
    "other_image_id",
    "split",
    "message",
    "action",
    "evidence",
    "score",
    "found_at",
)


def _values(
    scope: str, level: str, one: Finding, synset_ids: Mapping[str, int], now: datetime
) -> tuple[Any, ...]:
    return (
        scope,
        one.code,
        level,
        one.fingerprint,
        one.key,
        synset_ids.get(one.synset) if one.synset else None,
        one.image,
        one.other_image,
        one.split,
        one.message,
        one.action,
        dict(one.evidence),
        one.score,
        now,
    )


def review_finding(
    catalog: Catalog, fingerprint: str, status: str, *, actor: str, reason: str | None = None
) -> Review:
    """Mark the stored finding whose fingerprint starts with ``fingerprint`` as reviewed.

    ``status`` is ``accepted`` (a real problem, kept knowingly) or ``dismissed``
    (not a problem; ``reason`` required). A second review replaces the first.
    """
    if status not in REVIEW_STATUSES:
        raise AuditError(f"a review is one of {REVIEW_STATUSES}, not {status!r}", code="E_AUDIT")
    reason = (reason or "").strip() or None
    if status == "dismissed" and reason is None:
        raise AuditError("dismissing a finding needs a reason", code="E_AUDIT_REASON")
    if not actor.strip():
        raise AuditError("a review needs the reviewer's name", code="E_AUDIT_REASON")
    with catalog.engine.begin() as conn:
        full, code, subject = _resolve(conn, fingerprint)
        conn.execute(delete(r).where(r.c.fingerprint == full))
        now = datetime.now(UTC)
        conn.execute(
            insert(r).values(
                fingerprint=full,
                code=code,
                subject=subject,
                status=status,
                reason=reason,
                actor=actor.strip(),
                reviewed_at=now,
            )
        )
    return Review(full, code, subject, status, reason, actor.strip(), now)


def clear_review(catalog: Catalog, fingerprint: str) -> str:
    """Take back the review of a finding (it counts as open again); its full fingerprint."""
    with catalog.engine.begin() as conn:
        full = _resolve_reviewed(conn, fingerprint)
        conn.execute(delete(r).where(r.c.fingerprint == full))
    return full


def _resolve(conn: Connection, prefix: str) -> tuple[str, str, str]:
    """The one stored finding ``prefix`` names: (fingerprint, code, subject)."""
    prefix = _checked_prefix(prefix)
    rows = conn.execute(
        select(f.c.fingerprint, f.c.code, f.c.subject)
        .where(f.c.fingerprint.startswith(prefix, autoescape=True))
        .distinct()
        .limit(2)
    ).all()
    if not rows:
        raise AuditError(
            f"no stored finding {prefix}: run `synsetdb audit` and use a fingerprint it printed",
            code="E_AUDIT_FINDING",
        )
    if len(rows) > 1:
        raise AuditError(
            f"{prefix} names several findings; give more of it", code="E_AUDIT_FINDING"
        )
    return rows[0].fingerprint, rows[0].code, rows[0].subject


def _resolve_reviewed(conn: Connection, prefix: str) -> str:
    prefix = _checked_prefix(prefix)
    found = (
        conn.execute(
            select(r.c.fingerprint)
            .where(r.c.fingerprint.startswith(prefix, autoescape=True))
            .limit(2)
        )
        .scalars()
        .all()
    )
    if len(found) != 1:
        raise AuditError(
            f"{prefix} names {'no' if not found else 'more than one'} reviewed finding",
            code="E_AUDIT_FINDING",
        )
    return str(found[0])


def _checked_prefix(prefix: str) -> str:
    prefix = prefix.strip().lower()
    if len(prefix) < 6 or any(c not in "0123456789abcdef" for c in prefix):
        raise AuditError(
            f"{prefix!r} is not a finding's fingerprint (at least 6 hex digits)",
            code="E_AUDIT_FINDING",
        )
    return prefix


# ---------------------------------------------------------------------------- reading


def reviews(catalog: Catalog, fingerprints: Iterable[str]) -> dict[str, Review]:
    """The reviews of these fingerprints, by fingerprint."""
    wanted = list(dict.fromkeys(fingerprints))
    found: dict[str, Review] = {}
    with catalog.engine.connect() as conn:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            for row in conn.execute(select(r).where(r.c.fingerprint.in_(chunk))):
                found[row.fingerprint] = _review(row)
    return found


def _review(row: Any) -> Review:
    return Review(
        row.fingerprint, row.code, row.subject, row.status, row.reason, row.actor, row.reviewed_at
    )


def scopes(catalog: Catalog) -> list[str]:
    """The scopes audited so far: ``""`` (the catalog) and release names."""
    with catalog.engine.connect() as conn:
        return list(conn.execute(select(run.c.scope).distinct().order_by(run.c.scope)).scalars())


def code_counts(catalog: Catalog, scope: str) -> list[CodeCount]:
    """Per check that ran in ``scope``: findings stored, how many are open, when it ran."""
    with catalog.engine.connect() as conn:
        open_ = func.count(f.c.id).filter(r.c.fingerprint.is_(None))
        counted = {
            row.code: (row.found, row.open)
            for row in conn.execute(
                select(f.c.code, func.count(f.c.id).label("found"), open_.label("open"))
                .select_from(f.outerjoin(r, r.c.fingerprint == f.c.fingerprint))
                .where(f.c.scope == scope)
                .group_by(f.c.code)
            )
        }
        runs = conn.execute(select(run).where(run.c.scope == scope).order_by(run.c.code)).all()
    return [
        CodeCount(scope, row.code, *counted.get(row.code, (0, 0)), row.ran_at, row.skipped)
        for row in runs
    ]


def list_findings(
    catalog: Catalog,
    scope: str,
    *,
    codes: Sequence[str] = (),
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[StoredFinding], int]:
    """One page of ``scope``'s stored findings, worst first within a code, and how many match.

    ``state`` is ``open``, ``reviewed`` or None for both.
    """
    where = [f.c.scope == scope]
    if codes:
        where.append(f.c.code.in_(list(codes)))
    if state == "open":
        where.append(r.c.fingerprint.is_(None))
    elif state == "reviewed":
        where.append(r.c.fingerprint.is_not(None))
    joined = f.outerjoin(r, r.c.fingerprint == f.c.fingerprint)
    query = (
        _finding_select(joined)
        .where(*where)
        .order_by(f.c.code, f.c.score.desc().nulls_last(), f.c.id)
        .limit(limit)
        .offset(offset)
    )
    with catalog.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
        return [_stored(row) for row in conn.execute(query)], int(total)


@dataclass(frozen=True, slots=True)
class FindingPage:
    """One page of findings, worst first, how many match, and which of their images have
    a thumbnail (the explorer shows those; the others get a "no preview" tile)."""

    findings: list[StoredFinding]
    total: int
    thumbnails: frozenset[str]


def findings_page(
    catalog: Catalog,
    scope: str,
    *,
    codes: Sequence[str] | None = None,
    levels: Sequence[str] = (),
    state: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> FindingPage:
    """One page of ``scope``'s findings, worst first across codes: errors, then warnings,
    then infos, each by score (highest first); the explorer's Audit page.

    ``codes`` None means every code, an empty sequence none; ``levels`` empty means every
    level; ``state`` is ``open``, ``reviewed`` or None for both. Two statements.
    """
    if codes is not None and not codes:
        return FindingPage([], 0, frozenset())
    where = [f.c.scope == scope]
    if codes is not None:
        where.append(f.c.code.in_(list(codes)))
    if levels:
        where.append(f.c.level.in_(list(levels)))
    if state == "open":
        where.append(r.c.fingerprint.is_(None))
    elif state == "reviewed":
        where.append(r.c.fingerprint.is_not(None))
    joined = f.outerjoin(r, r.c.fingerprint == f.c.fingerprint)
    rank = case((f.c.level == "error", 0), (f.c.level == "warning", 1), else_=2)
    img, other = schema.image.alias("shown_image"), schema.image.alias("other_image")
    query = (
        _finding_select(joined)
        .add_columns(
            img.c.thumbnail_key.label("image_thumbnail"),
            other.c.thumbnail_key.label("other_thumbnail"),
        )
        .outerjoin(img, img.c.id == f.c.image_id)
        .outerjoin(other, other.c.id == f.c.other_image_id)
        .where(*where)
        .order_by(rank, f.c.score.desc().nulls_last(), f.c.code, f.c.id)
        .limit(limit)
        .offset(offset)
    )
    with catalog.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
        rows = conn.execute(query).all()
    thumbnails = {row.image_id for row in rows if row.image_thumbnail is not None}
    thumbnails |= {row.other_image_id for row in rows if row.other_thumbnail is not None}
    return FindingPage([_stored(row) for row in rows], int(total), frozenset(thumbnails))


def findings_for_synset(catalog: Catalog, wnid: str, *, limit: int = 50) -> list[StoredFinding]:
    """The stored findings about one synset, in every scope (the synset page's banner)."""
    sid = catalog.synset_ids().get(wnid)
    if sid is None:
        return []
    return _findings_where(catalog, f.c.synset_id == sid, limit)


def findings_for_image(catalog: Catalog, image_id: str, *, limit: int = 50) -> list[StoredFinding]:
    """The stored findings about one image, in every scope (the image page's reasons).

    A finding about a pair of images is found from either side.
    """
    condition = or_(f.c.image_id == image_id, f.c.other_image_id == image_id)
    return _findings_where(catalog, condition, limit)


def _findings_where(catalog: Catalog, condition: Any, limit: int) -> list[StoredFinding]:
    joined = f.outerjoin(r, r.c.fingerprint == f.c.fingerprint)
    query = (
        _finding_select(joined)
        .where(condition)
        .order_by(f.c.level, f.c.code, f.c.scope)
        .limit(limit)
    )
    with catalog.engine.connect() as conn:
        return [_stored(row) for row in conn.execute(query)]


def finding_counts_by_synset(catalog: Catalog, synset_ids: Sequence[int]) -> dict[int, int]:
    """Open findings per synset id (any scope), for the tree's badges."""
    counts: dict[int, int] = {}
    with catalog.engine.connect() as conn:
        for start in range(0, len(synset_ids), _CHUNK):
            chunk = list(synset_ids[start : start + _CHUNK])
            rows = conn.execute(
                select(f.c.synset_id, func.count(f.c.id))
                .select_from(f.outerjoin(r, r.c.fingerprint == f.c.fingerprint))
                .where(f.c.synset_id.in_(chunk), r.c.fingerprint.is_(None))
                .group_by(f.c.synset_id)
            )
            counts.update((sid, int(n)) for sid, n in rows)
    return counts


def _finding_select(joined: Any) -> Any:
    s = schema.synset
    return select(
        f,
        s.c.wnid,
        s.c.name.label("synset_name"),
        r.c.fingerprint.label("review_fingerprint"),
        r.c.status.label("review_status"),
        r.c.reason.label("review_reason"),
        r.c.actor.label("review_actor"),
        r.c.reviewed_at.label("review_at"),
    ).select_from(joined.outerjoin(s, s.c.id == f.c.synset_id))


def _stored(row: Any) -> StoredFinding:
    review = None
    if row.review_fingerprint is not None:
        review = Review(
            row.review_fingerprint,
            row.code,
            row.subject,
            row.review_status,
            row.review_reason,
            row.review_actor,
            row.review_at,
        )
    return StoredFinding(
        row.scope,
        row.code,
        row.level,
        row.fingerprint,
        row.subject,
        row.wnid,
        row.synset_name,
        row.image_id,
        row.other_image_id,
        row.split,
        row.message,
        row.action,
        row.evidence or {},
        row.score,
        row.found_at,
        review,
    )
