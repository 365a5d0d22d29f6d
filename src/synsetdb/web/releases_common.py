"""What explorer pages share about releases: the ``release`` parameter, the list of names."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from ..release.browse import release_names as names_of
from .state import PageError, WebState

__all__ = ["ReleaseParam", "check_release", "release_names"]


def _release(
    release: Annotated[
        str | None,
        Query(
            max_length=128,
            pattern=r"^([A-Za-z0-9][A-Za-z0-9._-]*)?$",
            description="show this release instead of the whole catalog (empty: the catalog)",
        ),
    ] = None,
) -> str | None:
    return release or None  # the chooser's "the whole catalog" sends an empty value


ReleaseParam = Annotated[str | None, Depends(_release)]


def release_names(state: WebState) -> list[str]:
    """Every release's name, for the pages' release chooser (one query over the names)."""
    return names_of(state.project)


def check_release(state: WebState, release: str | None) -> None:
    """404 ``E_NO_RELEASE`` for a release the catalog does not hold (None is the catalog)."""
    if release is not None and release not in release_names(state):
        raise PageError(404, f"No release named {release!r}.", "E_NO_RELEASE")
