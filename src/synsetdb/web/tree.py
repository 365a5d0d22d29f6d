"""The tree page: the hierarchy with its counts, opened node by node, and the synset search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..audit.store import finding_counts_by_synset
from ..catalog.browse import synset_counts
from ..hierarchy.taxonomy import as_wnid
from .access import BrowserDep
from .display import lemma
from .nodes import TreeNode, children_of, roots_of
from .releases_common import ReleaseParam, release_names
from .state import WebState, render, web_state

__all__ = ["SearchHit", "TreeLevel", "api", "pages"]

pages = APIRouter()
api = APIRouter(tags=["tree"])

SEARCH_LIMIT = 20
OPENED_LEVELS = 12  # the tree page opens a chain of only children this deep at most
Text = Annotated[str, Query(max_length=200)]
Wnid = Annotated[str | None, Query(max_length=32, description="the node to open (none: the roots)")]
Empty = Annotated[bool, Query(description="list synsets without images too")]


@dataclass(frozen=True, slots=True)
class TreeLevel:
    """A node's children (or the roots), each with its counts."""

    parent: str | None
    release: str | None
    nodes: list[TreeNode]
    findings: dict[str, int]  # wnid -> open audit findings about it, for the nodes with any


@dataclass(frozen=True, slots=True)
class SearchHit:
    wnid: str
    name: str
    lemmas: list[str]
    gloss: str
    images: int


def _level(request: Request, wnid: str | None, release: str | None, empty: bool) -> TreeLevel:
    state = web_state(request)
    if wnid is None:
        nodes = roots_of(state, release=release, empty=empty)
    else:
        state.taxonomy.get(wnid)  # an unknown id: E_UNKNOWN_SYNSET, with suggestions
        nodes = children_of(state, wnid, release=release, empty=empty)
    return TreeLevel(wnid, release, nodes, open_findings(state, [n.wnid for n in nodes]))


def open_findings(state: WebState, wnids: list[str]) -> dict[str, int]:
    """Open audit findings about each of these synsets (those with none left out); one query."""
    ids = state.catalog.synset_ids()
    by_id = {ids[w]: w for w in wnids if w in ids}
    counts = finding_counts_by_synset(state.catalog, list(by_id)) if by_id else {}
    return {by_id[sid]: n for sid, n in counts.items() if n}


@api.get("/tree", summary="A node's children with their counts (the roots without wnid)")
def tree_level(
    request: Request,
    _visitor: BrowserDep,
    wnid: Wnid = None,
    release: ReleaseParam = None,
    empty: Empty = False,
) -> TreeLevel:
    return _level(request, wnid, release, empty)


def search_hits(request: Request, q: str, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
    """The taxonomy's ranked search; a wnid (as people type it: ``02084071``) finds its synset."""
    state = web_state(request)
    text = q.strip()
    found = [state.taxonomy.get(w) for w in state.taxonomy.suggest(text, n=limit)] if text else []
    counts = synset_counts(state.catalog, [s.wnid for s in found])
    return [
        SearchHit(s.wnid, s.name, [lemma(x) for x in s.lemmas], s.gloss, counts[s.wnid].images)
        for s in found
    ]


@api.get("/search", summary="Synsets matching a lemma, gloss words or a wnid, best first")
def search(
    request: Request,
    _visitor: BrowserDep,
    q: Text,
    limit: Annotated[int, Query(ge=1, le=100)] = SEARCH_LIMIT,
) -> list[SearchHit]:
    return search_hits(request, q, limit)


@pages.get("/explore")
def tree_page(
    request: Request, visitor: BrowserDep, release: ReleaseParam = None, empty: Empty = False
) -> HTMLResponse:
    """The roots; a single root (WordNet's entity) opened down to where the tree branches."""
    state = web_state(request)
    roots = roots_of(state, release=release, empty=empty)
    opened: dict[str, list[TreeNode]] = {}
    level = roots
    while len(level) == 1 and level[0].has_children and len(opened) < OPENED_LEVELS:
        parent = level[0].wnid
        level = opened[parent] = children_of(state, parent, release=release, empty=empty)
    shown = [n.wnid for n in roots] + [n.wnid for nodes in opened.values() for n in nodes]
    context = {
        "visitor": visitor,
        "roots": roots,
        "opened": opened,
        "release": release,
        "releases": release_names(state),
        "empty": empty,
        "badges": open_findings(state, shown),
    }
    return render(request, "tree.html", context)


@pages.get("/search", response_model=None)
def search_page(request: Request, visitor: BrowserDep, q: Text = "") -> Response:
    """Search without JavaScript: the hits as a page; a known wnid goes straight to its synset."""
    hits = search_hits(request, q)
    if len(hits) == 1 or (hits and hits[0].wnid == as_wnid(q)):
        return RedirectResponse(f"/synset/{hits[0].wnid}", status_code=303)
    return render(request, "search.html", {"visitor": visitor, "q": q, "hits": hits})
