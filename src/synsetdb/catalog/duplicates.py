"""Near-duplicate groups kept in the catalog for the explorer (``synsetdb dups --store``).

Finding the groups needs every perceptual hash in memory (multi-index hashing,
``synsetdb.ingest.dups``); the explorer cannot do that per request. So the
groups of the whole catalog are stored, with the radius, the time and how
many images were hashed, and the explorer reads them by group and by image
through indexes. Images added later are not in any group until the next
``--store``; :func:`stored_groups_info` lets the explorer say so.

Each image's variant hashes (``synsetdb.imaging.variants``: the pHashes of its
mirror, trimmed, centred and straightened views) are kept in ``image_variant``;
:func:`image_variants` reads them and computes those missing from the stored
thumbnail (or original) with a function the caller passes, so this package
needs no pixels code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, delete, func, select

from ..errors import SynsetdbError
from . import schema
from ._bulk import bulk_insert
from .aggregates import bump_generation
from .blobs import BlobStore
from .browse import release_id
from .catalog import Catalog

__all__ = [
    "GroupMember",
    "GroupPage",
    "StoredGroup",
    "StoredGroups",
    "group_page",
    "image_variants",
    "store_duplicate_groups",
    "stored_groups_info",
]

log = logging.getLogger(__name__)

MEMBERS_SHOWN = 12  # members listed per group on a page; the group's size is given

_RADIUS, _WHEN, _IMAGES, _GROUPS = "dups_radius", "dups_stored_at", "dups_images", "dups_groups"
_KEYS = (_RADIUS, _WHEN, _IMAGES, _GROUPS)
_IN_CHUNK = 10_000  # ids per IN (...) list: SQLite's bound on host parameters is 32,766
_VARIANT_BATCH = 500  # images whose computed variant hashes are stored per transaction


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
        bump_generation(conn)  # what the explorer kept from the old groups is stale
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


@dataclass(frozen=True, slots=True)
class GroupMember:
    """One image of a group: its synsets (live candidates), and its split in the release shown."""

    image_id: str
    has_thumbnail: bool
    wnids: tuple[str, ...]
    split: str | None = None


@dataclass(frozen=True, slots=True)
class StoredGroup:
    """A group as a page shows it: its first members, and the splits it spans in a release."""

    id: int
    size: int
    max_distance: int
    members: tuple[GroupMember, ...]
    splits: Mapping[str, int]  # members per split of the release shown ({} without one)

    @property
    def straddles(self) -> bool:
        """Whether the group's images sit in more than one split (a leak between them)."""
        return len(self.splits) > 1


@dataclass(frozen=True, slots=True)
class GroupPage:
    groups: tuple[StoredGroup, ...]
    total: int
    straddling: int  # of ``total``, the groups spanning splits (0 without a release)


def group_page(
    catalog: Catalog,
    *,
    offset: int = 0,
    limit: int = 20,
    release: str | None = None,
    straddling_only: bool = False,
) -> GroupPage:
    """A page of the stored groups, largest first.

    With ``release``: only groups with two or more of its items, those that
    straddle its splits first; this reads the groups' members joined with
    the release (work in proportion to the duplicate images, not the catalog).
    """
    with catalog.engine.connect() as conn:
        if release is None:
            g = schema.dup_group.c
            total = conn.execute(select(func.count()).select_from(schema.dup_group)).scalar_one()
            rows = conn.execute(
                select(g.id, g.size, g.max_distance)
                .order_by(g.size.desc(), g.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            groups: list[tuple[int, int, int, dict[str, int]]] = [
                (int(i), int(n), int(d), {}) for i, n, d in rows
            ]
            return GroupPage(_with_members(conn, groups, None), int(total), 0)
        return _release_page(conn, release_id(conn, release), offset, limit, straddling_only)


def _release_page(
    conn: Connection, release: int, offset: int, limit: int, straddling_only: bool
) -> GroupPage:
    m, g, ri = schema.dup_member.c, schema.dup_group.c, schema.release_item.c
    rows = conn.execute(
        select(m.group_id, g.size, g.max_distance, ri.split, func.count(ri.image_id.distinct()))
        .join_from(schema.dup_member, schema.dup_group, g.id == m.group_id)
        .join(schema.release_item, (ri.image_id == m.image_id) & (ri.release_id == release))
        .group_by(m.group_id, g.size, g.max_distance, ri.split)
    ).all()
    found: dict[int, tuple[int, int, dict[str, int]]] = {}
    for group, size, distance, split, n in rows:
        found.setdefault(int(group), (int(size), int(distance), {}))[2][split] = int(n)
    kept = [
        (group, size, distance, splits)
        for group, (size, distance, splits) in found.items()
        if sum(splits.values()) > 1 and (len(splits) > 1 or not straddling_only)
    ]
    kept.sort(key=lambda t: (len(t[3]) < 2, -t[1], t[0]))
    straddling = sum(1 for t in kept if len(t[3]) > 1)
    page = kept[offset : offset + limit]
    return GroupPage(_with_members(conn, page, release), len(kept), straddling)


def _with_members(
    conn: Connection,
    groups: Sequence[tuple[int, int, int, dict[str, int]]],
    release: int | None,
) -> tuple[StoredGroup, ...]:
    """The groups with their first members (by image id), each member's synsets and split."""
    m, i, c, s = schema.dup_member.c, schema.image.c, schema.candidate.c, schema.synset.c
    ids = [group for group, *_ in groups]
    # Each group's first MEMBERS_SHOWN members by id, however large the group.
    order = func.row_number().over(partition_by=m.group_id, order_by=m.image_id).label("n")
    first = select(m.group_id, m.image_id, order).where(m.group_id.in_(ids)).subquery()
    query = (
        select(first.c.group_id, first.c.image_id, i.thumbnail_key.is_not(None), s.wnid)
        .join_from(first, schema.image, i.id == first.c.image_id)
        .outerjoin(
            schema.candidate,
            (c.image_id == first.c.image_id) & c.status.in_(schema.LIVE_STATUSES),
        )
        .outerjoin(schema.synset, s.id == c.synset_id)
        .where(first.c.n <= MEMBERS_SHOWN)
        .order_by(first.c.group_id, first.c.image_id, s.wnid)
    )
    members: dict[int, dict[str, tuple[bool, list[str]]]] = {}
    for group, image, thumb, wnid in conn.execute(query) if ids else ():
        entry = members.setdefault(int(group), {}).setdefault(image, (bool(thumb), []))
        if wnid:
            entry[1].append(wnid)
    splits = _splits(conn, members, release)
    return tuple(
        StoredGroup(
            group,
            size,
            distance,
            tuple(
                GroupMember(image, thumb, tuple(wnids), splits.get(image))
                for image, (thumb, wnids) in members.get(group, {}).items()
            ),
            by_split,
        )
        for group, size, distance, by_split in groups
    )


def _splits(
    conn: Connection, members: Mapping[int, Mapping[str, object]], release: int | None
) -> dict[str, str]:
    images = sorted({image for group in members.values() for image in group})
    if release is None or not images:
        return {}
    ri = schema.release_item.c
    rows = conn.execute(
        select(ri.image_id, ri.split).where(ri.release_id == release, ri.image_id.in_(images))
    )
    return {str(image): str(split) for image, split in rows}


def image_variants(
    catalog: Catalog,
    image_ids: Iterable[str],
    *,
    version: int,
    compute: Callable[[bytes], bytes] | None = None,
    blobs: BlobStore | None = None,
) -> dict[str, bytes]:
    """The packed variant hashes of these images, computing and storing those not stored yet.

    Args:
        image_ids: the images wanted.
        version: the version of the views wanted; rows of another version count as missing.
        compute: packed variant hashes from an image's encoded bytes (``b""``
            when the bytes cannot be decoded); None: only what is stored.
        blobs: where to read the thumbnails (or originals) from; None: only what is stored.

    Returns:
        image id -> packed hashes (big-endian signed 64-bit), for the images
        that have them: ``b""`` where the pixels could not be read, absent
        where nothing is stored and nothing could be computed.
    """
    ids = sorted(set(image_ids))
    found: dict[str, bytes] = {}
    with catalog.engine.connect() as conn:
        found.update(_stored_variants(conn, ids, version))
        missing = _sources(conn, [i for i in ids if i not in found]) if compute and blobs else []
    if missing and compute is not None and blobs is not None:
        log.info("computing the variant hashes of %d image(s)", len(missing))
        for start in range(0, len(missing), _VARIANT_BATCH):
            rows = [
                (i, _compute(blobs, keys, compute))
                for i, *keys in missing[start : start + _VARIANT_BATCH]
            ]
            _store_variants(catalog, rows, version)
            found.update(rows)
    return found


def _stored_variants(conn: Connection, ids: Sequence[str], version: int) -> dict[str, bytes]:
    v = schema.image_variant.c
    found: dict[str, bytes] = {}
    for start in range(0, len(ids), _IN_CHUNK):
        rows = conn.execute(
            select(v.image_id, v.hashes).where(
                v.image_id.in_(ids[start : start + _IN_CHUNK]), v.version == version
            )
        )
        found.update((str(i), bytes(h)) for i, h in rows)
    return found


def _sources(conn: Connection, ids: Sequence[str]) -> list[tuple[str, str | None, str]]:
    """Each image's thumbnail key (None without one) and blob key, sorted by image."""
    i = schema.image.c
    found: list[tuple[str, str | None, str]] = []
    for start in range(0, len(ids), _IN_CHUNK):
        rows = conn.execute(
            select(i.id, i.thumbnail_key, i.blob_key).where(
                i.id.in_(ids[start : start + _IN_CHUNK])
            )
        )
        found.extend((str(a), b, str(c)) for a, b, c in rows)
    return sorted(found)


def _compute(
    blobs: BlobStore, keys: Sequence[str | None], compute: Callable[[bytes], bytes]
) -> bytes:
    """From the thumbnail when there is one (small, upright, RGB), else from the original."""
    for key in keys:
        if key is None:
            continue
        try:
            data = blobs.get(key)
        except (OSError, SynsetdbError):  # missing or unusable: the next, or "no pixels"
            continue
        return compute(data)
    return b""


def _store_variants(catalog: Catalog, rows: Sequence[tuple[str, bytes]], version: int) -> None:
    """Replace these images' rows (another version's, or a racing writer's) in one transaction."""
    if not rows:
        return
    v = schema.image_variant
    with catalog.engine.begin() as conn:
        conn.execute(delete(v).where(v.c.image_id.in_([i for i, _ in rows])))
        bulk_insert(conn, v, ("image_id", "version", "hashes"), [(i, version, h) for i, h in rows])
