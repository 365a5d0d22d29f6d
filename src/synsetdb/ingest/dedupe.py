"""Near-duplicate groups over the catalog: the query behind ``synsetdb dups``."""

from __future__ import annotations

from sqlalchemy import select

from ..catalog import Catalog, schema
from ..catalog.catalog import LIVE_STATUSES
from ..catalog.duplicates import StoredGroups, store_duplicate_groups
from .dups import DEFAULT_RADIUS, DuplicateGroup, duplicate_groups

__all__ = ["catalog_duplicates", "store_catalog_duplicates"]


def catalog_duplicates(
    catalog: Catalog,
    *,
    wnid: str | None = None,
    radius: int = DEFAULT_RADIUS,
    within_synset: bool = False,
) -> list[DuplicateGroup]:
    """Groups of images whose perceptual hashes lie within ``radius`` bits.

    Args:
        wnid: only images under this synset (its whole subtree).
        radius: the Hamming radius (0 = identical hashes).
        within_synset: link only images labelled with the same synset; otherwise
            across the catalog, each image once (labelled with its first synset).
    """
    ids, hashes, labels = _hashes(catalog, wnid, within_synset)
    return duplicate_groups(ids, hashes, radius, labels=labels, within_label=within_synset)


def store_catalog_duplicates(catalog: Catalog, *, radius: int = DEFAULT_RADIUS) -> StoredGroups:
    """Find the whole catalog's groups and keep them for the explorer (``dups --store``)."""
    ids, hashes, labels = _hashes(catalog, None, within_synset=False)
    groups = duplicate_groups(ids, hashes, radius, labels=labels)
    return store_duplicate_groups(
        catalog, [(g.ids, g.max_distance) for g in groups], radius=radius, images=len(ids)
    )


def _hashes(
    catalog: Catalog, wnid: str | None, within_synset: bool
) -> tuple[list[str], list[int], list[str]]:
    """Ids, hashes and synsets of the live images (each image once unless ``within_synset``)."""
    image, cand, synset, closure = (
        schema.image.c, schema.candidate.c, schema.synset.c, schema.synset_closure.c
    )  # fmt: skip
    query = (
        select(image.id, image.phash, synset.wnid)
        .join_from(schema.image, schema.candidate, cand.image_id == image.id)
        .join(schema.synset, synset.id == cand.synset_id)
        .where(image.phash.is_not(None), cand.status.in_(LIVE_STATUSES))
        .order_by(image.id, synset.wnid)
    )
    if wnid is not None:
        query = query.join(schema.synset_closure, closure.descendant_id == cand.synset_id).where(
            closure.ancestor_id == catalog.synset_id(wnid)
        )
    ids: list[str] = []
    hashes: list[int] = []
    labels: list[str] = []
    with catalog.engine.connect() as conn:
        for image_id, phash, label in conn.execute(query):
            if within_synset or not ids or ids[-1] != image_id:  # rows come sorted by image
                ids.append(image_id)
                hashes.append(int(phash))
                labels.append(label)
    return ids, hashes, labels
