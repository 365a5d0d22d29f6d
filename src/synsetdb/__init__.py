"""synsetdb: build, curate, version, explore and serve ImageNet-style image databases.

``import synsetdb`` is cheap and needs no optional dependency; the packages
(``synsetdb.hierarchy``, ``synsetdb.catalog``, …) are imported on their own.
"""

from ._version import __version__
from .errors import NotFoundError, SynsetdbError

__all__ = ["NotFoundError", "SynsetdbError", "__version__"]
