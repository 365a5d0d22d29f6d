"""Graph algorithms over a DAG stored as integer adjacency lists.

Node ids are positions 0..n-1; ``parents[v]`` is a tuple of node ids. The
Taxonomy class owns the mapping to wnids; nothing here knows about synsets.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol


class Adjacency(Protocol):
    """Per-node neighbour lists: ``adjacency[v]`` is a sequence of node ids."""

    def __len__(self) -> int: ...

    def __getitem__(self, v: int, /) -> Sequence[int]: ...


class PackedAdjacency:
    """Adjacency lists packed in two flat lists (compressed sparse rows).

    Loading 82,115 WordNet nodes this way costs two list conversions instead of
    82,115 tuples; each lookup slices out one node's neighbours.
    """

    __slots__ = ("_index", "_indptr")

    def __init__(self, indptr: list[int], index: list[int]) -> None:
        self._indptr = indptr
        self._index = index

    def __len__(self) -> int:
        return len(self._indptr) - 1

    def __getitem__(self, v: int, /) -> tuple[int, ...]:
        return tuple(self._index[self._indptr[v] : self._indptr[v + 1]])


def invert(parents: Adjacency) -> list[tuple[int, ...]]:
    """Children lists from parent lists, each in ascending node order."""
    children: list[list[int]] = [[] for _ in range(len(parents))]
    for child in range(len(parents)):
        for p in parents[child]:
            children[p].append(child)
    return [tuple(c) for c in children]


def topological_order(parents: Adjacency, children: Adjacency) -> tuple[list[int], list[int]]:
    """Kahn's algorithm, roots first.

    Returns:
        (order, stuck): ``stuck`` lists the nodes on or below a cycle (empty for a DAG).
    """
    pending = [len(parents[v]) for v in range(len(parents))]
    queue = deque(v for v, n in enumerate(pending) if n == 0)
    order: list[int] = []
    while queue:
        v = queue.popleft()
        order.append(v)
        for c in children[v]:
            pending[c] -= 1
            if pending[c] == 0:
                queue.append(c)
    stuck = [v for v, n in enumerate(pending) if n > 0]
    return order, stuck


def find_cycle(parents: Adjacency, among: Sequence[int]) -> list[int]:
    """One cycle of parent edges through nodes in ``among`` (which must contain one)."""
    allowed = set(among)
    start = among[0]
    seen: dict[int, int] = {}
    path: list[int] = []
    v = start
    while v not in seen:
        seen[v] = len(path)
        path.append(v)
        v = next(p for p in parents[v] if p in allowed)
    return path[seen[v] :]


def depths(parents: Adjacency, order: Sequence[int]) -> tuple[list[int], list[int]]:
    """Shortest and longest number of edges from each node up to a root."""
    shortest = [0] * len(parents)
    longest = [0] * len(parents)
    for v in order:
        ps = parents[v]
        if ps:
            shortest[v] = 1 + min(shortest[p] for p in ps)
            longest[v] = 1 + max(longest[p] for p in ps)
    return shortest, longest


def heights(children: Adjacency, order: Sequence[int]) -> list[int]:
    """Longest number of edges from each node down to a leaf (0 at leaves)."""
    height = [0] * len(children)
    for v in reversed(order):
        cs = children[v]
        if cs:
            height[v] = 1 + max(height[c] for c in cs)
    return height


def descendants(children: Adjacency, start: int) -> list[int]:
    """Every node below ``start`` (excluded), breadth-first, each once."""
    seen = {start}
    out: list[int] = []
    queue = deque([start])
    while queue:
        for c in children[queue.popleft()]:
            if c not in seen:
                seen.add(c)
                out.append(c)
                queue.append(c)
    return out


def ancestor_closure(
    parents: Adjacency, order: Sequence[int], label: Sequence[int]
) -> list[frozenset[int]]:
    """For each node, the labels of itself and all its ancestors (``label[v]`` names v)."""
    closure: list[frozenset[int]] = [frozenset()] * len(parents)
    for v in order:
        ps = parents[v]
        if not ps:
            closure[v] = frozenset((label[v],))
        elif len(ps) == 1:
            closure[v] = closure[ps[0]] | {label[v]}
        else:
            closure[v] = frozenset((label[v],)).union(*(closure[p] for p in ps))
    return closure


def minimal(labels: frozenset[int] | set[int], closure: Sequence[frozenset[int]]) -> set[int]:
    """The members of ``labels`` that are not a proper ancestor of another member.

    ``closure[x]`` is the closure of the node labelled ``x``, in labels.
    """
    above: set[int] = set()
    for x in labels:
        above.update(closure[x] - {x})
    return set(labels) - above


def paths_up(parents: Adjacency, start: int) -> list[tuple[int, ...]]:
    """Every path from ``start`` up to a root, as node tuples beginning with ``start``."""
    paths: list[tuple[int, ...]] = []
    stack: list[tuple[int, ...]] = [(start,)]
    while stack:
        path = stack.pop()
        ps = parents[path[-1]]
        if not ps:
            paths.append(path)
        stack.extend((*path, p) for p in reversed(ps))
    return paths


def pack_sorted(sets: Sequence[frozenset[int]]) -> tuple[Any, Any]:
    """Integer sets as NumPy CSR arrays ``(indptr, values)``, each row sorted ascending."""
    import numpy as np

    sizes = np.fromiter((len(s) for s in sets), dtype=np.int64, count=len(sets))
    indptr = np.zeros(len(sets) + 1, dtype=np.int64)
    np.cumsum(sizes, out=indptr[1:])
    values = np.fromiter((x for s in sets for x in sorted(s)), np.int64, count=int(indptr[-1]))
    return indptr, values


def smallest_shared(indptr: Any, values: Any, rows_a: Any, rows_b: Any) -> Any:
    """For each pair of rows of a sorted CSR, the smallest value both hold (-1 if none).

    A merge of the two sorted rows, run for all pairs at once: each NumPy step
    advances every open pair's smaller pointer, and pairs drop out on a match
    or at the end of a row.
    """
    import numpy as np

    pa, pb = indptr[rows_a], indptr[rows_b]
    ea, eb = indptr[rows_a + 1], indptr[rows_b + 1]
    found = np.full(len(rows_a), -1, dtype=np.int64)
    active = np.arange(len(rows_a))
    while active.size:
        va, vb = values[pa[active]], values[pb[active]]
        same = va == vb
        found[active[same]] = va[same]
        pa[active[va < vb]] += 1
        pb[active[va > vb]] += 1
        still_open = ~same & (pa[active] < ea[active]) & (pb[active] < eb[active])
        active = active[still_open]
    return found
