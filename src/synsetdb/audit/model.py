"""What an audit is made of: checks, the findings they return, and reviews of findings."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import AuditContext

__all__ = [
    "FAMILIES",
    "LEVELS",
    "REVIEW_STATUSES",
    "Check",
    "CheckSkipped",
    "Finding",
    "fingerprint",
]

# The families of checks, in the order reports list them.
FAMILIES: dict[str, str] = {
    "balance": "class sizes and how images spread over the hierarchy",
    "leakage": "the same picture in two places it should not be",
    "sensitive": "categories that need a person's judgement before release",
    "labels": "images whose label is probably wrong",
    "images": "the pixels and files themselves",
    "verification": "how the labels were decided: workers, hard synsets, undecided work",
    "licences": "where images come from and under what terms",
}
LEVELS = ("error", "warning", "info")  # an open error-level finding fails the audit
REVIEW_STATUSES = ("accepted", "dismissed")


def fingerprint(code: str, key: str) -> str:
    """The stable identity of a finding: sha256 of its code and the key of what it is about.

    A review is stored under this value, so it covers exactly the thing reviewed:
    another image, synset, pair or release gives another fingerprint.
    """
    return hashlib.sha256(f"{code}\x1f{key}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing a check found.

    Attributes:
        code: the check's code (``BAL001``); the runner sets the level from it.
        key: what the finding is about, stable across runs and unique within the
            code: a wnid, an image id, ``"<image>|<image>"`` for a pair. Put the
            release's name in it when the finding is about that release only.
        message: one line for people, naming the thing (``n02123045 tabby: 3 images``).
        action: what to do about it, one short sentence.
        synset: the wnid concerned, if any (the explorer shows it on that synset).
        image: the image id concerned, if any (shown on that image's page).
        other_image: the second image of a pair (a near-duplicate across splits),
            whose page shows the finding too.
        split: the split concerned, for a release's findings.
        evidence: the numbers behind it, JSON-able (``{"images": 3, "median": 40}``).
        score: how bad it is within its code, higher first (a label issue's rank).
    """

    code: str
    key: str
    message: str
    action: str = ""
    synset: str | None = None
    image: str | None = None
    other_image: str | None = None
    split: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    score: float | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.code, self.key)


class CheckSkipped(Exception):
    """Raised by a check that cannot run here; the report says why (``needs --release``)."""


CheckFunction = Callable[["AuditContext"], Iterable[Finding]]


@dataclass(frozen=True, slots=True)
class Check:
    """One rule of the registry.

    Attributes:
        code: ``BAL001``-style: three letters of its family and a number.
        name: a short kebab-case name (``class-imbalance``), accepted by ``--select``.
        family: one of :data:`FAMILIES`.
        level: ``error``, ``warning`` or ``info``.
        summary: one line: what it finds.
        function: returns the findings for an :class:`AuditContext`.
        options: the settings it reads, with their defaults; a project overrides
            them in ``synsetdb.toml`` under ``[audit.<CODE>]``.
        scope: ``any`` (runs on the catalog and on a release) or ``release``
            (needs one).
    """

    code: str
    name: str
    family: str
    level: str
    summary: str
    function: CheckFunction
    options: Mapping[str, Any] = field(default_factory=dict)
    scope: str = "any"

    @property
    def doc(self) -> str:
        """The rule's documentation: its function's docstring (``--explain``)."""
        return (self.function.__doc__ or self.summary).strip()
