"""A synset's page (lemmas, gloss, paths, children, counts, its image grid) and the synset lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from ..audit.store import findings_for_synset
from ..catalog import schema
from ..catalog.browse import (
    GRID_SORTS,
    MAX_PAGE,
    Grid,
    GridQuery,
    SynsetCounts,
    SynsetFacets,
    grid,
    synset_counts,
    synset_facets,
)
from ..catalog.tallies import ClassCount
from .access import BrowserDep
from .display import lemma
from .nodes import SynsetRef, TreeNode, children_of, refs
from .releases_common import ReleaseParam, release_names
from .state import render, web_state
from .stats import kept_tallies

__all__ = ["SynsetDetail", "SynsetList", "SynsetListItem", "api", "grid_query", "pages"]

pages = APIRouter()
FINDINGS_SHOWN = 20  # audit findings listed on a synset's page (the Audit page has them all)
api = APIRouter(tags=["synsets"])

PAGE = 60
CHILDREN_SHOWN = 200
ALL_STATUSES = "all"
NONE = "(none)"  # in a split, source or licence filter: images without one
Filter = Annotated[str | None, Query(max_length=512)]


@dataclass(frozen=True, slots=True)
class SynsetDetail:
    """Everything on a synset's page but its grid."""

    wnid: str
    name: str
    lemmas: list[str]
    gloss: str
    lexname: str | None
    depth: int
    paths: list[list[SynsetRef]]  # root first, down to the parent
    parents: list[SynsetRef]
    children: list[TreeNode]  # with images first (all children if it has none with images)
    children_total: int
    counts: SynsetCounts
    facets: SynsetFacets


def grid_query(
    status: Annotated[
        str | None,
        Query(max_length=64, description="a status, or 'all' (default: all but rejected)"),
    ] = None,
    split: Filter = None,
    source: Filter = None,
    licence: Filter = None,
    release: ReleaseParam = None,
    sort: Annotated[str, Query(pattern="^(" + "|".join(GRID_SORTS) + ")$")] = "id",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE,
) -> GridQuery:
    """The grid's filters, order and page, from the query string."""
    statuses: tuple[str, ...]
    if status in (None, ""):
        statuses = schema.LIVE_STATUSES
    elif status == ALL_STATUSES:
        statuses = schema.CANDIDATE_STATUSES
    else:
        statuses = (status,)  # an unknown one is refused by GridQuery (E_QUERY)
    facets = (_facet(split), _facet(source), _facet(licence))
    return GridQuery(statuses, *facets, release, sort, offset, limit)


def _facet(value: str | None) -> str | None:
    """A facet filter from the query string: empty is no filter, ``(none)`` the unknown value."""
    if not value:
        return None
    return "" if value == NONE else value


GridParams = Annotated[GridQuery, Depends(grid_query)]


def detail(request: Request, wnid: str, release: str | None) -> SynsetDetail:
    state = web_state(request)
    taxonomy = state.taxonomy
    synset = taxonomy.get(wnid)
    children = children_of(state, wnid, release=release)
    total = len(taxonomy.children(wnid))
    if not children:  # no child holds images: list them all, to show where the tree goes
        children = children_of(state, wnid, release=release, empty=True)
    paths = [refs(taxonomy, list(reversed(path[1:]))) for path in taxonomy.paths_to_root(wnid)]
    return SynsetDetail(
        wnid=wnid,
        name=synset.name,
        lemmas=[lemma(x) for x in synset.lemmas],
        gloss=synset.gloss,
        lexname=synset.lexname,
        depth=taxonomy.depth(wnid).shortest,
        paths=paths,
        parents=refs(taxonomy, list(taxonomy.parents(wnid))),
        children=children[:CHILDREN_SHOWN],
        children_total=total,
        counts=synset_counts(state.catalog, [wnid], release=release)[wnid],
        facets=synset_facets(state.catalog, wnid, release=release),
    )


@api.get("/synsets/{wnid}", summary="A synset: names, paths to the root, children, counts")
def synset_api(
    request: Request, wnid: str, _visitor: BrowserDep, release: ReleaseParam = None
) -> SynsetDetail:
    return detail(request, wnid, release)


@api.get("/synsets/{wnid}/images", summary="A page of the synset's own images")
def images_api(request: Request, wnid: str, _visitor: BrowserDep, query: GridParams) -> Grid:
    state = web_state(request)
    state.taxonomy.get(wnid)
    return grid(state.catalog, wnid, query)


@pages.get("/synset/{wnid}")
def synset_page(
    request: Request, wnid: str, visitor: BrowserDep, query: GridParams
) -> HTMLResponse:
    state = web_state(request)
    info = detail(request, wnid, query.release)
    page = grid(state.catalog, wnid, query)
    context = {
        "visitor": visitor,
        "synset": info,
        "grid": page,
        "query": query,
        "filters": _filters(query),
        "next_url": _page_url(wnid, query, page.offset + page.limit) if _has_more(page) else None,
        "prev_url": _page_url(wnid, query, max(0, page.offset - page.limit))
        if page.offset
        else None,
        "api_url": f"/api/synsets/{wnid}/images?" + urlencode(_filters(query)),
        "releases": release_names(state),
        "release": query.release,
        "sorts": GRID_SORTS,
        "can_label": visitor is not None and bool(info.counts.own.get("candidate")),
        "findings": findings_for_synset(state.catalog, wnid, limit=FINDINGS_SHOWN),
    }
    return render(request, "synset.html", context)


def _has_more(page: Grid) -> bool:
    return page.offset + len(page.tiles) < page.total


def _filters(query: GridQuery) -> dict[str, str]:
    """The query's filters as query-string values (what links keep when they change one)."""
    values: dict[str, Any] = {
        "status": _status_value(query.statuses),
        "split": _shown(query.split),
        "source": _shown(query.source),
        "licence": _shown(query.licence),
        "release": query.release,
        "sort": None if query.sort == "id" else query.sort,
    }
    return {k: str(v) for k, v in values.items() if v is not None}


def _shown(value: str | None) -> str | None:
    return NONE if value == "" else value


def _status_value(statuses: tuple[str, ...]) -> str | None:
    if statuses == schema.LIVE_STATUSES:
        return None
    return ALL_STATUSES if set(statuses) == set(schema.CANDIDATE_STATUSES) else statuses[0]


def _page_url(wnid: str, query: GridQuery, offset: int) -> str:
    values = _filters(query) | ({"offset": str(offset)} if offset else {})
    return f"/synset/{wnid}" + (f"?{urlencode(values)}" if values else "")


# ----------------------------------------------------------------------------- synset lists


@dataclass(frozen=True, slots=True)
class SynsetListItem:
    wnid: str
    name: str
    images: int
    accepted: int
    rejected: int
    depth: int


@dataclass(frozen=True, slots=True)
class SynsetList:
    """Synsets with own images, largest first, filtered by size, depth or accept rate."""

    items: list[SynsetListItem]
    total: int
    offset: int


@dataclass(frozen=True, slots=True)
class ListFilter:
    """Which synsets a list keeps: a range of sizes, one depth, a range of accept rates."""

    release: str | None = None
    min_images: int = 0
    max_images: int | None = None
    depth: int | None = None
    min_rate: float | None = None
    max_rate: float | None = None

    def keeps(self, c: ClassCount, depth: int) -> bool:
        if c.images < self.min_images:
            return False
        if self.max_images is not None and c.images > self.max_images:
            return False
        if self.depth is not None and depth != self.depth:
            return False
        if self.min_rate is None and self.max_rate is None:
            return True
        rate = c.accept_rate
        low, high = self.min_rate or 0.0, 1.0 if self.max_rate is None else self.max_rate
        return rate is not None and low <= rate <= high

    def to_dict(self) -> dict[str, Any]:
        """The filters that are set, as the query string carries them."""
        values = {name: getattr(self, name) for name in self.__slots__}
        return {
            k: v for k, v in values.items() if v is not None and not (k == "min_images" and v == 0)
        }


def synset_list(request: Request, kept: ListFilter, offset: int, limit: int) -> SynsetList:
    """Where a click on a statistics bar leads: the synsets behind it (read from the counts)."""
    state = web_state(request)
    taxonomy = state.taxonomy
    depth = {}
    found = []
    for c in kept_tallies(state, kept.release).classes:
        depth[c.wnid] = taxonomy.depth(c.wnid).shortest
        if kept.keeps(c, depth[c.wnid]):
            found.append(c)
    items = [
        SynsetListItem(
            c.wnid, taxonomy.get(c.wnid).name, c.images, c.accepted, c.rejected, depth[c.wnid]
        )
        for c in found[offset : offset + limit]
    ]
    return SynsetList(items, len(found), offset)


def list_filter(
    release: ReleaseParam = None,
    min_images: Annotated[int, Query(ge=0)] = 0,
    max_images: Annotated[int | None, Query(ge=0)] = None,
    depth: Annotated[int | None, Query(ge=0, le=100)] = None,
    min_rate: Annotated[float | None, Query(ge=0, le=1)] = None,
    max_rate: Annotated[float | None, Query(ge=0, le=1)] = None,
) -> ListFilter:
    return ListFilter(release, min_images, max_images, depth, min_rate, max_rate)


ListParams = Annotated[ListFilter, Depends(list_filter)]
Offset = Annotated[int, Query(ge=0)]
Limit = Annotated[int, Query(ge=1, le=500)]


@api.get("/synsets", summary="Synsets with own images by size, depth or accept rate")
def synsets_api(
    request: Request, _visitor: BrowserDep, kept: ListParams, offset: Offset = 0, limit: Limit = 100
) -> SynsetList:
    return synset_list(request, kept, offset, limit)


@pages.get("/synsets")
def synsets_page(
    request: Request, visitor: BrowserDep, kept: ListParams, offset: Offset = 0, limit: Limit = 100
) -> HTMLResponse:
    found = synset_list(request, kept, offset, limit)
    query = kept.to_dict()
    more = offset + len(found.items) < found.total
    context = {
        "visitor": visitor,
        "found": found,
        "shown": query,
        "next_url": "/synsets?" + urlencode(query | {"offset": offset + limit}) if more else None,
        "release": kept.release,
    }
    return render(request, "synsets.html", context)
