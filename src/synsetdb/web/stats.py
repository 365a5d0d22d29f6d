"""The statistics page: class sizes, long tail, depth, sources, licences, progress, accept rates.

Everything comes from the maintained counts (``catalog.tallies``): three
queries however many images the catalog holds. Each bar links to the
synsets or images behind it, as Know Your Data does.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from ..catalog.aggregates import ALL_SPLITS, LIVE
from ..catalog.browse import synset_counts
from ..catalog.tallies import ClassCount, Tallies, tallies
from .access import BrowserDep
from .charts import bar_chart, hbar_chart, line_chart
from .releases_common import ReleaseParam, release_names
from .state import WebState, render, web_state

__all__ = ["Bin", "Stats", "api", "pages"]

pages = APIRouter()
api = APIRouter(tags=["statistics"])

# Class-size bins: [lo, hi] images of a synset's own.
SIZE_EDGES = (1, 2, 6, 11, 51, 101, 501, 1001, 5001)
FACET_BARS = 12  # sources and licences drawn; the rest are summed as "others"
TAIL_POINTS = 300  # the long-tail curve is drawn through this many ranks at most
Scope = Annotated[str | None, Query(max_length=32, description="only this synset's subtree")]


@dataclass(frozen=True, slots=True)
class Bin:
    """One bar: its label, its count, and the range of the list it links to."""

    label: str
    count: int
    query: dict[str, str | int | float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Stats:
    """What the page plots, as numbers."""

    release: str | None
    wnid: str | None
    synsets: int  # with images of their own
    images: int  # distinct images (in the scope's root, or the catalog)
    labels: dict[str, int]  # candidates by status or items by split (a subtree: its images)
    class_sizes: list[Bin]
    depths: list[Bin]
    accept_rates: list[Bin]
    sources: list[Bin]
    licences: list[Bin]
    formats: list[Bin]
    long_tail: list[int]  # class sizes at evenly spaced ranks, largest first
    days: list[str]
    decided: list[int]  # cumulative accepted + rejected + undecided by each day
    votes: list[int]  # cumulative
    added: list[int]  # cumulative images


def compute(request: Request, release: str | None, wnid: str | None) -> Stats:
    """The page's numbers: computed once per change of the catalog's counts, then kept."""
    state = web_state(request)
    if wnid is not None:
        state.taxonomy.get(wnid)  # an unknown id: E_UNKNOWN_SYNSET, before anything is kept
    return state.kept(("stats", release, wnid), lambda: _compute(state, release, wnid))


def kept_tallies(state: WebState, release: str | None) -> Tallies:
    """The catalog's (or a release's) tallies, read once per change of the counts."""
    return state.kept(("tallies", release), lambda: tallies(state.catalog, release=release))


def _compute(state: WebState, release: str | None, wnid: str | None) -> Stats:
    data = kept_tallies(state, release)
    classes = list(data.classes)
    if wnid is not None:
        under = set(state.taxonomy.descendants(wnid, include_self=True))
        classes = [c for c in classes if c.wnid in under]
    depth = {
        c.wnid: state.taxonomy.depth(c.wnid).shortest for c in classes if c.wnid in state.taxonomy
    }
    sizes = [c.images for c in classes]
    days, decided, votes, added = _progress(data)
    images, labels = _totals(state, data, release, wnid)
    return Stats(
        release=release,
        wnid=wnid,
        synsets=len(classes),
        images=images,
        labels=labels,
        class_sizes=_size_bins(sizes),
        depths=_depth_bins(classes, depth),
        accept_rates=_rate_bins(classes),
        sources=_facet_bins(data, "source"),
        licences=_facet_bins(data, "licence"),
        formats=_facet_bins(data, "format"),
        long_tail=_tail(sizes),
        days=days,
        decided=decided,
        votes=votes,
        added=added,
    )


def _totals(
    state: WebState, data: Tallies, release: str | None, wnid: str | None
) -> tuple[int, dict[str, int]]:
    """Distinct images in the scope, and its labels: candidates by status or items by split.

    The catalog's images come from the format tally (every image, labelled or
    not), a release's or a subtree's from the subtree counts of its root
    (images with two labels under it count once).
    """
    if wnid is None and release is None:
        return sum(data.facets.get("format", {}).values()), dict(data.labels)
    if wnid is None:
        roots = state.taxonomy.roots  # a custom taxonomy's roots may share an image: rare
        return sum(
            c.images for c in synset_counts(state.catalog, roots, release=release).values()
        ), dict(data.labels)
    scope = synset_counts(state.catalog, [wnid], release=release)[wnid]
    return scope.images, {k: n for k, n in scope.subtree.items() if k not in (LIVE, ALL_SPLITS)}


def _size_bins(sizes: list[int]) -> list[Bin]:
    bins = []
    edges = [*SIZE_EDGES, math.inf]
    for lo, hi in itertools.pairwise(edges):
        top = None if hi == math.inf else int(hi) - 1
        label = f"{lo}" if top == lo else (f"{lo}–{top}" if top is not None else f"≥{lo}")
        n = sum(1 for s in sizes if lo <= s and (top is None or s <= top))
        query: dict[str, str | int | float] = {"min_images": lo}
        if top is not None:
            query["max_images"] = top
        bins.append(Bin(label, n, query))
    while bins and bins[-1].count == 0 and len(bins) > 1:
        bins.pop()
    return bins


def _depth_bins(classes: list[ClassCount], depth: dict[str, int]) -> list[Bin]:
    images = Counter[int]()
    for c in classes:
        if c.wnid in depth:
            images[depth[c.wnid]] += c.images
    return [Bin(str(d), images[d], {"depth": d}) for d in sorted(images)]


def _rate_bins(classes: list[ClassCount]) -> list[Bin]:
    rates = [r for r in (c.accept_rate for c in classes) if r is not None]
    bins = []
    for tenth in range(10):
        lo, hi = tenth / 10, (tenth + 1) / 10
        n = sum(1 for r in rates if lo <= r < hi or (tenth == 9 and r == 1.0))
        bins.append(Bin(f"{tenth * 10}–{tenth * 10 + 10}%", n, {"min_rate": lo, "max_rate": hi}))
    return bins if rates else []


def _facet_bins(data: Tallies, facet: str) -> list[Bin]:
    values = list(data.facets.get(facet, {}).items())
    shown = [Bin(v or "unknown", n, {"facet": facet, "value": v}) for v, n in values[:FACET_BARS]]
    rest = sum(n for _, n in values[FACET_BARS:])
    if rest:
        shown.append(Bin(f"{len(values) - FACET_BARS} others", rest))
    return shown


def _tail(sizes: list[int]) -> list[int]:
    if len(sizes) <= TAIL_POINTS:
        return sizes
    step = (len(sizes) - 1) / (TAIL_POINTS - 1)
    return [sizes[round(i * step)] for i in range(TAIL_POINTS)]


def _progress(data: Tallies) -> tuple[list[str], list[int], list[int], list[int]]:
    """Days, and by each day the running totals of decisions, votes and images added."""
    days: list[str] = []
    decided: list[int] = []
    votes: list[int] = []
    added: list[int] = []
    totals = Counter[str]()
    for day, kinds in data.days.items():
        totals.update(kinds)
        days.append(day.isoformat())
        decided.append(totals["accepted"] + totals["rejected"] + totals["undecided"])
        votes.append(totals["votes"])
        added.append(totals["images"])
    return days, decided, votes, added


@api.get("/stats", summary="Class sizes, depth, sources, licences, progress and accept rates")
def stats_api(
    request: Request, _visitor: BrowserDep, release: ReleaseParam = None, wnid: Scope = None
) -> Stats:
    return compute(request, release, wnid)


def _link(query: dict[str, str | int | float], release: str | None) -> str | None:
    if not query:
        return None
    if "facet" in query:
        return "/images?" + urlencode(query)
    return "/synsets?" + urlencode(query | ({"release": release} if release else {}))


def _ranks(stats: Stats) -> list[str]:
    """The rank each point of the long-tail curve stands for ("#1" the largest synset)."""
    points = len(stats.long_tail)
    step = (stats.synsets - 1) / max(1, points - 1)
    return [f"#{1 + round(i * step)}" for i in range(points)]


@pages.get("/stats")
def stats_page(
    request: Request, visitor: BrowserDep, release: ReleaseParam = None, wnid: Scope = None
) -> HTMLResponse:
    stats = compute(request, release, wnid)

    def items(bins: list[Bin]) -> list[tuple[str, float, str | None]]:
        return [(b.label, b.count, _link(b.query, release)) for b in bins]

    charts = {
        "sizes": bar_chart(
            "Synsets by how many images they hold", "synsets", items(stats.class_sizes)
        ),
        "depths": bar_chart("Images by the depth of their synset", "images", items(stats.depths)),
        "rates": bar_chart(
            "Synsets by the share of decided candidates accepted",
            "synsets",
            items(stats.accept_rates),
        ),
        "sources": hbar_chart(
            "Images by where they were first seen", "images", items(stats.sources)
        ),
        "licences": hbar_chart("Images by licence", "images", items(stats.licences)),
        "tail": line_chart(
            "The long tail: class sizes from the largest to the smallest",
            "images",
            _ranks(stats),
            [("images per synset", stats.long_tail)],
        ),
        "progress": line_chart(
            "Verification over time (running totals)",
            "count",
            stats.days,
            [
                ("candidates decided", stats.decided),
                ("votes", stats.votes),
                ("images added", stats.added),
            ],
        ),
    }
    context = {
        "visitor": visitor,
        "stats": stats,
        "charts": charts,
        "release": release,
        "releases": release_names(web_state(request)),
        "scope": web_state(request).taxonomy.get(wnid).name if wnid else None,
    }
    return render(request, "stats.html", context)
