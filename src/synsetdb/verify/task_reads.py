"""Reads about a worker's tasks for the labelling app: a batch's order, what it was shown."""

from __future__ import annotations

from sqlalchemy import exists, select

from ..catalog import Catalog, schema

__all__ = ["task_candidates", "worker_was_shown"]


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


def worker_was_shown(catalog: Catalog, worker_id: int, image_id: str) -> bool:
    """Whether the image is in one of the worker's tasks (so its thumbnail is theirs to see).

    One probe through three indexes: the image's candidates, their task
    items, the tasks' owners.
    """
    c, ti, t = schema.candidate.c, schema.task_item.c, schema.task.c
    shown = (
        select(ti.task_id)
        .join_from(schema.task_item, schema.candidate, c.id == ti.candidate_id)
        .join(schema.task, t.id == ti.task_id)
        .where(c.image_id == image_id, t.worker_id == worker_id)
    )
    with catalog.engine.connect() as conn:
        return bool(conn.execute(select(exists(shown))).scalar())
