"""Everything the catalog knows about one image, for the explorer's image page.

Each part is read by primary or foreign key of the one image: its row, its
candidates (with provenance), their votes, its boxes, renditions, the
releases holding it and its stored near-duplicate group. Nothing depends on
the catalog's size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from . import schema
from .catalog import Catalog

__all__ = [
    "BoxInfo",
    "CandidateInfo",
    "DecisionInfo",
    "DuplicateInfo",
    "ImageInfo",
    "ReleaseMembership",
    "VoteInfo",
    "hamming",
    "image_info",
]

# An image's labels are listed accepted first, rejected last.
_STATUS_ORDER = {"accepted": 0, "candidate": 1, "undecided": 2, "rejected": 3}
MAX_GROUP_SHOWN = 48  # near-duplicates listed on one image's page; the group's size is given


@dataclass(frozen=True, slots=True)
class VoteInfo:
    worker: str
    answer: int
    is_control: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DecisionInfo:
    """The latest decision on a candidate taken after ingest: who, why and when."""

    status: str
    decided_by: str
    actor: str | None
    reason: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class CandidateInfo:
    """One synset the image is proposed for, with where the proposal came from and its votes."""

    id: int
    wnid: str
    name: str
    status: str
    source: str | None
    query: str | None
    language: str | None
    provider: str | None
    rank: int | None
    url: str | None
    split: str | None
    file_name: str | None
    provenance: Mapping[str, Any] | None
    created_at: datetime
    votes: tuple[VoteInfo, ...]
    decided_by: str | None = None  # schema.DECIDED_BY: source, crowd or person
    decision: DecisionInfo | None = None

    @property
    def how_decided(self) -> str | None:
        """How its status came about, in words: ``trusted source``, ``crowd``, ``ada: blurry``."""
        if self.decided_by == "source":
            return "trusted source"
        if self.decided_by == "crowd":
            return "by the crowd"
        if self.decided_by == "person":
            who = self.decision.actor if self.decision and self.decision.actor else "a person"
            why = self.decision.reason if self.decision and self.decision.reason else None
            return f"by {who}" + (f": {why}" if why else "")
        return None

    @property
    def yes(self) -> int:
        return sum(v.answer for v in self.votes if not v.is_control)

    @property
    def no(self) -> int:
        return sum(1 - v.answer for v in self.votes if not v.is_control)


@dataclass(frozen=True, slots=True)
class BoxInfo:
    wnid: str
    x0: float
    y0: float
    x1: float
    y1: float
    source: str | None


@dataclass(frozen=True, slots=True)
class ReleaseMembership:
    release: str
    wnid: str
    split: str


@dataclass(frozen=True, slots=True)
class DuplicateInfo:
    """Another member of the image's near-duplicate group and its Hamming distance to it."""

    image_id: str
    distance: int | None  # None when either hash is missing
    has_thumbnail: bool


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """The image page's data."""

    id: str
    width: int
    height: int
    format: str
    byte_size: int
    phash: int | None
    has_thumbnail: bool
    source: str | None
    licence: str | None
    created_at: datetime
    renditions: tuple[str, ...]
    candidates: tuple[CandidateInfo, ...]
    boxes: tuple[BoxInfo, ...]
    releases: tuple[ReleaseMembership, ...]
    duplicates: tuple[DuplicateInfo, ...]
    duplicate_group_size: int


def hamming(a: int | None, b: int | None) -> int | None:
    """Bits that differ between two 64-bit hashes (signed or not); None if either is missing."""
    if a is None or b is None:
        return None
    return ((a ^ b) & (2**64 - 1)).bit_count()


def image_info(catalog: Catalog, image_id: str) -> ImageInfo | None:
    """The image's page data (None for an unknown id)."""
    i = schema.image.c
    with catalog.engine.connect() as conn:
        row = conn.execute(select(schema.image).where(i.id == image_id)).first()
        if row is None:
            return None
        r = schema.rendition.c
        kinds = conn.execute(select(r.kind).where(r.image_id == image_id).order_by(r.kind))
        group, size = _duplicates(conn, image_id, row.phash)
        return ImageInfo(
            id=row.id,
            width=row.width,
            height=row.height,
            format=row.format,
            byte_size=row.byte_size,
            phash=row.phash,
            has_thumbnail=row.thumbnail_key is not None,
            source=row.source,
            licence=row.licence,
            created_at=row.created_at,
            renditions=tuple(kinds.scalars()),
            candidates=_candidates(conn, image_id),
            boxes=_boxes(conn, image_id),
            releases=_releases(conn, image_id),
            duplicates=group,
            duplicate_group_size=size,
        )


def _candidates(conn: Connection, image_id: str) -> tuple[CandidateInfo, ...]:
    c, s = schema.candidate.c, schema.synset.c
    found = conn.execute(
        select(schema.candidate, s.wnid, s.name)
        .join(schema.synset, s.id == c.synset_id)
        .where(c.image_id == image_id)
        .order_by(s.wnid)
    ).all()
    rows = sorted(found, key=lambda row: _STATUS_ORDER.get(row.status, len(_STATUS_ORDER)))
    votes = _votes(conn, [row.id for row in rows])
    decisions = _decisions(conn, [row.id for row in rows])
    return tuple(
        CandidateInfo(
            id=row.id,
            wnid=row.wnid,
            name=row.name,
            status=row.status,
            source=row.source,
            query=row.query,
            language=row.language,
            provider=row.provider,
            rank=row.rank,
            url=row.url,
            split=row.split,
            file_name=row.file_name,
            provenance=row.provenance if isinstance(row.provenance, dict) else None,
            created_at=row.created_at,
            votes=tuple(votes.get(row.id, ())),
            decided_by=row.decided_by,
            decision=decisions.get(row.id),
        )
        for row in rows
    )


def _votes(conn: Connection, candidate_ids: list[int]) -> dict[int, list[VoteInfo]]:
    if not candidate_ids:
        return {}
    v, w = schema.vote.c, schema.worker.c
    rows = conn.execute(
        select(v.candidate_id, w.name, v.answer, v.is_control, v.created_at)
        .join(schema.worker, w.id == v.worker_id)
        .where(v.candidate_id.in_(candidate_ids))
        .order_by(v.id)
    )
    found: dict[int, list[VoteInfo]] = {}
    for candidate, name, answer, control, created in rows:
        found.setdefault(int(candidate), []).append(
            VoteInfo(name, int(answer), bool(control), created)
        )
    return found


def _decisions(conn: Connection, candidate_ids: list[int]) -> dict[int, DecisionInfo]:
    """Each candidate's latest logged decision (the log is short per candidate)."""
    if not candidate_ids:
        return {}
    d = schema.decision.c
    rows = conn.execute(
        select(d.candidate_id, d.status, d.decided_by, d.actor, d.reason, d.created_at)
        .where(d.candidate_id.in_(candidate_ids))
        .order_by(d.id)
    )
    return {int(row[0]): DecisionInfo(*row[1:]) for row in rows}


def _boxes(conn: Connection, image_id: str) -> tuple[BoxInfo, ...]:
    b, s = schema.box.c, schema.synset.c
    rows = conn.execute(
        select(s.wnid, b.x0, b.y0, b.x1, b.y1, b.source)
        .join(schema.synset, s.id == b.synset_id)
        .where(b.image_id == image_id)
        .order_by(b.id)
    )
    return tuple(BoxInfo(*row) for row in rows)


def _releases(conn: Connection, image_id: str) -> tuple[ReleaseMembership, ...]:
    ri, r, s = schema.release_item.c, schema.release.c, schema.synset.c
    rows = conn.execute(
        select(r.name, s.wnid, ri.split)
        .join_from(schema.release_item, schema.release, r.id == ri.release_id)
        .join(schema.synset, s.id == ri.synset_id)
        .where(ri.image_id == image_id)
        .order_by(r.name, s.wnid)
    )
    return tuple(ReleaseMembership(*row) for row in rows)


def _duplicates(
    conn: Connection, image_id: str, phash: int | None
) -> tuple[tuple[DuplicateInfo, ...], int]:
    """The other members of the image's stored group, nearest first, and the group's size."""
    m, g, i = schema.dup_member.c, schema.dup_group.c, schema.image.c
    found = conn.execute(
        select(g.id, g.size)
        .join_from(schema.dup_member, schema.dup_group, g.id == m.group_id)
        .where(m.image_id == image_id)
    ).first()
    if found is None:
        return (), 0
    rows = conn.execute(
        select(i.id, i.phash, i.thumbnail_key.is_not(None))
        .join_from(schema.dup_member, schema.image, i.id == m.image_id)
        .where(m.group_id == found.id, m.image_id != image_id)
        .limit(1000)
    ).all()
    members = sorted(
        (
            DuplicateInfo(other, hamming(phash, other_hash), bool(thumb))
            for other, other_hash, thumb in rows
        ),
        key=lambda d: (d.distance is None, d.distance or 0, d.image_id),
    )
    return tuple(members[:MAX_GROUP_SHOWN]), int(found.size)
