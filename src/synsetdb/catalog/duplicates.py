"""Near-duplicate groups kept in the catalog for the explorer (``synsetdb dups --store``).

Finding the groups needs every perceptual hash in memory (multi-index hashing,
``synsetdb.ingest.dups``); the explorer cannot do that per request. So the
groups of the whole catalog are stored, with the radius, the time and how
many images were hashed, and the explorer reads them by group and by image
through indexes. Images added later are not in any group until the next
``--store``; :func:`stored_groups_info` lets the explorer say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, select

from . import schema
from ._bulk import bulk_insert
from .catalog import Catalog

__all__ = ["StoredGroups", "store_duplicate_groups", "stored_groups_info"]

_RADIUS, _WHEN, _IMAGES, _GROUPS = "dups_radius", "dups_stored_at", "dups_images", "dups_groups"
_KEYS = (_RADIUS, _WHEN, _IMAGES, _GROUPS)


@dataclass(frozen=True, slots=True)
class StoredGroups:
    """What the last ``--store`` saw: its radius, time, the images hashed and the groups found."""

    radius: int
    stored_at: datetime
    images: int
    groups: int

    def to_dict(self) -> dict[str, object]:
        return {
            "radius": self.radius,
            "stored_at": self.stored_at.isoformat(timespec="seconds"),
            "images": self.images,
            "groups": self.groups,
        }


def store_duplicate_groups(
    catalog: Catalog,
    groups: Sequence[tuple[Sequence[str], int]],
    *,
    radius: int,
    images: int,
) -> StoredGroups:
    """Replace the stored groups, in one transaction.

    Args:
        groups: each group's image ids and largest distance within it (two or more images).
        radius: the Hamming radius they were found at.
        images: how many images were hashed to find them.
    """
    now = datetime.now(UTC)
    members: list[tuple[str, int]] = []
    rows: list[tuple[int, int, int]] = []
    for number, (ids, distance) in enumerate(groups, start=1):
        rows.append((number, len(ids), distance))
        members.extend((image_id, number) for image_id in ids)
    with catalog.engine.begin() as conn:
        conn.execute(delete(schema.dup_member))
        conn.execute(delete(schema.dup_group))
        bulk_insert(conn, schema.dup_group, ("id", "size", "max_distance"), rows)
        bulk_insert(conn, schema.dup_member, ("image_id", "group_id"), members)
        meta = schema.project_meta
        conn.execute(delete(meta).where(meta.c.key.in_(_KEYS)))
        values = (str(radius), now.isoformat(), str(images), str(len(rows)))
        conn.execute(
            meta.insert(), [{"key": k, "value": v} for k, v in zip(_KEYS, values, strict=True)]
        )
    return StoredGroups(radius, now, images, len(rows))


def stored_groups_info(conn: Connection) -> StoredGroups | None:
    """What the last ``--store`` saw (None when the groups were never stored)."""
    meta = schema.project_meta.c
    values = dict(conn.execute(select(meta.key, meta.value).where(meta.key.in_(_KEYS))).all())
    if len(values) < len(_KEYS):
        return None
    return StoredGroups(
        int(values[_RADIUS]),
        datetime.fromisoformat(values[_WHEN]),
        int(values[_IMAGES]),
        int(values[_GROUPS]),
    )
