"""What every route reaches: the app's project, catalog, signer and templates; page rendering."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ..catalog import BlobStore, Catalog, Project
from ..catalog.aggregates import counts_generation
from ..hierarchy import Taxonomy
from .config import WebConfig
from .security import Signer

__all__ = ["HERE", "Memo", "PageError", "WebState", "WorkerLocks", "render", "web_state"]

HERE = Path(__file__).resolve().parent
T = TypeVar("T")


class WorkerLocks:
    """One lock per worker id, made on first use, so one account's requests take turns.

    ``verify.tasks.next_task`` looks for the worker's open task and makes one
    if there is none; two pages opened at once (two tabs, a double click) would
    both find none and hand the worker two batches of the same images. The
    locks serialise that per worker within this server process.
    """

    def __init__(self) -> None:
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()

    def __call__(self, worker_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(worker_id, threading.Lock())


class Memo:
    """Results computed from the maintained counts, kept while the counts stay the same.

    Each result is stored under its key with the counts' generation it was
    computed at (``catalog.aggregates.counts_generation``); a later
    generation computes it again. At most ``size`` keys are kept.
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._kept: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        self._guard = threading.Lock()

    def get(self, key: Hashable, generation: int, compute: Callable[[], T]) -> T:
        with self._guard:
            found = self._kept.get(key)
            if found is not None and found[0] == generation:
                self._kept.move_to_end(key)
                return cast(T, found[1])
        value = compute()  # outside the lock: two requests may both compute, never block
        with self._guard:
            self._kept[key] = (generation, value)
            self._kept.move_to_end(key)
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return value


@dataclass(frozen=True)
class WebState:
    """Opened once per app: the project's catalog, blobs and taxonomy serve every request."""

    project: Project
    config: WebConfig
    signer: Signer
    templates: Jinja2Templates
    batch_locks: WorkerLocks = field(default_factory=WorkerLocks)
    memo: Memo = field(default_factory=Memo)

    @property
    def catalog(self) -> Catalog:
        return self.project.catalog

    @property
    def blobs(self) -> BlobStore:
        return self.project.blobs

    @property
    def taxonomy(self) -> Taxonomy:
        return self.project.taxonomy

    def kept(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, kept until the catalog's counts change (one query to know that)."""
        with self.catalog.engine.connect() as conn:
            generation = counts_generation(conn)
        return self.memo.get(key, generation, compute)

    def secure_cookies(self, request: Request) -> bool:
        """The Secure-cookie rule for the address this request reached the server on."""
        server = request.scope.get("server")
        return self.config.secure_for(str(server[0]) if server else None)


class PageError(Exception):
    """Shown to the visitor as an error page with this status and message (never a traceback)."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


def web_state(request: Request) -> WebState:
    return cast(WebState, request.app.state.web)


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """A page from ``templates/``; ``context`` may hold ``visitor`` for the header.

    ``browsing`` (whether the header links the explorer) is added unless given.
    """
    state = web_state(request)
    context = dict(context or {})
    visitor = context.get("visitor")
    may_browse = visitor is not None and visitor.worker.may_browse
    context.setdefault("browsing", state.config.anonymous_browse or may_browse)
    return state.templates.TemplateResponse(request, template, context, status_code=status)
