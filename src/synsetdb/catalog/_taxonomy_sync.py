"""Writing a Taxonomy into the catalog's synset, edge and closure tables."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, select, update

from ..hierarchy import Synset, Taxonomy, is_wordnet_id
from . import schema
from ._bulk import bulk_insert

log = logging.getLogger(__name__)

TAXONOMY_NAME_KEY = "taxonomy_name"
TAXONOMY_FINGERPRINT_KEY = "taxonomy_fingerprint"

_TEXT_COLUMNS = ("name", "lemmas", "gloss", "lexname")


@dataclass(frozen=True, slots=True)
class TaxonomyLoad:
    """What ``Catalog.load_taxonomy`` did.

    ``synsets_updated`` counts existing synsets whose name, lemmas, gloss or
    lexicographer file changed; ``synsets_detached`` counts synsets the catalog
    holds but the taxonomy no longer does (kept, outside the hierarchy).
    """

    name: str
    synsets_added: int
    synsets_total: int
    edges: int
    closure_rows: int
    unchanged: bool
    synsets_updated: int = 0
    synsets_detached: int = 0


def sync_taxonomy(conn: Connection, taxonomy: Taxonomy) -> TaxonomyLoad:
    """Make the catalog's hierarchy equal to ``taxonomy``, in the caller's transaction.

    Synsets are never deleted and their ids never change, so images keep their
    labels: new synsets are added, existing ones get the taxonomy's current
    text, and edges and closure are rebuilt. A synset the taxonomy no longer
    holds keeps its row and its self-closure row (its images stay reachable by
    its own wnid) but has no parents or children; a warning says how many.
    """
    stored = get_meta(conn, TAXONOMY_FINGERPRINT_KEY)
    if stored == taxonomy.fingerprint:
        total = conn.execute(select(func.count()).select_from(schema.synset)).scalar_one()
        return TaxonomyLoad(taxonomy.name, 0, int(total), 0, 0, unchanged=True)
    if conn.dialect.name == "sqlite":  # a big page cache keeps the closure's b-trees in memory
        conn.exec_driver_sql("PRAGMA cache_size=-65536")
    existing = {row.wnid: row for row in conn.execute(select(schema.synset))}
    added = _add_synsets(conn, taxonomy, existing)
    updated = _update_text(conn, taxonomy, existing)
    ids: dict[str, int] = dict(conn.execute(select(schema.synset.c.wnid, schema.synset.c.id)).all())
    detached = sorted(ids[w] for w in existing if w not in taxonomy)
    conn.execute(delete(schema.synset_closure))
    conn.execute(delete(schema.synset_parent))
    edges = bulk_insert(
        conn,
        schema.synset_parent,
        ("child_id", "parent_id", "is_instance"),
        sorted((ids[c], ids[p], inst) for c, p, inst in taxonomy.edges()),
    )
    pairs = [(ids[a], ids[d]) for a, d in taxonomy.closure_pairs()]
    pairs.extend((v, v) for v in detached)
    closure = bulk_insert(
        conn, schema.synset_closure, ("ancestor_id", "descendant_id"), sorted(pairs)
    )  # key order: fast b-tree
    set_meta(conn, TAXONOMY_NAME_KEY, taxonomy.name)
    set_meta(conn, TAXONOMY_FINGERPRINT_KEY, taxonomy.fingerprint)
    if detached:
        log.warning(
            "%d synsets in the catalog are not in taxonomy %s; they keep their rows and "
            "images (reachable by their own wnid) but are no longer under any synset",
            len(detached),
            taxonomy.name,
        )
    log.info(
        "taxonomy %s: %d synsets added, %d updated, %d edges, %d closure rows",
        taxonomy.name,
        added,
        updated,
        edges,
        closure,
    )
    return TaxonomyLoad(
        taxonomy.name, added, len(ids), edges, closure, False, updated, len(detached)
    )


def _row(s: Synset) -> tuple[str, str, str, str | None]:
    """The text columns of a synset, in ``_TEXT_COLUMNS`` order."""
    return s.name, "\t".join(s.lemmas), s.gloss, s.lexname


def _add_synsets(conn: Connection, taxonomy: Taxonomy, existing: dict[str, Row[Any]]) -> int:
    rows = (
        (s.wnid, *_row(s), not is_wordnet_id(s.wnid))
        for s in taxonomy.synsets()
        if s.wnid not in existing
    )
    columns = ("wnid", *_TEXT_COLUMNS, "is_custom")
    return bulk_insert(conn, schema.synset, columns, rows)


def _update_text(conn: Connection, taxonomy: Taxonomy, existing: dict[str, Row[Any]]) -> int:
    """Give existing synsets the taxonomy's name, lemmas, gloss and lexname where they differ."""
    changes = list(_changed(taxonomy, existing))
    if changes:
        c = schema.synset.c
        statement = (
            update(schema.synset)
            .where(c.id == bindparam("_id"))
            .values({col: bindparam(f"_{col}") for col in _TEXT_COLUMNS})
        )
        conn.execute(statement, changes)
    return len(changes)


def _changed(taxonomy: Taxonomy, existing: dict[str, Row[Any]]) -> Iterator[dict[str, object]]:
    for s in taxonomy.synsets():
        row = existing.get(s.wnid)
        if row is None:
            continue
        new = _row(s)
        if tuple(getattr(row, col) for col in _TEXT_COLUMNS) != new:
            values = {f"_{col}": value for col, value in zip(_TEXT_COLUMNS, new, strict=True)}
            yield {"_id": row.id, **values}


def get_meta(conn: Connection, key: str) -> str | None:
    """A ``project_meta`` value (None when unset)."""
    return conn.execute(
        select(schema.project_meta.c.value).where(schema.project_meta.c.key == key)
    ).scalar_one_or_none()


def set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(delete(schema.project_meta).where(schema.project_meta.c.key == key))
    conn.execute(schema.project_meta.insert().values(key=key, value=value))
