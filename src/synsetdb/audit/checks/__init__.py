"""The checks synsetdb ships, one module per family; importing this registers them."""

from . import licences

__all__ = ["licences"]
