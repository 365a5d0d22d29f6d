"""Near-duplicate groups stored by ``synsetdb dups --store``; for a release, those that leak."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ..catalog.duplicates import GroupPage, StoredGroups, group_page, stored_groups_info
from ..catalog.tallies import image_total
from .access import BrowserDep
from .releases_common import ReleaseParam, release_names
from .state import render, web_state

__all__ = ["Duplicates", "api", "pages"]

pages = APIRouter()
api = APIRouter(tags=["duplicates"])

PAGE = 20
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Straddling = Annotated[bool, Query(description="with a release: only groups spanning its splits")]


@dataclass(frozen=True, slots=True)
class Duplicates:
    """A page of groups, and what the stored groups cover (None: never stored)."""

    stored: StoredGroups | None
    images_now: int  # images in the catalog now: more than ``stored.images`` means stale groups
    page: GroupPage


def _duplicates(
    request: Request, release: str | None, straddling: bool, offset: int, limit: int = PAGE
) -> Duplicates:
    state = web_state(request)
    catalog = state.catalog
    with catalog.engine.connect() as conn:
        stored = stored_groups_info(conn)
    # A release's groups are found by joining every stored member with its items:
    # done once per change of the counts (storing groups is one), then kept.
    page = state.kept(
        ("duplicates", release, straddling, offset, limit),
        lambda: group_page(
            catalog, offset=offset, limit=limit, release=release, straddling_only=straddling
        ),
    )
    return Duplicates(stored, image_total(catalog), page)


@api.get("/duplicates", summary="Near-duplicate groups, largest first (or leaking ones first)")
def duplicates_api(
    request: Request,
    _visitor: BrowserDep,
    release: ReleaseParam = None,
    straddling: Straddling = False,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = PAGE,
) -> Duplicates:
    return _duplicates(request, release, straddling, offset, limit)


@pages.get("/duplicates")
def duplicates_page(
    request: Request,
    visitor: BrowserDep,
    release: ReleaseParam = None,
    straddling: Straddling = False,
    offset: Offset = 0,
) -> HTMLResponse:
    found = _duplicates(request, release, straddling, offset)
    taxonomy = web_state(request).taxonomy
    labels = {
        m.image_id: ", ".join(taxonomy.get(w).name if w in taxonomy else w for w in m.wnids)
        for g in found.page.groups
        for m in g.members
    }
    query = {"release": release, "straddling": "1" if straddling else None}
    query = {k: v for k, v in query.items() if v}
    more = offset + len(found.page.groups) < found.page.total
    context = {
        "visitor": visitor,
        "found": found,
        "labels": labels,
        "release": release,
        "releases": release_names(web_state(request)),
        "straddling": straddling,
        "offset": offset,
        "next_url": "/duplicates?" + urlencode(query | {"offset": offset + PAGE}) if more else None,
        "prev_url": "/duplicates?" + urlencode(query | {"offset": max(0, offset - PAGE)})
        if offset
        else None,
    }
    return render(request, "duplicates.html", context)
