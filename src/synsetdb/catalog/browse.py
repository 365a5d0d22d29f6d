"""The explorer's read API: counts, grids, images, tallies, each a few indexed queries.

Nothing here scans the images or joins the closure with the candidates: counts
come from the maintained tables (:mod:`~synsetdb.catalog.aggregates`), grids
read one synset's own candidates (a range of the ``(synset_id, status)``
index) or a page of an indexed facet, and an image's page reads its own rows
by primary or foreign key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Select, func, select

from ..errors import ConfigError, NotFoundError
from . import schema
from .aggregates import ALL_SPLITS, LIVE
from .catalog import Catalog

__all__ = [
    "GRID_SORTS",
    "FacetPage",
    "Grid",
    "GridQuery",
    "ImageFiles",
    "ImageRef",
    "SynsetCounts",
    "SynsetFacets",
    "Tile",
    "facet_page",
    "grid",
    "image_files",
    "image_keys",
    "release_id",
    "synset_counts",
    "synset_facets",
]


@dataclass(frozen=True, slots=True)
class SynsetCounts:
    """A synset's image counts, of its own and of its whole subtree (distinct images).

    Keys are candidate statuses and ``live`` (any status but rejected) for
    the catalog, or splits and ``all`` for a release.
    """

    own: Mapping[str, int] = field(default_factory=dict)
    subtree: Mapping[str, int] = field(default_factory=dict)

    @property
    def images(self) -> int:
        """Images in the subtree: live ones in the catalog, all of them in a release."""
        return self.subtree.get(LIVE, self.subtree.get(ALL_SPLITS, 0))

    @property
    def own_images(self) -> int:
        return self.own.get(LIVE, self.own.get(ALL_SPLITS, 0))

    def to_dict(self) -> dict[str, dict[str, int]]:
        return {"own": dict(self.own), "subtree": dict(self.subtree)}


def release_id(conn: Connection, name: str) -> int:
    """The id of the release called ``name``.

    Raises:
        NotFoundError: ``E_NO_RELEASE`` when there is none.
    """
    r = schema.release.c
    found = conn.execute(select(r.id).where(r.name == name)).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no release named {name!r}", code="E_NO_RELEASE")
    return int(found)


def synset_counts(
    catalog: Catalog, wnids: Iterable[str], *, release: str | None = None
) -> dict[str, SynsetCounts]:
    """Counts of each synset (one query; synsets without images get empty counts).

    Args:
        wnids: the synsets (unknown ids raise ``UnknownSynsetError``).
        release: count this release's items by split instead of the catalog's candidates.
    """
    ids = {catalog.synset_id(w): w for w in wnids}
    with catalog.engine.connect() as conn:
        return _counts(conn, ids, release)


def _counts(
    conn: Connection, ids: Mapping[int, str], release: str | None
) -> dict[str, SynsetCounts]:
    if release is None:
        t = schema.synset_count
        key, where = t.c.status, []
    else:
        rc = schema.release_count
        t, key, where = rc, rc.c.split, [rc.c.release_id == release_id(conn, release)]
    own: dict[int, dict[str, int]] = {}
    subtree: dict[int, dict[str, int]] = {}
    keys = sorted(ids)
    for start in range(0, len(keys), 10_000):
        query = select(t.c.synset_id, key, t.c.own, t.c.subtree).where(
            t.c.synset_id.in_(keys[start : start + 10_000]), *where
        )
        for synset, name, n_own, n_subtree in conn.execute(query):
            if n_own:
                own.setdefault(int(synset), {})[name] = int(n_own)
            if n_subtree:
                subtree.setdefault(int(synset), {})[name] = int(n_subtree)
    return {wnid: SynsetCounts(own.get(i, {}), subtree.get(i, {})) for i, wnid in ids.items()}


@dataclass(frozen=True, slots=True)
class ImageFiles:
    """The blobs of one image: the original, its thumbnail, its renditions by kind."""

    blob_key: str
    format: str
    thumbnail_key: str | None
    renditions: Mapping[str, str]


def image_files(catalog: Catalog, image_id: str) -> ImageFiles | None:
    """The blob keys of an image (None for an unknown id); two primary-key reads."""
    i, r = schema.image.c, schema.rendition.c
    with catalog.engine.connect() as conn:
        row = conn.execute(
            select(i.blob_key, i.format, i.thumbnail_key).where(i.id == image_id)
        ).first()
        if row is None:
            return None
        kinds = conn.execute(select(r.kind, r.blob_key).where(r.image_id == image_id)).all()
    return ImageFiles(row.blob_key, row.format, row.thumbnail_key, dict(kinds))


# ----------------------------------------------------------------------------- a synset's grid

# Orders a grid can take; "id" (the sha256) is a stable shuffle.
GRID_SORTS = ("id", "newest", "oldest", "largest", "smallest", "status")
MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class GridQuery:
    """Which of a synset's own images a grid shows, in what order, which page.

    Attributes:
        statuses: candidate statuses shown (default: the live ones); ignored
            for a release, whose items are shown whatever their status.
        split: the source's official split, or with ``release`` the release's split.
        source: the candidate's source (``folder:…``, a search provider).
        licence: the image's licence. For the three filters, None is no
            filter and '' selects the images without a value.
        release: only the images of this release's class.
        sort: one of :data:`GRID_SORTS`.
        offset, limit: the page (a synset holds a few thousand images at most,
            so an offset costs a range of one index, never a scan).
    """

    statuses: tuple[str, ...] = schema.LIVE_STATUSES
    split: str | None = None
    source: str | None = None
    licence: str | None = None
    release: str | None = None
    sort: str = "id"
    offset: int = 0
    limit: int = 60

    def __post_init__(self) -> None:
        if self.sort not in GRID_SORTS:
            raise ConfigError(
                f"sort must be one of {', '.join(GRID_SORTS)}, not {self.sort!r}", code="E_QUERY"
            )
        if not (self.offset >= 0 and 0 < self.limit <= MAX_PAGE):
            raise ConfigError(f"a page is 1..{MAX_PAGE} images from an offset >= 0", code="E_QUERY")
        unknown = set(self.statuses) - set(schema.CANDIDATE_STATUSES)
        if unknown:
            raise ConfigError(f"unknown status {sorted(unknown)[0]!r}", code="E_QUERY")


@dataclass(frozen=True, slots=True)
class Tile:
    """One image of a grid."""

    image_id: str
    status: str
    split: str | None
    source: str | None
    licence: str | None
    width: int
    height: int
    has_thumbnail: bool


@dataclass(frozen=True, slots=True)
class Grid:
    """A page of a grid and how many images match in all."""

    tiles: tuple[Tile, ...]
    total: int
    offset: int
    limit: int


def grid(catalog: Catalog, wnid: str, query: GridQuery) -> Grid:
    """A page of a synset's own images, filtered and sorted (two queries over one synset).

    Without a facet filter or a release, the total is the maintained count.
    """
    synset_id = catalog.synset_id(wnid)
    with catalog.engine.connect() as conn:
        selection, split = _grid_select(conn, synset_id, query)
        total = _known_total(conn, synset_id, query)
        if total is None:
            total = conn.execute(
                select(func.count()).select_from(
                    selection.with_only_columns(schema.candidate.c.id).subquery()
                )
            ).scalar_one()
        page = selection.add_columns(split).order_by(*_order(query.sort))
        rows = conn.execute(_paged(page, synset_id, query)).all()
    tiles = tuple(
        Tile(r.image_id, r.status, r.grid_split, r.source, r.licence, r.width, r.height, r.thumb)
        for r in rows
    )
    return Grid(tiles, int(total), query.offset, query.limit)


def _known_total(conn: Connection, synset_id: int, query: GridQuery) -> int | None:
    """The grid's total from ``synset_count`` when only statuses filter it (else None)."""
    if query.release is not None or (query.split, query.source, query.licence) != (None,) * 3:
        return None
    sc = schema.synset_count.c
    keys = [LIVE] if set(query.statuses) == set(schema.LIVE_STATUSES) else list(query.statuses)
    found = conn.execute(
        select(func.coalesce(func.sum(sc.own), 0)).where(
            sc.synset_id == synset_id, sc.status.in_(keys)
        )
    ).scalar_one()
    return int(found)


def _grid_select(conn: Connection, synset_id: int, query: GridQuery) -> tuple[Select[Any], Any]:
    c, i = schema.candidate.c, schema.image.c
    selection = select(
        c.image_id,
        c.status,
        c.source,
        i.licence,
        i.width,
        i.height,
        i.thumbnail_key.is_not(None).label("thumb"),
    ).join_from(schema.candidate, schema.image, i.id == c.image_id)
    selection = selection.where(c.synset_id == synset_id)
    if query.release is not None:
        ri = schema.release_item.c
        selection = selection.join(
            schema.release_item,
            (ri.release_id == release_id(conn, query.release))
            & (ri.synset_id == c.synset_id)
            & (ri.image_id == c.image_id),
        )
        split = ri.split
    else:
        selection = selection.where(c.status.in_(query.statuses))
        split = c.split
    for column, value in (
        (split, query.split),
        (c.source, query.source),
        (i.licence, query.licence),
    ):
        if value is not None:  # "" stands for "not known"
            selection = selection.where(func.coalesce(column, "") == value)
    return selection, split.label("grid_split")


# Orders that need no column of the image: the page is chosen among the
# candidates first, and only its rows are joined with their images.
_CANDIDATE_ORDERS = {"id", "status", "newest", "oldest"}


def _paged(page: Select[Any], synset_id: int, query: GridQuery) -> Select[Any]:
    """``page`` cut to the query's offset and limit.

    For the catalog's grid in an order of candidate columns, the page's
    candidates are picked from the ``(synset_id, status, image_id)`` index
    (and the candidate rows for a date order) before any image row is read:
    a page of a 3,000-image class reads 60 image rows, not 3,000.
    """
    if (
        query.release is not None
        or query.licence is not None
        or query.sort not in _CANDIDATE_ORDERS
    ):
        return page.offset(query.offset).limit(query.limit)
    c = schema.candidate.c
    where = [c.synset_id == synset_id, c.status.in_(query.statuses)]
    where += [
        func.coalesce(column, "") == value
        for column, value in ((c.split, query.split), (c.source, query.source))
        if value is not None
    ]
    chosen = (
        select(c.id)
        .where(*where)
        .order_by(*_order(query.sort))
        .offset(query.offset)
        .limit(query.limit)
        .scalar_subquery()
    )
    return page.where(c.id.in_(chosen))


def _order(sort: str) -> tuple[Any, ...]:
    c, i = schema.candidate.c, schema.image.c
    area = i.width * i.height
    orders: dict[str, tuple[Any, ...]] = {
        "id": (c.image_id,),
        "newest": (c.created_at.desc(), c.image_id),
        "oldest": (c.created_at, c.image_id),
        "largest": (area.desc(), c.image_id),
        "smallest": (area, c.image_id),
        "status": (c.status, c.image_id),
    }
    return orders[sort]


@dataclass(frozen=True, slots=True)
class SynsetFacets:
    """A synset's own images counted by split, source and licence ('' for unknown)."""

    split: Mapping[str, int]
    source: Mapping[str, int]
    licence: Mapping[str, int]

    def to_dict(self) -> dict[str, dict[str, int]]:
        return {
            "split": dict(self.split),
            "source": dict(self.source),
            "licence": dict(self.licence),
        }


def synset_facets(catalog: Catalog, wnid: str, *, release: str | None = None) -> SynsetFacets:
    """Counts of the synset's own live images by facet, from ``synset_facet`` (one read).

    For a release, its items of the synset by split, source and licence (a
    GROUP BY over the class's items: the release's own rows, not maintained).
    """
    synset_id = catalog.synset_id(wnid)
    facets: dict[str, Counter[str]] = {f: Counter() for f in schema.SYNSET_FACETS}
    with catalog.engine.connect() as conn:
        if release is None:
            sf = schema.synset_facet.c
            found = conn.execute(
                select(sf.facet, sf.value, sf.n).where(sf.synset_id == synset_id, sf.n > 0)
            )
            for facet, value, n in found:
                facets[facet][value] += int(n)
        else:
            c, i = schema.candidate.c, schema.image.c
            selection, split = _grid_select(conn, synset_id, GridQuery(release=release))
            values = (split, func.coalesce(c.source, ""), func.coalesce(i.licence, ""))
            rows = conn.execute(
                selection.with_only_columns(*values, func.count()).group_by(*values)
            )
            for *by_facet, n in rows:
                for facet, value in zip(schema.SYNSET_FACETS, by_facet, strict=True):
                    facets[facet][value or ""] += int(n)
    return SynsetFacets(*(dict(facets[f].most_common()) for f in schema.SYNSET_FACETS))


# ----------------------------------------------------------------------------- a facet's grid


@dataclass(frozen=True, slots=True)
class ImageRef:
    image_id: str
    has_thumbnail: bool


@dataclass(frozen=True, slots=True)
class FacetPage:
    """A page of the catalog's images with one source or licence, and where the next starts."""

    images: tuple[ImageRef, ...]
    total: int
    after: str | None  # the last id of this page: pass it to get the next; None at the end


def facet_page(
    catalog: Catalog, facet: str, value: str, *, after: str = "", limit: int = 60
) -> FacetPage:
    """The images whose ``facet`` (source or licence) is ``value``, by id, from ``after`` on.

    One range of the ``(facet, id)`` index for the page; the total comes from
    the maintained tally, not a count.
    """
    if facet not in ("source", "licence"):
        raise ConfigError(f"facet must be source or licence, not {facet!r}", code="E_QUERY")
    if not 0 < limit <= MAX_PAGE:
        raise ConfigError(f"a page is 1..{MAX_PAGE} images", code="E_QUERY")
    i, t = schema.image.c, schema.image_tally.c
    column = i[facet]
    where = column.is_(None) if value == "" else column == value
    with catalog.engine.connect() as conn:
        rows = conn.execute(
            select(i.id, i.thumbnail_key.is_not(None))
            .where(where, i.id > after)
            .order_by(column, i.id)
            .limit(limit + 1)
        ).all()
        total = conn.execute(
            select(t.images).where(t.facet == facet, t.value == value)
        ).scalar_one_or_none()
    page = tuple(ImageRef(image_id, bool(thumb)) for image_id, thumb in rows[:limit])
    return FacetPage(page, int(total or 0), page[-1].image_id if len(rows) > limit else None)


def image_keys(
    catalog: Catalog, wnid: str, *, release: str | None = None, limit: int = 1000
) -> list[tuple[str, str]]:
    """``(image id, blob key)`` of the synset's own live images (or release items), by id.

    The key is the thumbnail's where there is one (small: quick to decode),
    else the original's. At most ``limit`` images: the first by id, a
    stable pseudo-random sample of a larger class.
    """
    synset_id = catalog.synset_id(wnid)
    i = schema.image.c
    with catalog.engine.connect() as conn:
        selection, _ = _grid_select(conn, synset_id, GridQuery(release=release))
        rows = conn.execute(
            selection.with_only_columns(
                schema.candidate.c.image_id, func.coalesce(i.thumbnail_key, i.blob_key)
            )
            .order_by(schema.candidate.c.image_id)
            .limit(limit)
        ).all()
    return [(str(image), str(key)) for image, key in rows]
