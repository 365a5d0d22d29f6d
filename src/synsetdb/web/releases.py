"""The releases: their list, one release's page (counts, spec, datasheet), diffs between them."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from ..release.browse import (
    DiffSummary,
    ReleaseSummary,
    cached_diff,
    release_file,
    release_summary,
)
from ..release.store import ReleaseInfo, list_releases
from .access import BrowserDep
from .state import PageError, render, web_state

__all__ = ["api", "pages"]

pages = APIRouter()
api = APIRouter(tags=["releases"])

Name = Annotated[str, Path(max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
OtherName = Annotated[str, Query(max_length=128, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
LISTED = 200  # items of each kind a diff page lists; the counts cover all
_BODY = re.compile(r"<body>(.*)</body>", re.DOTALL)
_FIGURE = re.compile(r'<img src="(datasheet-[a-z-]+\.png)"')


@api.get("/releases", summary="Every release: name, manifest hash, parent, size")
def releases_api(request: Request, _visitor: BrowserDep) -> list[ReleaseInfo]:
    return list_releases(web_state(request).project)


@api.get("/releases/{name}", summary="One release: counts per split, spec, build report")
def release_api(request: Request, name: Name, _visitor: BrowserDep) -> ReleaseSummary:
    return release_summary(web_state(request).project, name)


async def _diff(request: Request, a: str, b: str) -> DiffSummary:
    # The first diff of two releases reads both manifests (seconds at ImageNet's
    # size): off the event loop.
    return await run_in_threadpool(cached_diff, web_state(request).project, a, b)


@api.get(
    "/releases/{name}/diff/{other}",
    summary="What changed from one release to another: counts, the first 1,000 of each kind",
)
async def diff_api(request: Request, name: Name, other: Name, _visitor: BrowserDep) -> DiffSummary:
    return await _diff(request, name, other)


@pages.get("/releases")
def releases_page(request: Request, visitor: BrowserDep) -> HTMLResponse:
    infos = list_releases(web_state(request).project)
    return render(request, "releases.html", {"visitor": visitor, "releases": infos})


@pages.get("/releases/{name}")
def release_page(request: Request, name: Name, visitor: BrowserDep) -> HTMLResponse:
    project = web_state(request).project
    summary = release_summary(project, name)
    others = [i.name for i in list_releases(project) if i.name != name]
    context = {
        "visitor": visitor,
        "summary": summary,
        "info": summary.info,
        "others": others,
        "datasheet": _datasheet(_datasheet_text(request, name)),
        "release": name,
    }
    return render(request, "release.html", context)


def _datasheet_text(request: Request, name: str) -> str | None:
    """The release's datasheet.html as text, figures pointing at the app's file route."""
    found = release_file(web_state(request).project, name, "datasheet.html")
    if found is None:
        return None
    text = found[0].read_text(encoding="utf-8", errors="replace")
    return _FIGURE.sub(rf'<img src="/releases/{name}/files/\1"', text)


def _datasheet(text: str | None) -> str | None:
    """The body of the datasheet page (written by synsetdb, every user string escaped)."""
    if text is None:
        return None
    body = _BODY.search(text)
    return body.group(1) if body else None


@pages.get("/releases/{name}/diff")
def diff_form(name: Name, other: OtherName, _visitor: BrowserDep) -> RedirectResponse:
    """The "compare with" form's target (without JavaScript): on to the diff's own address."""
    return RedirectResponse(f"/releases/{other}/diff/{name}", status_code=303)


@pages.get("/releases/{name}/diff/{other}")
async def diff_page(request: Request, name: Name, other: Name, visitor: BrowserDep) -> HTMLResponse:
    diff = await _diff(request, name, other)
    context = {"visitor": visitor, "d": diff, "listed": LISTED, "release": name}
    return render(request, "diff.html", context)


@pages.get("/releases/{name}/files/{file}")
def release_file_page(
    request: Request, name: Name, file: str, _visitor: BrowserDep
) -> FileResponse:
    """The datasheet and its figures, the class list, the manifest, the build report."""
    found = release_file(web_state(request).project, name, file)
    if found is None:
        raise PageError(404, "No such file in this release.", "E_NOT_FOUND")
    path, media_type = found
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "no-cache"})
