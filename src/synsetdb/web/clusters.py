"""A synset's visual modes: k-means of its images on a chosen embedder, computed on request, kept.

The 2009 paper showed a synset's images falling into a few visual groups
(tuskers from the side and from the front). Computing takes seconds, so it
runs when a signed-in visitor asks (a form, with its CSRF token) and the
result is kept under ``.cache/clusters/`` in the project, named by the
images it saw: new images make a new result, never a stale one.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from ..catalog.browse import image_keys
from ..errors import EvaluationError, SynsetdbError
from ..evaluate._files import write_atomically
from ..evaluate.baselines.cluster import cluster_images
from ..evaluate.baselines.data import decode_small
from ..evaluate.features import embedder_named
from ..release.store import check_release_name
from .access import BrowserDep, browser
from .auth import CheckedForm
from .releases_common import ReleaseParam
from .state import PageError, WebState, render, web_state

__all__ = ["ClusterView", "api", "pages"]

log = logging.getLogger(__name__)

pages = APIRouter()
api = APIRouter(tags=["clusters"])

EMBEDDERS = {"tiny": "tiny images (32×32)", "hist": "colour histograms", "hog": "HOG (shape)"}
MAX_IMAGES = 600  # a larger synset is clustered on its first 600 images by id (a fixed sample)
K = Annotated[int, Query(ge=2, le=12)]
EmbedderName = Annotated[str, Query(pattern="^(tiny|hist|hog)$")]


@dataclass(frozen=True, slots=True)
class Settings:
    """What to cluster and how: the number of clusters, the embedder, a release's items or not."""

    k: int = 4
    embedder: str = "tiny"
    release: str | None = None


def settings(k: K = 4, embedder: EmbedderName = "tiny", release: ReleaseParam = None) -> Settings:
    return Settings(k, embedder, release)


SettingsDep = Annotated[Settings, Depends(settings)]


@dataclass(frozen=True, slots=True)
class ClusterMembers:
    index: int
    size: int
    members: list[str]  # image ids, nearest the centre first
    distances: list[float]


@dataclass(frozen=True, slots=True)
class ClusterView:
    """A computed clustering: on what, how many images, and the clusters, largest first."""

    wnid: str
    release: str | None
    embedder: str
    k: int
    images: int
    sampled: bool  # the synset had more than MAX_IMAGES images
    skipped: int  # images that could not be read or decoded
    clusters: list[ClusterMembers]


def _cache_path(state: WebState, wnid: str, chosen: Settings, ids: list[str]) -> Path:
    digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:20]
    name = f"{wnid}-{chosen.release or 'catalog'}-{chosen.embedder}-k{chosen.k}-{digest}.json"
    return state.project.root / ".cache" / "clusters" / name


def _keys(state: WebState, wnid: str, release: str | None) -> list[tuple[str, str]]:
    state.taxonomy.get(wnid)
    return image_keys(state.catalog, wnid, release=release, limit=MAX_IMAGES + 1)


def cached(state: WebState, wnid: str, chosen: Settings) -> ClusterView | None:
    keys = _keys(state, wnid, chosen.release)[:MAX_IMAGES]
    path = _cache_path(state, wnid, chosen, [i for i, _ in keys])
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        data["clusters"] = [ClusterMembers(**c) for c in data["clusters"]]
        return ClusterView(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError):
        log.warning("ignoring the damaged cluster cache %s", path)
        return None


def compute(state: WebState, wnid: str, chosen: Settings) -> ClusterView:
    """Cluster the synset's images (read verified, decoded small) and keep the result."""
    keys = _keys(state, wnid, chosen.release)
    sampled = len(keys) > MAX_IMAGES
    keys = keys[:MAX_IMAGES]
    names, images = [], []
    for image_id, key in keys:
        try:
            images.append(decode_small(state.blobs.get(key, verify=True)))
            names.append(image_id)
        except SynsetdbError as exc:  # a missing or damaged file: leave it out, say how many
            log.warning("clusters of %s: image %s left out: %s", wnid, image_id, exc)
    found = cluster_images(wnid, names, images, chosen.k, embedder_named(chosen.embedder))
    view = ClusterView(
        wnid=wnid,
        release=chosen.release,
        embedder=chosen.embedder,
        k=chosen.k,
        images=len(images),
        sampled=sampled,
        skipped=len(keys) - len(images),
        clusters=[
            ClusterMembers(
                c.index, len(c.members), list(c.members), [round(d, 4) for d in c.distances]
            )
            for c in found.clusters
        ],
    )
    _keep(_cache_path(state, wnid, chosen, [i for i, _ in keys]), asdict(view))
    return view


def _keep(path: Path, data: dict[str, Any]) -> None:
    """Keep the result (written whole); a project that cannot be written still shows it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, lambda out: out.write(json.dumps(data).encode()))
    except (OSError, EvaluationError) as exc:
        log.warning("cannot keep the clusters in %s: %s", path.parent, exc)


@api.get("/synsets/{wnid}/clusters", summary="A synset's k-means clusters, if computed")
def clusters_api(
    request: Request, wnid: str, _visitor: BrowserDep, chosen: SettingsDep
) -> ClusterView:
    found = cached(web_state(request), wnid, chosen)
    if found is None:
        raise PageError(
            404,
            "Not computed yet: open the synset's clusters page to compute them.",
            "E_NOT_COMPUTED",
        )
    return found


@pages.get("/synset/{wnid}/clusters")
def clusters_page(
    request: Request, wnid: str, visitor: BrowserDep, chosen: SettingsDep
) -> HTMLResponse:
    state = web_state(request)
    context = {
        "visitor": visitor,
        "name": state.taxonomy.get(wnid).name,
        "wnid": wnid,
        "k": chosen.k,
        "embedder": chosen.embedder,
        "embedders": EMBEDDERS,
        "release": chosen.release,
        "view": cached(state, wnid, chosen),
        "max_images": MAX_IMAGES,
    }
    return render(request, "clusters.html", context)


@pages.post("/synset/{wnid}/clusters")
async def compute_clusters(request: Request, wnid: str, form: CheckedForm) -> RedirectResponse:
    """Compute (a signed-in visitor who may browse; the form's CSRF token checked)."""
    browser(request)
    chosen = _form_values(form)
    await run_in_threadpool(compute, web_state(request), wnid, chosen)
    query = f"?k={chosen.k}&embedder={chosen.embedder}"
    query += f"&release={chosen.release}" if chosen.release else ""
    return RedirectResponse(f"/synset/{wnid}/clusters{query}", status_code=303)


def _form_values(form: dict[str, list[Any]]) -> Settings:
    """k, embedder and release from the form, checked as the query parameters are."""
    k, embedder, release = (form.get(name, [""])[0] for name in ("k", "embedder", "release"))
    if not (isinstance(k, str) and k.isdigit() and 2 <= int(k) <= 12):
        raise PageError(400, "k must be a whole number from 2 to 12.", "E_OPTIONS")
    if embedder not in EMBEDDERS:
        raise PageError(400, f"Choose an embedder: {', '.join(EMBEDDERS)}.", "E_OPTIONS")
    if not isinstance(release, str):
        raise PageError(400, "Bad release name.", "E_OPTIONS")
    return Settings(int(k), embedder, check_release_name(release) if release else None)
