"""The exception hierarchy: one root, a branch per domain, a stable code on each.

Per-item failures inside a batch are *data* (a reason code stored with the
item), not exceptions; these classes are for failures of a whole call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "AuditError",
    "CatalogError",
    "ConfigError",
    "DemoError",
    "EvaluationError",
    "FormatError",
    "IngestError",
    "NotFoundError",
    "ProjectNotFoundError",
    "ReleaseError",
    "SchemaVersionError",
    "SynsetdbError",
    "TaxonomyError",
    "TaxonomyFileError",
    "UnknownSynsetError",
    "VerifyError",
]


class SynsetdbError(Exception):
    """Root of every error synsetdb raises on purpose.

    Attributes:
        code: a stable, greppable reason code such as ``E_UNKNOWN_SYNSET``.
    """

    code: str = "E_SYNSETDB"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        # KeyError quotes its argument; every subclass shows the plain message.
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (worker pools) with their class, message,
        # fields and code (an instance's own code is in its __dict__), whatever a
        # subclass's constructor takes.
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


def _rebuild(cls: type[SynsetdbError], message: str, state: dict[str, Any]) -> SynsetdbError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class NotFoundError(SynsetdbError, KeyError):
    """Something looked up by key does not exist."""

    code = "E_NOT_FOUND"


class ConfigError(SynsetdbError, ValueError):
    """A setting, option or project file is invalid."""

    code = "E_CONFIG"


class ProjectNotFoundError(ConfigError):
    """No synsetdb project was found where one was expected."""

    code = "E_NO_PROJECT"


class TaxonomyError(SynsetdbError):
    """A problem with a hierarchy of synsets."""

    code = "E_TAXONOMY"


class UnknownSynsetError(TaxonomyError, NotFoundError):
    """A wnid that the taxonomy does not hold; carries close matches."""

    code = "E_UNKNOWN_SYNSET"

    def __init__(
        self, wnid: str, suggestions: Sequence[str] = (), names: Mapping[str, str] | None = None
    ) -> None:
        self.wnid = wnid
        self.suggestions = tuple(suggestions)
        named = [f"{w} ({names[w]})" if names and w in names else w for w in self.suggestions]
        hint = f"; did you mean {', '.join(named)}?" if named else ""
        super().__init__(f"unknown synset {wnid!r}{hint}")


class TaxonomyFileError(TaxonomyError, ValueError):
    """A taxonomy file is malformed; names the file and line."""

    code = "E_TAXONOMY_FILE"

    def __init__(self, path: str, line: int | None, message: str, *, code: str | None = None):
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}", code=code)


class CatalogError(SynsetdbError):
    """A problem with the SQL catalog or the blob store."""

    code = "E_CATALOG"


class SchemaVersionError(CatalogError):
    """The catalog's schema is older or newer than this synsetdb expects."""

    code = "E_SCHEMA_VERSION"


class IngestError(SynsetdbError):
    """A problem that stops an ingest as a whole."""

    code = "E_INGEST"


class VerifyError(SynsetdbError):
    """A problem with crowd verification."""

    code = "E_VERIFY"


class AuditError(SynsetdbError):
    """An audit could not run: an unknown check code, a bad option, a bad input file."""

    code = "E_AUDIT"


class ReleaseError(SynsetdbError):
    """A problem building or reading a release."""

    code = "E_RELEASE"


class FormatError(SynsetdbError):
    """A problem importing or exporting a dataset format."""

    code = "E_FORMAT"


class EvaluationError(SynsetdbError, ValueError):
    """Predictions or ground truth that cannot be scored."""

    code = "E_EVAL"


class DemoError(SynsetdbError):
    """``synsetdb demo`` cannot run: its bundle is damaged or its project is in the way."""

    code = "E_DEMO"
