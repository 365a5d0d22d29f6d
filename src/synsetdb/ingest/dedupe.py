"""Near-duplicate groups over the catalog: the query behind ``synsetdb dups``."""

from __future__ import annotations

from sqlalchemy import select

from ..catalog import Catalog, schema
from ..catalog.catalog import LIVE_STATUSES
from .dups import DEFAULT_RADIUS, DuplicateGroup, duplicate_groups

__all__ = ["catalog_duplicates"]


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
    return duplicate_groups(ids, hashes, radius, labels=labels, within_label=within_synset)
