"""Optional packages imported when first needed, with a clear error when missing."""

from __future__ import annotations

import importlib
from types import ModuleType

from ...errors import EvaluationError

__all__ = ["require"]


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module`` or explain which extra provides it.

    Imported on every call (cheap once loaded), so a removed package is noticed.

    Raises:
        EvaluationError: ``E_MISSING_EXTRA`` naming ``pip install 'synsetdb[extra]'``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        package = module.split(".")[0]
        raise EvaluationError(
            f"{what} needs {package}: pip install 'synsetdb[{extra}]' ({e})",
            code="E_MISSING_EXTRA",
        ) from e
