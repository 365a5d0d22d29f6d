"""Every release's classes, read from the counts the catalog maintains (never from the items).

One query whatever the number of releases and items: a class of a release is
a synset with its own items in the release (``release_count``, split
``all``, ``own > 0``). The versions table (``synsetdb versions``) compares
these lists with the published ImageNet class lists.
"""

from __future__ import annotations

from sqlalchemy import select

from ..catalog import Project, aggregates, schema

__all__ = ["release_class_lists"]


def release_class_lists(project: Project) -> dict[str, tuple[str, ...]]:
    """Each release's classes (wnids, sorted), by release name (sorted); one query.

    A release without classes (none can be made, but a catalog may hold one
    from an older version) maps to an empty tuple.
    """
    r, rc, s = schema.release.c, schema.release_count.c, schema.synset.c
    query = (
        select(r.name, s.wnid)
        .select_from(schema.release)
        .outerjoin(
            schema.release_count,
            (rc.release_id == r.id) & (rc.split == aggregates.ALL_SPLITS) & (rc.own > 0),
        )
        .outerjoin(schema.synset, s.id == rc.synset_id)
        .order_by(r.name, s.wnid)
    )
    found: dict[str, list[str]] = {}
    with project.catalog.engine.connect() as conn:
        for name, wnid in conn.execute(query):
            classes = found.setdefault(str(name), [])
            if wnid is not None:
                classes.append(str(wnid))
    return {name: tuple(wnids) for name, wnids in found.items()}
