"""Embedders by the short names the command line uses."""

from __future__ import annotations

from collections.abc import Callable

from ...errors import EvaluationError
from .base import Embedder
from .local import Hog, SiftBagOfWords
from .pixels import ColourHistogram, TinyImage

__all__ = ["EMBEDDER_NAMES", "embedder_named"]

_FACTORIES: dict[str, Callable[[], Embedder]] = {
    "tiny": TinyImage,
    "hist": ColourHistogram,
    "hog": Hog,
    "sift": SiftBagOfWords,
}
EMBEDDER_NAMES = tuple(_FACTORIES)


def embedder_named(name: str) -> Embedder:
    """A fresh embedder with default options: ``tiny``, ``hist``, ``hog`` or ``sift``.

    Raises:
        EvaluationError: ``E_OPTIONS`` for any other name.
    """
    try:
        return _FACTORIES[name]()
    except KeyError:
        raise EvaluationError(
            f"unknown embedder {name!r} (choose from {', '.join(EMBEDDER_NAMES)})",
            code="E_OPTIONS",
        ) from None
