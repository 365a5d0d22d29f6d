"""What explorer pages share about releases: the ``release`` parameter, the list of names."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from ..release.store import list_releases
from .state import WebState

__all__ = ["ReleaseParam", "release_names"]

ReleaseParam = Annotated[
    str | None,
    Query(
        max_length=128,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="show this release instead of the whole catalog",
    ),
]


def release_names(state: WebState) -> list[str]:
    """Every release's name, for the pages' release chooser."""
    return [info.name for info in list_releases(state.project)]
