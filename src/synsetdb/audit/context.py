"""What a check sees: the project, the release audited (if any), its options, shared reads."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from ..catalog import Catalog, Project
from ..catalog.blobs import BlobStore
from ..hierarchy import Taxonomy
from .model import Check

__all__ = ["AuditConfig", "AuditContext", "ReleaseScope"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AuditConfig:
    """What to audit and how.

    Attributes:
        release: a release's name, or None for the whole catalog.
        select: codes, prefixes, families or names to run (all when empty).
        ignore: the same, to leave out.
        options: per code, option values that override the project's
            ``[audit.<CODE>]`` settings and the checks' defaults.
        predictions: out-of-sample predicted probabilities for the label checks
            (``.npz`` with ``image_ids``, ``wnids`` and ``probs``); computed by
            cross-validation when None.
        store: keep the findings in the catalog (what the explorer shows).
    """

    release: str | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    predictions: Path | None = None
    store: bool = True


@dataclass(frozen=True, slots=True)
class ReleaseScope:
    """The release an audit looks at: its catalog id and its stored spec (``config``)."""

    name: str
    id: int
    config: Mapping[str, Any]
    parent: str | None = None


class AuditContext:
    """One check's view of the run: shared by every check, except its options.

    ``memo`` keeps what one check read for the next (class sizes, the
    near-duplicate groups), so a run reads each thing once.
    """

    def __init__(
        self,
        project: Project,
        config: AuditConfig,
        release: ReleaseScope | None,
        check: Check,
        options: Mapping[str, Any],
        memo: dict[str, Any],
    ) -> None:
        self.project = project
        self.config = config
        self.release = release
        self.check = check
        self._options = options
        self._memo = memo

    @property
    def catalog(self) -> Catalog:
        return self.project.catalog

    @property
    def blobs(self) -> BlobStore:
        return self.project.blobs

    @property
    def taxonomy(self) -> Taxonomy:
        return self.project.taxonomy

    @property
    def scope(self) -> str:
        """Where findings are stored: ``""`` for the catalog, else the release's name."""
        return self.release.name if self.release is not None else ""

    def option(self, name: str) -> Any:
        """The value of this check's option ``name`` (settings, then the default)."""
        return self._options[name]

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()``'s value, computed once per run under ``key``."""
        if key not in self._memo:
            self._memo[key] = compute()
        value: T = self._memo[key]
        return value

    def release_key(self, key: str) -> str:
        """``key`` prefixed with the release's name when auditing one (a finding's key)."""
        return f"{self.release.name}:{key}" if self.release is not None else key
