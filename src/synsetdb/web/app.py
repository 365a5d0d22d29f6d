"""The FastAPI app: one per project, its routes, error pages and security headers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from .._version import __version__
from ..catalog import Project
from ..errors import ConfigError, NotFoundError, SynsetdbError
from . import (
    admin,
    apidocs,
    audit,
    auth,
    clusters,
    duplicates,
    images,
    label,
    media,
    releases,
    stats,
    synsets,
    tree,
    versions,
)
from .access import is_api
from .config import WebConfig
from .display import FILTERS
from .security import Signer, load_secret
from .state import HERE, PageError, WebState, render

__all__ = ["EXPLORER", "create_app"]

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# A request body larger than this is refused with 413 before it is parsed: the
# app's forms (sign-in, a batch of 48 answers, admin actions) are a few kB, and
# form parsing holds a whole urlencoded body in memory.
MAX_BODY_BYTES = 64 * 1024
# The explorer's modules: each has ``pages`` and ``api`` (served under /api/) routers.
EXPLORER = (tree, synsets, images, stats, duplicates, clusters, releases, audit, versions)
# Library errors that mean "no such thing" (a 404), whatever their class.
NOT_FOUND_CODES = frozenset({"E_UNKNOWN_SYNSET", "E_NO_RELEASE", "E_NOT_FOUND"})
BAD_INPUT_CODES = frozenset({"E_QUERY", "E_OPTIONS", "E_RELEASE_NAME"})

# Everything the pages use is served by the app itself: no other origin, no inline script.
_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self'; object-src 'none'; "
        b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


def create_app(project: Project, config: WebConfig | None = None) -> FastAPI:
    """The labelling app over ``project``'s catalog and blob store.

    The catalog is opened here, once (its schema checked); every request
    takes its own connection from its pool. The caller keeps the project and
    closes it.

    Example:
        >>> app = create_app(Project.open("my-project"))  # doctest: +SKIP
        >>> uvicorn.run(app)  # or synsetdb.web.serve(project)  # doctest: +SKIP

    Raises:
        ConfigError: ``E_WEB_SECRET`` when the project's session secret cannot be read or made.
        SchemaVersionError: the catalog needs ``synsetdb migrate``.
    """
    config = config or WebConfig()
    project.catalog.check_schema()
    project.check_taxonomy()  # the counts follow the catalog's hierarchy: it must be current
    project.taxonomy.suggest("entity", 1)  # build the search index now, not on a first request
    state = WebState(
        project=project,
        config=config,
        signer=Signer(load_secret(project.root), lifetime=config.session_hours * 3600),
        templates=_templates(),
    )
    # The schema is served by apidocs (/api/openapi.json, /api/docs), behind the
    # browsing right as the API is; Swagger UI and ReDoc load scripts from a CDN.
    app = FastAPI(
        title="synsetdb explorer API",
        version=__version__,
        description="The data behind every page of the explorer, as JSON.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.web = state
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (auth, label, admin, media, apidocs):
        app.include_router(module.router, include_in_schema=False)
    for module in EXPLORER:
        app.include_router(module.pages, include_in_schema=False)
        app.include_router(module.api, prefix="/api")
    _add_error_pages(app)
    app.add_middleware(_BodyLimit, limit=MAX_BODY_BYTES)
    app.add_middleware(_SecurityHeaders)
    return app


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters.update(FILTERS)
    return templates


def _add_error_pages(app: FastAPI) -> None:
    """Every error becomes a short page with its status: never a traceback."""

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return _error_page(request, exc.status, exc.message, exc.code)

    async def sign_in(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, auth.SignInRequired)
        response: Response
        if is_api(request):
            response = _error_page(request, 401, "Sign in first.", "E_SIGN_IN")
        elif exc.redirect:
            response = RedirectResponse("/login", status_code=303)
        else:
            response = _error_page(
                request, 401, "Your session has ended; sign in again.", "E_SIGN_IN"
            )
        auth.forget_session(response, request)
        return response

    async def http_error(request: Request, exc: Exception) -> Response:
        status = int(getattr(exc, "status_code", 500))
        response = _error_page(request, status, HTTPStatus(status).phrase)
        response.headers.update(getattr(exc, "headers", None) or {})  # a 405's Allow
        return response

    async def bad_request(request: Request, exc: Exception) -> Response:
        return _error_page(request, 400, "Bad request.", "E_BAD_REQUEST")

    async def refused(request: Request, exc: Exception) -> Response:
        """A SynsetdbError a route let through, as a page with its code (see ``_status_of``)."""
        assert isinstance(exc, SynsetdbError)
        status = _status_of(exc)
        if status >= 500:
            log.error("%s %s: %s [%s]", request.method, request.url.path, exc, exc.code)
        return _error_page(request, status, str(exc), exc.code)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("error serving %s %s", request.method, request.url.path, exc_info=exc)
        response = _error_page(request, 500, "Something went wrong on the server.")
        # Starlette's ServerErrorMiddleware sends this page itself, outside _SecurityHeaders.
        for name, value in (*_HEADERS, (b"cache-control", b"no-store")):
            response.headers[name.decode()] = value.decode()
        return response

    app.add_exception_handler(PageError, page_error)
    app.add_exception_handler(auth.SignInRequired, sign_in)
    app.add_exception_handler(RequestValidationError, bad_request)
    app.add_exception_handler(SynsetdbError, refused)
    for status in HTTPStatus:  # Starlette's own 404, 405, …, raised before any route runs
        if 400 <= status < 500:
            app.add_exception_handler(int(status), http_error)
    app.add_exception_handler(Exception, server_error)


def _status_of(exc: SynsetdbError) -> int:
    """404 for what does not exist, 400 for input the library refused, 503 for an
    unreachable catalog, 500 for anything else (a damaged blob, a missing extra)."""
    if isinstance(exc, NotFoundError) or exc.code in NOT_FOUND_CODES:
        return 404
    if isinstance(exc, ConfigError) or exc.code in BAD_INPUT_CODES:
        return 400
    return 503 if exc.code == "E_CATALOG_CONNECT" else 500


def _error_page(request: Request, status: int, message: str, code: str | None = None) -> Response:
    """The error as a page, or as JSON for the API: ``{"error": {status, code, message}}``."""
    if is_api(request):
        body = {"error": {"status": status, "code": code, "message": message}}
        return JSONResponse(body, status_code=status)
    context = {"status": status, "message": message, "code": code}
    return render(request, "error.html", context, status)


class _SecurityHeaders:
    """Adds the headers above to every response, and ``no-store`` to pages (they hold tokens)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in _HEADERS if name not in names]
                if b"cache-control" not in names:  # static files revalidate by ETag
                    static = str(scope.get("path", "")).startswith("/static/")
                    headers.append((b"cache-control", b"no-cache" if static else b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _BodyLimit:
    """Refuses (413, ``E_BODY_TOO_LARGE``) a body over ``limit`` bytes, declared or streamed.

    The check runs where the body is read, inside the route, so the refusal
    is the app's own error page, and a route that reads no body pays nothing.
    """

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"0")
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if not declared.isdigit() or int(declared) > self.limit:
                raise self._too_large()
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise self._too_large()
            return message

        await self.app(scope, limited_receive, send)

    def _too_large(self) -> PageError:
        return PageError(
            413, f"The request is larger than {self.limit:,} bytes.", "E_BODY_TOO_LARGE"
        )
