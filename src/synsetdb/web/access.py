"""Who may browse: anonymous visitors when the app allows it, else admins and accounts granted it.

Browsing (the explorer's read-only pages, their JSON and images), labelling
and admin are separate rights. Labelling needs only an account; admin needs
the admin role; browsing needs ``WebConfig.anonymous_browse`` or an account
that may browse (``Worker.may_browse``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .auth import SignInRequired, Visitor, current_visitor
from .state import PageError, web_state

__all__ = ["BrowserDep", "browser", "is_api", "may_browse"]

NOT_GRANTED = (
    "Your account may label but not browse; an admin can allow it (synsetdb worker browse NAME on)."
)


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API (its errors are JSON, it is never redirected)."""
    return request.url.path.startswith("/api/")


def may_browse(request: Request, visitor: Visitor | None) -> bool:
    """Whether this visitor (None: not signed in) may browse."""
    if web_state(request).config.anonymous_browse:
        return True
    return visitor is not None and visitor.worker.may_browse


def browser(request: Request) -> Visitor | None:
    """The visitor of a browsing request (None: anonymous, when allowed).

    Raises:
        SignInRequired: nobody is signed in and anonymous browsing is off
            (a page view is sent to sign in; the API answers 401).
        PageError: 403 ``E_FORBIDDEN`` for an account without the right.
    """
    visitor = current_visitor(request)
    if may_browse(request, visitor):
        return visitor
    if visitor is None:
        raise SignInRequired(redirect=request.method == "GET" and not is_api(request))
    raise PageError(403, NOT_GRANTED, "E_FORBIDDEN")


BrowserDep = Annotated[Visitor | None, Depends(browser)]
