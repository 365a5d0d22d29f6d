"""Small reads the labelling pages need: a thumbnail's blob key, a batch's order."""

from __future__ import annotations

import re

from sqlalchemy import select

from ..catalog import Catalog, schema

__all__ = ["is_image_id", "task_candidates", "thumbnail_key"]

_IMAGE_ID = re.compile(r"[0-9a-f]{64}")


def is_image_id(text: str) -> bool:
    """Whether ``text`` has the form of an image id (sha256, lower-case hex)."""
    return bool(_IMAGE_ID.fullmatch(text))  # not match(): "$" allows a trailing newline


def thumbnail_key(catalog: Catalog, image_id: str) -> str | None:
    """The blob key of an image's thumbnail; None for an unknown image or one without."""
    i = schema.image
    with catalog.engine.connect() as conn:
        key = conn.execute(select(i.c.thumbnail_key).where(i.c.id == image_id)).scalar()
    return str(key) if key else None


def task_candidates(catalog: Catalog, task_id: int, worker_id: int) -> list[int]:
    """The candidate ids of the worker's task in display order ([] if it is not theirs).

    The page names images by their position in the batch, not by candidate
    id: ids grow with age, and controls (accepted earlier) would stand out.
    """
    t, ti = schema.task, schema.task_item
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(ti.c.candidate_id)
            .join(t, t.c.id == ti.c.task_id)
            .where(ti.c.task_id == task_id, t.c.worker_id == worker_id)
            .order_by(ti.c.position)
        ).scalars()
        return [int(r) for r in rows]
