"""Hierarchical targets: class labels mapped up the release's hierarchy.

Both are ``target_transform``\\ s (class index in, new index out) built from a
release's manifest and the hierarchy it induces (``Manifest.taxonomy()``), so
they need neither torch nor the project's taxonomy::

    coarse = AncestorTarget(release.manifest, depth=9)          # e.g. mammal, angiosperm
    breeds = SuperclassTarget(release.manifest, ["n01861778", "n00017222"], unmatched="drop")
    dataset = ReleaseDataset(release, target_transform=breeds)  # drops classes under neither

Depth counts edges from a root (``entity`` is at depth 0). The hierarchy is a
DAG, so a class may have several paths to a root; each class takes the
**longest** (its depth is ``Taxonomy.depth(w).longest``), and among longest
paths the first in sorted order (compared as wnid sequences from the root).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from ..errors import ReleaseError
from ..release.handle import Release
from ..release.manifest import Manifest

if TYPE_CHECKING:
    from ..hierarchy import Taxonomy

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


def longest_paths(taxonomy: Taxonomy, wnids: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Each wnid's longest path from a root (root first, the wnid last).

    Ties between equally long paths go to the smallest as a tuple of wnids.

    Raises:
        UnknownSynsetError: a wnid the taxonomy does not hold.
    """
    found = {}
    for wnid in wnids:
        length = taxonomy.depth(wnid).longest + 1
        found[wnid] = min(p[::-1] for p in taxonomy.paths_to_root(wnid) if len(p) == length)
    return found


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
        self.paths = longest_paths(m.taxonomy(), m.wnids)
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
        taxonomy = m.taxonomy()
        self.classes = list(superclasses)
        if not self.classes or len(set(self.classes)) != len(self.classes):
            raise ReleaseError(
                "superclasses must be a non-empty list of distinct wnids", code="E_TARGETS"
            )
        unknown = [w for w in self.classes if w not in taxonomy]
        if unknown:
            raise ReleaseError(
                f"superclass(es) not in the release's hierarchy: {_listed(unknown)}",
                code="E_SUPERCLASS_UNKNOWN",
            )
        self.class_to_idx = {w: i for i, w in enumerate(self.classes)}
        self.unmatched = unmatched
        under = [_under(taxonomy, w, self.class_to_idx) for w in m.wnids]
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


def _under(taxonomy: Taxonomy, wnid: str, superclasses: dict[str, int]) -> list[int]:
    """The indices of the superclasses ``wnid`` falls under (itself included), sorted."""
    ancestors = taxonomy.ancestors(wnid, include_self=True)
    return sorted(superclasses[a] for a in ancestors if a in superclasses)


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
