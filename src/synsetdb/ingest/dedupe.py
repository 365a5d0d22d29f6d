"""Near-duplicate groups over the catalog: the query behind ``synsetdb dups``.

Images link when one's pHash lies within the radius of the other's pHash or of
one of its variant hashes (``synsetdb.imaging.linking``), so crops, small
turns and mirror images of one photo fall in one group. Variant hashes are
read from the catalog; those not stored yet are computed from the stored
thumbnails when a blob store is given (once: they are kept).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..catalog import BlobStore, Catalog, schema
from ..catalog.catalog import LIVE_STATUSES
from ..catalog.duplicates import StoredGroups, image_variants, store_duplicate_groups
from ..imaging.dups import DEFAULT_RADIUS, DuplicateGroup
from ..imaging.linking import variant_groups
from ..imaging.variants import VARIANTS_VERSION, packed_variants, unpack

__all__ = ["DuplicateMember", "catalog_duplicates", "duplicate_members", "store_catalog_duplicates"]

_CHUNK = 10_000  # ids per IN (...) list: SQLite's bound on host parameters is 32,766


@dataclass(frozen=True, slots=True)
class DuplicateMember:
    """An image of a duplicate group as people know it.

    Attributes:
        id: the image id (sha256 of its bytes).
        files: its original file names, as its sources gave them (a URL where a
            source gave no name), sorted.
        synsets: the ``(wnid, name)`` of each synset it is an image of (any
            status but rejected), by wnid.
    """

    id: str
    files: tuple[str, ...]
    synsets: tuple[tuple[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "files": list(self.files),
            "synsets": [{"wnid": w, "name": n} for w, n in self.synsets],
        }


def catalog_duplicates(
    catalog: Catalog,
    *,
    wnid: str | None = None,
    radius: int = DEFAULT_RADIUS,
    within_synset: bool = False,
    blobs: BlobStore | None = None,
) -> list[DuplicateGroup]:
    """Groups of near-duplicate images: pHashes within ``radius`` bits of a pHash or variant hash.

    Args:
        wnid: only images under this synset (its whole subtree).
        radius: the Hamming radius (0 = identical hashes).
        within_synset: link only images labelled with the same synset; otherwise
            across the catalog, each image once (labelled with its first synset).
        blobs: the project's blob store, to compute the variant hashes not
            stored yet (and store them); None uses only those stored.
    """
    ids, hashes, labels = _hashes(catalog, wnid, within_synset)
    variants = _variants(catalog, ids, blobs)
    return variant_groups(ids, hashes, variants, radius, labels=labels, within_label=within_synset)


def store_catalog_duplicates(
    catalog: Catalog, *, radius: int = DEFAULT_RADIUS, blobs: BlobStore | None = None
) -> StoredGroups:
    """Find the whole catalog's groups and keep them for the explorer (``dups --store``)."""
    ids, hashes, labels = _hashes(catalog, None, within_synset=False)
    groups = variant_groups(ids, hashes, _variants(catalog, ids, blobs), radius, labels=labels)
    return store_duplicate_groups(
        catalog, [(g.ids, g.max_distance) for g in groups], radius=radius, images=len(ids)
    )


def _variants(catalog: Catalog, ids: list[str], blobs: BlobStore | None) -> list[Any]:
    """Each image's variant hashes (None where none are known), aligned with ``ids``."""
    packed = image_variants(
        catalog, ids, version=VARIANTS_VERSION, compute=packed_variants, blobs=blobs
    )
    return [unpack(packed[i]) if i in packed else None for i in ids]


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


def duplicate_members(catalog: Catalog, image_ids: Iterable[str]) -> dict[str, DuplicateMember]:
    """The file names and synsets of each image, from its candidates (a query per 10,000)."""
    cand, synset = schema.candidate.c, schema.synset.c
    ids = sorted(set(image_ids))
    files: dict[str, set[str]] = {i: set() for i in ids}
    synsets: dict[str, set[tuple[str, str]]] = {i: set() for i in ids}
    with catalog.engine.connect() as conn:
        for start in range(0, len(ids), _CHUNK):
            query = (
                select(
                    cand.image_id, cand.file_name, cand.url, cand.status, synset.wnid, synset.name
                )
                .join_from(schema.candidate, schema.synset, synset.id == cand.synset_id)
                .where(cand.image_id.in_(ids[start : start + _CHUNK]))
            )
            for image_id, file_name, url, status, wnid, name in conn.execute(query):
                if file_name or url:
                    files[image_id].add(file_name or url)
                if status in LIVE_STATUSES:
                    synsets[image_id].add((wnid, name))
    return {i: DuplicateMember(i, tuple(sorted(files[i])), tuple(sorted(synsets[i]))) for i in ids}
