"""Hierarchical targets: class labels mapped up the release's hierarchy.

Both are ``target_transform``\\ s (class index in, new index out) built from a
release's manifest, so they need neither torch nor the taxonomy::

    coarse = AncestorTarget(release.manifest, depth=9)          # e.g. mammal, angiosperm
    breeds = SuperclassTarget(release.manifest, ["n01861778", "n00017222"], unmatched="drop")
    dataset = ReleaseDataset(release, target_transform=breeds)  # drops classes under neither

Depth counts edges from a root (``entity`` is at depth 0). The hierarchy is a
DAG, so a class may have several paths to a root; each class takes the
**longest** (its depth is ``Taxonomy.depth(w).longest``), and among longest
paths the first in sorted order (compared as wnid sequences from the root).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal, Protocol, runtime_checkable

from ..errors import ReleaseError
from ..release.handle import Release
from ..release.manifest import Manifest

__all__ = ["AncestorTarget", "ClassFilter", "SuperclassTarget", "keeps_of", "longest_paths"]

_SHOWN = 10  # classes named in an error message


@runtime_checkable
class ClassFilter(Protocol):
    """A target transform that leaves some classes out.

    The datasets drop samples whose class it does not keep (before decoding them).
    """

    def keeps(self, target: int) -> bool:
        """Whether samples of class index ``target`` stay in the dataset."""
        ...


def keeps_of(transform: object) -> Callable[[int], bool] | None:
    """A target transform's ``keeps`` when it is a ``ClassFilter``, else None."""
    return transform.keeps if isinstance(transform, ClassFilter) else None


def _manifest(source: Manifest | Release) -> Manifest:
    return source.manifest if isinstance(source, Release) else source


def longest_paths(
    hierarchy: Mapping[str, Sequence[str]], wnids: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    """Each wnid's longest path from a root (root first, the wnid last).

    Ties between equally long paths go to the smallest as a tuple of wnids.

    Raises:
        ReleaseError: ``E_MANIFEST`` when a wnid or a parent is not in
            ``hierarchy``, or the parents form a cycle.
    """
    visiting: set[str] = set()

    @functools.cache
    def best(wnid: str) -> tuple[str, ...]:
        if wnid not in hierarchy:
            raise ReleaseError(f"{wnid} is not in the release's hierarchy", code="E_MANIFEST")
        if wnid in visiting:
            raise ReleaseError(f"the hierarchy has a cycle through {wnid}", code="E_MANIFEST")
        visiting.add(wnid)
        paths = [best(parent) for parent in hierarchy[wnid]]
        visiting.discard(wnid)
        if not paths:
            return (wnid,)
        longest = max(len(p) for p in paths)
        return (*min(p for p in paths if len(p) == longest), wnid)

    return {wnid: best(wnid) for wnid in wnids}


class AncestorTarget:
    """Each class mapped to its ancestor at ``depth`` along its longest root path.

    Classes shallower than ``depth`` map to themselves. The new label space is
    the distinct targets, sorted by wnid (as ImageFolder sorts classes).

    Attributes:
        depth: the chosen depth (0: the root).
        classes: the target wnids, in new-label order.
        class_to_idx: target wnid -> new label.
        ancestors: per original class index, the wnid it maps to.
        paths: per original class wnid, the root path the choice was made on.
        mapping: per original class index, the new label.

    Example:
        >>> coarse = AncestorTarget(release.manifest, depth=9)  # doctest: +SKIP
        >>> coarse.classes  # doctest: +SKIP
        ['n01861778', 'n11665372']
    """

    def __init__(self, manifest: Manifest | Release, depth: int) -> None:
        if depth < 0:
            raise ReleaseError(f"depth must be 0 or more, got {depth}", code="E_TARGETS")
        m = _manifest(manifest)
        self.depth = depth
        self.paths = longest_paths(m.hierarchy, m.wnids)
        self.ancestors = tuple(self._at_depth(self.paths[w]) for w in m.wnids)
        self.classes = sorted(set(self.ancestors))
        self.class_to_idx = {w: i for i, w in enumerate(self.classes)}
        self.mapping = tuple(self.class_to_idx[a] for a in self.ancestors)

    def _at_depth(self, path: tuple[str, ...]) -> str:
        return path[self.depth] if len(path) > self.depth else path[-1]

    def __call__(self, target: int) -> int:
        return self.mapping[int(target)]

    def __repr__(self) -> str:
        return f"AncestorTarget(depth={self.depth}, classes={len(self.classes)})"


class SuperclassTarget:
    """Each class mapped to the superclass it falls under (BREEDS-style).

    ``superclasses`` are wnids of the release's hierarchy; a class falls under
    one when that wnid is the class itself or one of its ancestors. The new
    label is the superclass's position in ``superclasses``.

    Args:
        manifest: the release (or its manifest).
        superclasses: the superclass wnids, in new-label order, each once.
        unmatched: what to do with classes under no superclass: ``"error"``
            raises; ``"drop"`` leaves them out (``keeps`` is False for them, and
            the datasets filter their samples out).

    Raises:
        ReleaseError: ``E_SUPERCLASS_UNKNOWN`` (a superclass not in the
            hierarchy), ``E_SUPERCLASS_OVERLAP`` (a class under two
            superclasses), ``E_SUPERCLASS_UNMATCHED`` (a class under none, with
            ``unmatched="error"``), ``E_TARGETS`` (bad arguments); each message
            lists the classes concerned.
    """

    def __init__(
        self,
        manifest: Manifest | Release,
        superclasses: Sequence[str],
        *,
        unmatched: Literal["error", "drop"] = "error",
    ) -> None:
        if unmatched not in ("error", "drop"):
            raise ReleaseError(
                f"unmatched must be 'error' or 'drop', not {unmatched!r}", code="E_TARGETS"
            )
        m = _manifest(manifest)
        longest_paths(m.hierarchy, m.wnids)  # checks the hierarchy is whole and acyclic
        self.classes = list(superclasses)
        if not self.classes or len(set(self.classes)) != len(self.classes):
            raise ReleaseError(
                "superclasses must be a non-empty list of distinct wnids", code="E_TARGETS"
            )
        unknown = [w for w in self.classes if w not in m.hierarchy]
        if unknown:
            raise ReleaseError(
                f"superclass(es) not in the release's hierarchy: {_listed(unknown)}",
                code="E_SUPERCLASS_UNKNOWN",
            )
        self.class_to_idx = {w: i for i, w in enumerate(self.classes)}
        self.unmatched = unmatched
        under = _superclasses_of(m, self.class_to_idx)
        _check_overlaps(m, under, self.classes)
        dropped = [m.classes[c] for c, found in enumerate(under) if not found]
        if dropped and unmatched == "error":
            raise ReleaseError(
                f"{len(dropped)} class(es) under none of the superclasses: "
                f"{_listed(f'{c.wnid} ({c.name})' for c in dropped)}",
                code="E_SUPERCLASS_UNMATCHED",
            )
        self.dropped = tuple(c.wnid for c in dropped)
        self.mapping = tuple(found[0] if found else -1 for found in under)

    def keeps(self, target: int) -> bool:
        return self.mapping[int(target)] >= 0

    def __call__(self, target: int) -> int:
        label = self.mapping[int(target)]
        if label < 0:
            raise ReleaseError(
                f"class index {int(target)} is under none of the superclasses (dropped)",
                code="E_SUPERCLASS_UNMATCHED",
            )
        return label

    def __repr__(self) -> str:
        return f"SuperclassTarget(classes={len(self.classes)}, dropped={len(self.dropped)})"


def _superclasses_of(manifest: Manifest, index: Mapping[str, int]) -> list[list[int]]:
    """Per class, the indices of the superclasses it falls under (itself included)."""
    ancestors = _ancestor_sets(manifest.hierarchy)
    return [sorted(index[a] for a in ancestors(c.wnid) if a in index) for c in manifest.classes]


def _ancestor_sets(hierarchy: Mapping[str, Sequence[str]]) -> Callable[[str], frozenset[str]]:
    """A cached function: wnid -> itself and all its ancestors in ``hierarchy``."""

    @functools.cache
    def up(wnid: str) -> frozenset[str]:
        return frozenset({wnid}).union(*(up(p) for p in hierarchy.get(wnid, ())))

    return up


def _check_overlaps(manifest: Manifest, under: list[list[int]], superclasses: list[str]) -> None:
    both = [(manifest.classes[c], found) for c, found in enumerate(under) if len(found) > 1]
    if both:
        shown = (
            f"{c.wnid} ({c.name}) under {', '.join(superclasses[i] for i in found)}"
            for c, found in both
        )
        raise ReleaseError(
            f"{len(both)} class(es) under more than one superclass: {_listed(shown)}",
            code="E_SUPERCLASS_OVERLAP",
        )


def _listed(items: Iterable[str]) -> str:
    items = list(items)
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return "; ".join(items[:_SHOWN]) + more
