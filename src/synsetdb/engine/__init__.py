"""Where work runs: a local process pool by default (``ray`` comes later)."""

from .local import Engine, LocalEngine

__all__ = ["Engine", "LocalEngine"]
