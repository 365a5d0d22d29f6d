"""Sign-in, sign-out and who is asking: session cookies, CSRF checks, role checks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from ..verify.accounts import Worker, authenticate, get_worker
from .security import Session
from .state import PageError, WebState, render, web_state

__all__ = [
    "AdminVisitor",
    "CheckedForm",
    "SignInRequired",
    "Visitor",
    "VisitorDep",
    "current_visitor",
    "forget_session",
    "redirect",
    "router",
]

log = logging.getLogger(__name__)

SESSION_COOKIE = "synsetdb_session"
LOGIN_COOKIE = "synsetdb_login"
_MAX_NAME, _MAX_PASSWORD = 128, 1024
_FAILED = "Wrong name or password."  # the same for an unknown name: names do not leak

router = APIRouter()


@dataclass(frozen=True, slots=True)
class Visitor:
    """A signed-in, active account and the form token of its session."""

    worker: Worker
    session: Session
    csrf: str


class SignInRequired(Exception):
    """No valid session: a page view is sent to /login, anything else gets 401."""

    def __init__(self, redirect: bool) -> None:
        super().__init__("sign in first")
        self.redirect = redirect


def current_visitor(request: Request) -> Visitor | None:
    """The visitor of a valid session cookie whose account is still active, else None."""
    state = web_state(request)
    session = state.signer.read(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return None
    worker = get_worker(state.catalog, session.worker_id)
    if worker is None or not worker.is_active or not worker.can_sign_in:
        return None
    return Visitor(worker, session, state.signer.csrf_token(session))


def _visitor(request: Request) -> Visitor:
    visitor = current_visitor(request)
    if visitor is None:
        raise SignInRequired(redirect=request.method == "GET")
    return visitor


def _admin(visitor: Annotated[Visitor, Depends(_visitor)]) -> Visitor:
    if not visitor.worker.is_admin:
        raise PageError(403, "This page is for admins.", code="E_FORBIDDEN")
    return visitor


async def _checked_form(
    request: Request, visitor: Annotated[Visitor, Depends(_visitor)]
) -> dict[str, list[Any]]:
    """The POSTed form, once its CSRF token is checked against the session (403 if not)."""
    form = await request.form()
    if not web_state(request).signer.check_csrf(visitor.session, form.get("csrf")):
        raise PageError(403, "This form has expired; reload the page and try again.", "E_CSRF")
    return {key: form.getlist(key) for key in form}


VisitorDep = Annotated[Visitor, Depends(_visitor)]
AdminVisitor = Annotated[Visitor, Depends(_admin)]
CheckedForm = Annotated[dict[str, list[Any]], Depends(_checked_form)]


def redirect(url: str) -> RedirectResponse:
    """A 303: after a POST the browser GETs ``url`` (so a reload never re-POSTs)."""
    return RedirectResponse(url, status_code=303)


def _set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int, path: str = "/"
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite="lax",
        secure=web_state(request).secure_cookies(request),
    )


def forget_session(response: Response, request: Request) -> None:
    """Remove the session cookie from the browser."""
    secure = web_state(request).secure_cookies(request)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax")


# ----------------------------------------------------------------------------- routes


@router.get("/")
def home(request: Request) -> RedirectResponse:
    """The explorer for those who may browse, labelling for other accounts, else sign-in."""
    visitor = current_visitor(request)
    if web_state(request).config.anonymous_browse or (visitor and visitor.worker.may_browse):
        return redirect("/explore")
    return redirect("/label" if visitor else "/login")


@router.get("/login", response_model=None)
def login_form(request: Request) -> Response:
    if current_visitor(request) is not None:
        return redirect("/label")
    return _login_page(request, web_state(request))


def _login_page(
    request: Request, state: WebState, *, error: str | None = None, name: str = ""
) -> Response:
    """The sign-in form, with a signed double-submit token (reused while it is valid)."""
    cookie = request.cookies.get(LOGIN_COOKIE)
    token = cookie if cookie and state.signer.check_login(cookie, cookie) else None
    token = token or state.signer.login_token()
    status = 401 if error else 200
    response = render(request, "login.html", {"csrf": token, "error": error, "name": name}, status)
    _set_cookie(response, request, LOGIN_COOKIE, token, max_age=3600, path="/login")
    return response


@router.post("/login", response_model=None)
async def login(request: Request) -> Response:
    state = web_state(request)
    form = await request.form()
    if not state.signer.check_login(request.cookies.get(LOGIN_COOKIE), form.get("csrf")):
        raise PageError(403, "The sign-in form expired; reload it and try again.", "E_CSRF")
    name, password = form.get("name"), form.get("password")
    worker = None
    if isinstance(name, str) and isinstance(password, str):
        name = name.strip()
        if 0 < len(name) <= _MAX_NAME and len(password) <= _MAX_PASSWORD:
            worker = await run_in_threadpool(authenticate, state.catalog, name, password)
    if worker is None:
        shown = name[:_MAX_NAME] if isinstance(name, str) else ""
        log.warning("failed sign-in as %r from %s", shown, request.client and request.client.host)
        return _login_page(request, state, error=_FAILED, name=shown)
    log.info("%s signed in", worker.name)
    response = redirect("/label")
    max_age = int(state.config.session_hours * 3600)
    _set_cookie(response, request, SESSION_COOKIE, state.signer.issue(worker.id), max_age)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, visitor: VisitorDep, _form: CheckedForm) -> RedirectResponse:
    web_state(request).signer.sign_out(visitor.session)
    response = redirect("/login")
    forget_session(response, request)
    return response
