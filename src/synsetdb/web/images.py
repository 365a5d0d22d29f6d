"""An image's page (the picture, its boxes, labels, votes, provenance, releases, near-duplicates)
and the catalog-wide grids of one source or licence."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ..audit.store import findings_for_image
from ..catalog.browse import MAX_PAGE, FacetPage, facet_page
from ..catalog.duplicates import stored_groups_info
from ..catalog.image_info import ImageInfo, image_info
from ..release.store import BLURRED_RENDITION
from ..verify.report import candidate_confidences
from .access import BrowserDep
from .media import BROWSER_FORMATS, is_image_id
from .releases_common import ReleaseParam, check_release
from .state import PageError, WebState, render, web_state

__all__ = ["ImageDetail", "api", "pages"]

pages = APIRouter()
FINDINGS_SHOWN = 20  # audit findings listed on an image's page
api = APIRouter(tags=["images"])


@dataclass(frozen=True, slots=True)
class ImageDetail:
    """The image page's data: the catalog's record and each candidate's P(good)."""

    image: ImageInfo
    confidence: dict[int, float]  # candidate id -> P(good), for candidates with votes


def detail(request: Request, image_id: str) -> ImageDetail:
    state = web_state(request)
    info = image_info(state.catalog, image_id) if is_image_id(image_id) else None
    if info is None:
        raise PageError(404, "No such image.", "E_NOT_FOUND")
    confidence: dict[int, float] = {}
    for wnid in sorted({c.wnid for c in info.candidates if c.votes}):
        # the synset's table is fitted to all its votes: once per change of the counts
        table = state.kept(("confidence", wnid), _confidences(state, wnid))
        confidence.update(table.get(image_id, {}))
    return ImageDetail(info, confidence)


def _confidences(state: WebState, wnid: str) -> Callable[[], dict[str, dict[int, float]]]:
    """image id -> candidate id -> P(good), for the synset's voted candidates."""

    def compute() -> dict[str, dict[int, float]]:
        found: dict[str, dict[int, float]] = {}
        for row in candidate_confidences(state.catalog, wnid):
            found.setdefault(row["image_id"], {})[int(row["candidate_id"])] = row["confidence"]
        return found

    return compute


@api.get("/images/{image_id}", summary="An image: size, labels and votes, provenance, boxes")
def image_api(request: Request, image_id: str, _visitor: BrowserDep) -> ImageDetail:
    return detail(request, image_id)


def safe_link(url: str | None) -> str | None:
    """``url`` if it is an http(s) address to link to; None for anything else (javascript:…)."""
    if not url:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


@pages.get("/image/{image_id}")
def image_page(
    request: Request, image_id: str, visitor: BrowserDep, release: ReleaseParam = None
) -> HTMLResponse:
    state = web_state(request)
    check_release(state, release)
    found = detail(request, image_id)
    info = found.image
    names = {
        c.wnid: state.taxonomy.get(c.wnid).name for c in info.candidates if c.wnid in state.taxonomy
    }
    with state.catalog.engine.connect() as conn:
        groups = stored_groups_info(conn)
    context = {
        "visitor": visitor,
        "info": info,
        "confidence": found.confidence,
        "names": names,
        "shown": info.format in BROWSER_FORMATS,  # others: the thumbnail only
        "blurred": BLURRED_RENDITION in info.renditions,
        "groups": groups,
        "release": release,
        "safe_link": safe_link,
        "findings": findings_for_image(state.catalog, image_id, limit=FINDINGS_SHOWN),
    }
    return render(request, "image.html", context)


# ----------------------------------------------------------------------------- facet grids

Facet = Literal["source", "licence"]
Value = Annotated[str, Query(max_length=512, description="the source or licence ('' for none)")]
After = Annotated[str, Query(max_length=64, pattern="^[0-9a-f]*$", description="the last id seen")]


@api.get("/images", summary="The catalog's images from one source or under one licence, by id")
def facet_api(
    request: Request,
    _visitor: BrowserDep,
    facet: Facet,
    value: Value,
    after: After = "",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 60,
) -> FacetPage:
    return facet_page(web_state(request).catalog, facet, value, after=after, limit=limit)


@pages.get("/images")
def facet_grid_page(
    request: Request,
    visitor: BrowserDep,
    facet: Facet,
    value: Value,
    after: After = "",
) -> HTMLResponse:
    page = facet_page(web_state(request).catalog, facet, value, after=after)
    next_url = None
    if page.after is not None:
        next_url = "/images?" + urlencode({"facet": facet, "value": value, "after": page.after})
    context = {
        "visitor": visitor,
        "facet": facet,
        "value": value,
        "page": page,
        "next_url": next_url,
        "api_url": "/api/images?" + urlencode({"facet": facet, "value": value}),
        "first": not after,
    }
    return render(request, "images.html", context)
