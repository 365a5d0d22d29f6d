"""The statistics page's data, read from the maintained counts only (never from the images).

Three queries whatever the catalog's size: per-synset own counts (a row per
synset and status with images), the source/licence/format tallies, the days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select

from . import schema
from .aggregates import ALL_SPLITS, LIVE
from .browse import release_id
from .catalog import Catalog

__all__ = ["ClassCount", "Tallies", "image_total", "tallies"]


@dataclass(frozen=True, slots=True)
class ClassCount:
    """One synset's own images: all of them (live, or all splits), accepted and rejected.

    For a release, ``by_split`` holds its images per split and the two
    verification counts stay 0.
    """

    wnid: str
    images: int
    accepted: int = 0
    rejected: int = 0
    by_split: Mapping[str, int] | None = None

    @property
    def accept_rate(self) -> float | None:
        """Accepted among decided (None before any decision)."""
        decided = self.accepted + self.rejected
        return self.accepted / decided if decided else None


@dataclass(frozen=True, slots=True)
class Tallies:
    """Everything the statistics page plots."""

    classes: tuple[ClassCount, ...]  # synsets with own images, largest first
    facets: Mapping[str, Mapping[str, int]]  # facet -> value -> images ('' = unknown)
    days: Mapping[date, Mapping[str, int]]  # day -> kind -> n, oldest first
    labels: Mapping[str, int]  # candidates per status (per split for a release), summed


def tallies(catalog: Catalog, *, release: str | None = None) -> Tallies:
    """The catalog's tallies, or a release's class sizes (its facets and days stay empty)."""
    with catalog.engine.connect() as conn:
        if release is not None:
            rc, s = schema.release_count.c, schema.synset.c
            rows = conn.execute(
                select(s.wnid, rc.split, rc.own)
                .join_from(schema.release_count, schema.synset, s.id == rc.synset_id)
                .where(rc.release_id == release_id(conn, release), rc.own > 0)
            ).all()
            labels = {k: n for k, n in _sum_keys(rows).items() if k != ALL_SPLITS}
            return Tallies(_release_classes(rows), {}, {}, labels)
        sc = schema.synset_count.c

        def own(status: str) -> Any:
            return func.sum(case((sc.status == status, sc.own), else_=0))

        # one row per synset with images: the pivot is done by the database
        pivot = conn.execute(
            select(sc.synset_id, own(LIVE), own("accepted"), own("rejected"))
            .where(sc.own > 0)
            .group_by(sc.synset_id)
        ).all()
        totals: dict[str, int] = dict(
            conn.execute(
                select(sc.status, func.sum(sc.own))
                .where(sc.status != LIVE, sc.own > 0)
                .group_by(sc.status)
            ).all()
        )
        it, ac = schema.image_tally.c, schema.activity.c
        facets: dict[str, dict[str, int]] = {f: {} for f in schema.IMAGE_FACETS}
        for facet, value, n in conn.execute(select(it.facet, it.value, it.images)):
            if n:
                facets.setdefault(facet, {})[value] = int(n)
        days: dict[date, dict[str, int]] = {}
        for day, kind, n in conn.execute(select(ac.day, ac.kind, ac.n).order_by(ac.day)):
            days.setdefault(day, {})[kind] = int(n)
    wnid_of = {i: w for w, i in catalog.synset_ids().items()}
    classes = [ClassCount(wnid_of[i], int(n), int(a), int(r)) for i, n, a, r in pivot]
    labels = {str(k): int(n) for k, n in totals.items()}
    return Tallies(tuple(sorted(classes, key=_size)), _by_size(facets), days, labels)


def _sum_keys(rows: Sequence[Any]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for _, key, n in rows:
        totals[key] = totals.get(key, 0) + int(n)
    return totals


def _release_classes(rows: Sequence[Any]) -> tuple[ClassCount, ...]:
    counts: dict[str, dict[str, int]] = {}
    for wnid, split, n in rows:
        counts.setdefault(wnid, {})[split] = int(n)
    classes = (
        ClassCount(
            w, c.get(ALL_SPLITS, 0), by_split={k: v for k, v in c.items() if k != ALL_SPLITS}
        )
        for w, c in counts.items()
    )
    return tuple(sorted(classes, key=_size))


def _size(c: ClassCount) -> tuple[int, str]:
    return (-c.images, c.wnid)


def _by_size(facets: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    return {
        facet: dict(sorted(values.items(), key=lambda kv: (-kv[1], kv[0])))
        for facet, values in facets.items()
    }


def image_total(catalog: Catalog) -> int:
    """Images in the catalog, from the format tally (every image has one format)."""
    it = schema.image_tally.c
    with catalog.engine.connect() as conn:
        total = conn.execute(select(func.sum(it.images)).where(it.facet == "format")).scalar()
    return int(total or 0)
