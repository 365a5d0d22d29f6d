"""Release filters: synset sets taken out of a release (the person subtree, reviewed unsafe lists).

Face obfuscation, the other filter, lives in ``_blur.py`` (it works on images,
not synsets). Here a filter removes classes: each listed synset and everything
under it in the taxonomy. Filters run after the selection and before the
per-class counts, and the build report says what each one removed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ReleaseError
from ..hierarchy import PERSON_ROOT, Taxonomy
from .spec import FilterSpec

__all__ = ["FilterOutcome", "SynsetFilter", "load_synset_list", "synset_filters"]

log = logging.getLogger(__name__)

# WordNet ids (n + 8 digits) and synsetdb's custom ids (c + 8 digits).
_WNID = re.compile(r"^[a-z]\d{8}$")


def load_synset_list(path: str | Path) -> tuple[str, ...]:
    """Read a reviewed synset list: one wnid a line; ``#`` starts a comment; blank lines skipped.

    Returns the wnids in file order, each once.

    Raises:
        ReleaseError: ``E_SPEC`` naming the file and line for a line that is
            not one wnid, or for a file that cannot be read.

    Example:
        A file holding ``n10000000  # a reviewed slur``, then ``n10000001``,
        gives ``("n10000000", "n10000001")``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReleaseError(f"cannot read synset list {path}: {exc}", code="E_SPEC") from exc
    found: dict[str, None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        if not _WNID.match(content):
            raise ReleaseError(
                f"{path}:{number}: expected one synset id (like n02084071), got {content!r}",
                code="E_SPEC",
            )
        found[content] = None
    return tuple(found)


@dataclass(frozen=True, slots=True)
class SynsetFilter:
    """One filter: a name, and the synsets whose subtrees it removes."""

    name: str
    roots: tuple[str, ...]

    def removed(self, taxonomy: Taxonomy) -> set[str]:
        """Every wnid under the roots (roots included) that the taxonomy holds."""
        found: set[str] = set()
        for root in self.roots:
            if root in taxonomy:
                found.update(taxonomy.descendants(root, include_self=True))
        return found

    def unknown(self, taxonomy: Taxonomy) -> list[str]:
        return [root for root in self.roots if root not in taxonomy]


def synset_filters(spec: FilterSpec) -> list[SynsetFilter]:
    """The synset filters a spec turns on, in the order they apply."""
    filters = []
    if spec.person:
        filters.append(SynsetFilter("person", (PERSON_ROOT,)))
    if spec.unsafe:
        filters.append(SynsetFilter("unsafe", spec.unsafe))
    return filters


@dataclass(frozen=True, slots=True)
class FilterOutcome:
    """What one filter took out of a release.

    Attributes:
        name: ``person`` or ``unsafe``.
        classes: the selected classes it removed, sorted.
        images: the items (image, class pairs) those classes held.
        unknown: listed wnids the taxonomy does not hold (they remove nothing).
    """

    name: str
    classes: tuple[str, ...]
    images: int
    unknown: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "filter": self.name,
            "classes_removed": len(self.classes),
            "wnids": list(self.classes),
            "images_removed": self.images,
            "unknown_wnids": list(self.unknown),
        }


def apply_synset_filters(
    classes: Iterable[str], counts: Mapping[str, int], spec: FilterSpec, taxonomy: Taxonomy
) -> tuple[list[str], list[FilterOutcome]]:
    """Remove filtered classes; returns the kept classes (in input order) and each outcome.

    A class removed by an earlier filter is not counted again by a later one.
    """
    kept = list(classes)
    outcomes = []
    for synset_filter in synset_filters(spec):
        removed = synset_filter.removed(taxonomy)
        gone = sorted(w for w in kept if w in removed)
        unknown = synset_filter.unknown(taxonomy)
        if unknown:
            log.warning(
                "filter %s: %d listed wnid(s) are not in the taxonomy, e.g. %s",
                synset_filter.name, len(unknown), unknown[0],
            )  # fmt: skip
        kept = [w for w in kept if w not in removed]
        images = sum(counts.get(w, 0) for w in gone)
        outcomes.append(FilterOutcome(synset_filter.name, tuple(gone), images, tuple(unknown)))
    return kept, outcomes
