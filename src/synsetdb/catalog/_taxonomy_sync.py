"""Writing a Taxonomy into the catalog's synset, edge and closure tables."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select

from ..hierarchy import Taxonomy, is_wordnet_id
from . import schema
from ._bulk import bulk_insert

log = logging.getLogger(__name__)

TAXONOMY_NAME_KEY = "taxonomy_name"
TAXONOMY_FINGERPRINT_KEY = "taxonomy_fingerprint"


@dataclass(frozen=True, slots=True)
class TaxonomyLoad:
    """What ``Catalog.load_taxonomy`` did."""

    name: str
    synsets_added: int
    synsets_total: int
    edges: int
    closure_rows: int
    unchanged: bool


def sync_taxonomy(conn: Connection, taxonomy: Taxonomy) -> TaxonomyLoad:
    """Make the catalog's hierarchy equal to ``taxonomy``, in the caller's transaction.

    Synsets are only ever added (existing ids stay, so images keep their
    labels); edges and closure are rebuilt whenever the taxonomy changed.
    Synsets the new taxonomy lacks are kept, detached, if anything refers to them.
    """
    stored = _meta(conn, TAXONOMY_FINGERPRINT_KEY)
    existing = dict(conn.execute(select(schema.synset.c.wnid, schema.synset.c.id)).all())
    if stored == taxonomy.fingerprint:
        return TaxonomyLoad(taxonomy.name, 0, len(existing), 0, 0, unchanged=True)
    added = _add_synsets(conn, taxonomy, existing)
    ids = dict(conn.execute(select(schema.synset.c.wnid, schema.synset.c.id)).all())
    conn.execute(delete(schema.synset_closure))
    conn.execute(delete(schema.synset_parent))
    edges = bulk_insert(
        conn,
        schema.synset_parent,
        ("child_id", "parent_id", "is_instance"),
        sorted((ids[c], ids[p], inst) for c, p, inst in taxonomy.edges()),
    )
    closure = bulk_insert(
        conn,
        schema.synset_closure,
        ("ancestor_id", "descendant_id"),
        sorted((ids[a], ids[d]) for a, d in taxonomy.closure_pairs()),  # key order: fast b-tree
    )
    _set_meta(conn, TAXONOMY_NAME_KEY, taxonomy.name)
    _set_meta(conn, TAXONOMY_FINGERPRINT_KEY, taxonomy.fingerprint)
    log.info(
        "taxonomy %s: %d synsets added, %d edges, %d closure rows",
        taxonomy.name,
        added,
        edges,
        closure,
    )
    return TaxonomyLoad(taxonomy.name, added, len(ids), edges, closure, unchanged=False)


def _add_synsets(conn: Connection, taxonomy: Taxonomy, existing: dict[str, int]) -> int:
    rows = (
        (s.wnid, s.name, "\t".join(s.lemmas), s.gloss, s.lexname, not is_wordnet_id(s.wnid))
        for s in taxonomy.synsets()
        if s.wnid not in existing
    )
    columns = ("wnid", "name", "lemmas", "gloss", "lexname", "is_custom")
    return bulk_insert(conn, schema.synset, columns, rows)


def _meta(conn: Connection, key: str) -> str | None:
    return conn.execute(
        select(schema.project_meta.c.value).where(schema.project_meta.c.key == key)
    ).scalar_one_or_none()


def _set_meta(conn: Connection, key: str, value: str) -> None:
    conn.execute(delete(schema.project_meta).where(schema.project_meta.c.key == key))
    conn.execute(schema.project_meta.insert().values(key=key, value=value))
