"""Hierarchy-aware scores: how bad a mistake is, measured in the class hierarchy.

Following Bertinetto et al., "Making Better Mistakes" (CVPR 2020):

- **mistake severity**: over top-1 errors only, the mean height of the lowest
  common ancestor (LCA) of the guess and the truth. Mistaking a husky for a
  malamute (LCA: dog) is milder than for a teapot (LCA: whole).
- **average hierarchical distance of the top k**: over all images, the mean
  LCA height between the truth and each of the first ``k`` guesses.
- **accuracy per level**: guesses and truths are both rolled up to their
  ancestor at a given depth, then compared (a coarser task per level).

Heights and depths are those of the release's induced hierarchy
(:meth:`synsetdb.release.Manifest.taxonomy`): a node's height is the longest
path down to a leaf (classes are normally the leaves; a right guess is at
distance 0 even for a class with classes below it), its depth the shortest
path up to the root. WordNet is a DAG: a class's ancestor at a depth is taken along
its first path to the root in sorted order, and the LCA is
:meth:`~synsetdb.hierarchy.Taxonomy.lca`'s deterministic choice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import EvaluationError
from ..hierarchy import Taxonomy
from .metrics import _checked, why_not_topk

__all__ = ["HierarchicalReport", "HierarchyScorer"]

IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class HierarchicalReport:
    """The hierarchical scores of one set of predictions.

    Attributes:
        mistake_severity: mean LCA height over top-1 errors (NaN: no errors).
        errors: how many top-1 errors that mean is over.
        hierarchical_distance: k -> average LCA height over the first k
            guesses, for the k that every image has k different guesses for.
        level_accuracy: depth -> top-1 accuracy with both sides rolled up to it.
        not_computed: ``hierarchical_distance@k`` -> why that k was left out.
    """

    mistake_severity: float
    errors: int
    hierarchical_distance: dict[int, float]
    level_accuracy: dict[int, float]
    not_computed: dict[str, str] = field(default_factory=dict)


class HierarchyScorer:
    """Scores predictions over ``classes`` (wnids in index order) in ``taxonomy``.

    The class-by-class table of LCA heights is computed once (vectorised
    through :meth:`~synsetdb.hierarchy.Taxonomy.lca_many`), so scoring a
    validation set is array indexing. A right guess is at distance 0, also
    for a class with other classes below it (whose own height is above 0).
    """

    def __init__(self, taxonomy: Taxonomy, classes: Sequence[str]) -> None:
        unknown = [w for w in classes if w not in taxonomy]
        if unknown:
            raise EvaluationError(
                f"{len(unknown)} class(es) not in the hierarchy, e.g. {unknown[0]}",
                code="E_HIERARCHY",
            )
        self.taxonomy, self.classes = taxonomy, list(classes)
        n = len(self.classes)
        left = [self.classes[i] for i in range(n) for _ in range(n)]
        right = self.classes * n
        lcas = taxonomy.lca_many(left, right)
        heights = {w: taxonomy.height(w) for w in set(lcas)}
        self.lca_height: IntArray = np.array([heights[w] for w in lcas], dtype=np.int64)
        self.lca_height = self.lca_height.reshape(n, n)
        np.fill_diagonal(self.lca_height, 0)
        self._first_paths = [taxonomy.paths_to_root(w)[0][::-1] for w in self.classes]

    @property
    def max_depth(self) -> int:
        """The deepest class's depth along its first path (levels run 1..max_depth)."""
        return max(len(path) - 1 for path in self._first_paths)

    def mistake_severity(self, ranked: ArrayLike, targets: ArrayLike) -> tuple[float, int]:
        """Mean LCA height of top-1 errors, and how many errors there were."""
        r, t = self._indices(ranked, targets)
        wrong = r[:, 0] != t
        if not wrong.any():
            return float("nan"), 0
        return float(self.lca_height[r[wrong, 0], t[wrong]].mean()), int(wrong.sum())

    def hierarchical_distance(self, ranked: ArrayLike, targets: ArrayLike, k: int) -> float:
        """Mean LCA height between the truth and each of the first ``k`` guesses.

        Raises:
            EvaluationError: ``E_PREDICTIONS`` unless every image has ``k``
                different guesses: a repeated guess (a short row padded with
                its last guess) would count one class's distance twice.
        """
        r, t = self._indices(ranked, targets)
        if not _distinct_guesses(r, k):
            raise EvaluationError(
                f"top-{k} distance needs {k} different guesses for every image",
                code="E_PREDICTIONS",
            )
        return float(self.lca_height[r[:, :k], t[:, None]].mean())

    def ancestors_at(self, depth: int) -> IntArray:
        """Per class, a code for its ancestor at ``depth`` (itself when shallower)."""
        names = [path[min(depth, len(path) - 1)] for path in self._first_paths]
        codes = {name: i for i, name in enumerate(sorted(set(names)))}
        return np.array([codes[name] for name in names], dtype=np.int64)

    def level_accuracy(self, ranked: ArrayLike, targets: ArrayLike, depth: int) -> float:
        """Top-1 accuracy once guesses and truths are rolled up to ``depth``."""
        r, t = self._indices(ranked, targets)
        up = self.ancestors_at(depth)
        return float((up[r[:, 0]] == up[t]).mean())

    def report(
        self, ranked: ArrayLike, targets: ArrayLike, ks: Sequence[int] = (1, 5, 20)
    ) -> HierarchicalReport:
        """Every score; a distance@k only where every image has k different guesses."""
        r, t = self._indices(ranked, targets)
        severity, errors = self.mistake_severity(r, t)
        why = {k: why_not_topk(r, k, len(self.classes), f"distance@{k}") for k in ks}
        return HierarchicalReport(
            mistake_severity=severity,
            errors=errors,
            hierarchical_distance={
                k: self.hierarchical_distance(r, t, k) for k in ks if why[k] is None
            },
            level_accuracy={d: self.level_accuracy(r, t, d) for d in range(1, self.max_depth + 1)},
            not_computed={
                f"hierarchical_distance@{k}": reason for k, reason in why.items() if reason
            },
        )

    def _indices(self, ranked: ArrayLike, targets: ArrayLike) -> tuple[IntArray, IntArray]:
        r, t = _checked(ranked, targets)
        n = len(self.classes)
        if min(r.min(), t.min()) < 0 or max(r.max(), t.max()) >= n:
            raise EvaluationError(f"class indices must lie in [0, {n})", code="E_PREDICTIONS")
        return r, t


def _distinct_guesses(ranked: IntArray, k: int) -> bool:
    """Whether every row's first ``k`` guesses are ``k`` different classes."""
    if k < 1 or ranked.shape[1] < k:
        return False
    first = np.sort(ranked[:, :k], axis=1)
    return bool((first[:, 1:] != first[:, :-1]).all())
