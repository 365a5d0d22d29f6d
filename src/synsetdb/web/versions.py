"""The versions page: ImageNet's class lists and the releases side by side, and their diffs.

The table comes from ``audit.versions`` (two queries: the releases' classes
from the maintained counts, and the counts' generation that says whether the
kept table is still current); a diff of two versions reuses the kept lists.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..audit.versions import (
    FALL11_P,
    WINTER21_P,
    VersionList,
    VersionsDiff,
    VersionsTable,
    diff_versions,
    version_lists,
    versions_table,
)
from .access import BrowserDep
from .state import WebState, render, web_state

__all__ = ["api", "pages"]

pages = APIRouter()
api = APIRouter(tags=["versions"])

LISTED = 500  # classes of each side a diff page lists; the counts cover all
API_LISTED = 1_000  # the diff API's default limit
_KEY = r"(release:)?[A-Za-z0-9][A-Za-z0-9._-]*"
_ABOUT = "a named set's name, or a release's (release:NAME when a set has its name)"
Key = Annotated[str, Query(max_length=140, pattern=f"^{_KEY}$", description=_ABOUT)]
# the compare form may send nothing chosen: empty
OptionalKey = Annotated[
    str | None, Query(max_length=140, pattern=f"^({_KEY})?$", description=_ABOUT)
]
Limit = Annotated[
    int,
    Query(ge=0, le=100_000, description="list at most this many classes of each side"),
]


def _lists(state: WebState) -> list[VersionList]:
    return state.kept(("versions", "lists"), lambda: version_lists(state.project, state.taxonomy))


def _table(state: WebState) -> VersionsTable:
    lists = _lists(state)
    return state.kept(
        ("versions", "table"), lambda: versions_table(state.project, state.taxonomy, lists)
    )


def _diff(state: WebState, a: str, b: str, limit: int) -> VersionsDiff:
    return diff_versions(a, b, state.project, state.taxonomy, limit=limit, lists=_lists(state))


@api.get("/versions", summary="Every named set and release: sizes, flags, pairwise overlaps")
def versions_api(request: Request, _visitor: BrowserDep) -> dict[str, Any]:
    return _table(web_state(request)).to_dict()


@api.get(
    "/versions/diff",
    summary="The classes only in version a and only in version b (by default: what the "
    "2021 filtering removed, imagenet21k-p against imagenet21k-p-winter21)",
)
def diff_api(
    request: Request,
    _visitor: BrowserDep,
    a: Key = FALL11_P,
    b: Key = WINTER21_P,
    limit: Limit = API_LISTED,
) -> dict[str, Any]:
    return _diff(web_state(request), a, b, limit).to_dict()


@pages.get("/versions")
def versions_page(request: Request, visitor: BrowserDep) -> HTMLResponse:
    result = _table(web_state(request))
    context = {"visitor": visitor, "t": result, "rows": list(enumerate(result.rows, start=1))}
    return render(request, "versions.html", context)


@pages.get("/versions/diff", response_model=None)
def diff_page(
    request: Request, visitor: BrowserDep, a: OptionalKey = None, b: OptionalKey = None
) -> Response:
    if not a or not b:  # the compare form sent without a choice
        return RedirectResponse("/versions", status_code=303)
    diff = _diff(web_state(request), a, b, LISTED)
    api_url = "/api/versions/diff?" + urlencode({"a": a, "b": b})
    context = {"visitor": visitor, "d": diff, "listed": LISTED, "api_url": api_url}
    return render(request, "versions_diff.html", context)
