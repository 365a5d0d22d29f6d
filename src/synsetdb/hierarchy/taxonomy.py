"""The Taxonomy: a DAG of synsets with the queries ImageNet's tooling needs."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..errors import TaxonomyError, TaxonomyFileError, UnknownSynsetError
from . import _graph
from ._search import SearchIndex
from ._suggest import as_wnid, looks_like_id, suggest_ids
from .synset import Depth, Synset
from .usage import UsageFlag

__all__ = ["Entry", "Taxonomy", "as_wnid", "suggest_ids"]

ENTITY = "n00001740"
_LCA_CHUNK = 1 << 16  # pairs per NumPy pass in lca_many: ~10 MB of temporaries
_CUSTOM_ID = re.compile(r"^c(\d{8})$")


@dataclass(frozen=True, slots=True)
class Entry:
    """A synset as read from a file, with where it was read (for error messages)."""

    synset: Synset
    path: str = "<synsets>"
    line: int | None = None


class Taxonomy:
    """A hierarchy of synsets: WordNet 3.0's nouns, a subset of them, or a custom one.

    The graph is a DAG (a synset may have several parents). Queries take and
    return wnids; structural results (depth, height, closure) are computed once
    on first use and cached on the instance, which is otherwise immutable.

    Example:
        >>> tax = Taxonomy.wordnet()
        >>> tax.get("n02084071").hypernyms
        ('n02083346', 'n01317541')
        >>> tax.lca("n02084071", "n02121620")
        'n02075296'
    """

    def __init__(
        self,
        wnids: list[str],
        parents: _graph.Adjacency,
        instance_edges: frozenset[tuple[int, int]],
        lemmas: list[str],
        glosses: list[str],
        lexnames: list[str | None],
        *,
        name: str,
        senses: list[str] | None = None,
        usage: Mapping[int, tuple[UsageFlag, ...]] | None = None,
    ) -> None:
        """Low-level constructor; use ``wordnet()``, ``from_synsets()`` or the loaders.

        ``lemmas`` (and ``senses``) hold one tab-joined line per node so that the
        bundled 82,115 synsets load without building a tuple for each; ``usage``
        holds the usage-domain flags of the nodes that have any (WordNet's only).
        """
        self.name = name
        self._wnids = wnids
        self._index = dict(zip(wnids, range(len(wnids)), strict=True))
        self._parents = parents
        self._instance_edges = instance_edges
        self._lemma_lines = lemmas
        self._glosses = glosses
        self._lexnames = lexnames
        self._sense_lines = senses
        self._usage: Mapping[int, tuple[UsageFlag, ...]] = {} if usage is None else usage
        if len(self._index) != len(wnids):
            raise TaxonomyError("duplicate wnids", code="E_DUPLICATE_SYNSET")

    # ----------------------------------------------------------------- construction

    @classmethod
    def wordnet(cls) -> Taxonomy:
        """The bundled WordNet 3.0 noun hierarchy: 82,115 synsets, rooted at entity."""
        from ._wordnet import load_wordnet

        return load_wordnet(cls)

    @classmethod
    def from_synsets(cls, synsets: Iterable[Synset], *, name: str = "custom") -> Taxonomy:
        """A taxonomy made of exactly these synsets; parents must be among them."""
        entries = [Entry(s, line=i) for i, s in enumerate(synsets, start=1)]
        return cls.from_entries(entries, name=name)

    @classmethod
    def from_entries(cls, entries: Sequence[Entry], *, name: str) -> Taxonomy:
        """Validate entries (duplicates, unknown parents, cycles) and build."""
        empty = cls([], [], frozenset(), [], [], [], name=name)
        return empty.extended(entries, name=name)

    def extended(self, synsets: Iterable[Synset | Entry], *, name: str | None = None) -> Taxonomy:
        """A new taxonomy with extra synsets under existing (or other new) parents.

        Ids must not collide with any synset already here; ``next_custom_id``
        gives ids that cannot collide with WordNet's. Only the new synsets are
        validated: existing ones gain children but never parents, so a cycle
        can only run through new synsets.
        """
        new = [s if isinstance(s, Entry) else Entry(s, line=i) for i, s in enumerate(synsets, 1)]
        base = len(self)
        index = self._new_positions(new)
        parents = [self._parents[v] for v in range(base)]
        instance_edges = set(self._instance_edges)
        for i, entry in enumerate(new, start=base):
            for parent in entry.synset.parents:
                if parent not in self._index and parent not in index:
                    raise TaxonomyFileError(
                        entry.path,
                        entry.line,
                        f"synset {entry.synset.wnid!r} has unknown parent {parent!r}",
                        code="E_UNKNOWN_PARENT",
                    )
            node = {p: self._index.get(p, index.get(p, -1)) for p in entry.synset.parents}
            parents.append(tuple(dict.fromkeys(node.values())))
            instance_edges.update((i, node[p]) for p in entry.synset.instance_hypernyms)
        _check_acyclic(new, [tuple(p - base for p in ps if p >= base) for ps in parents[base:]])
        added = [e.synset for e in new]
        senses = None
        if self._sense_lines is not None:
            senses = [*self._sense_lines, *("\t".join(["1"] * len(x.lemmas)) for x in added)]
        return Taxonomy(
            [*self._wnids, *(x.wnid for x in added)],
            parents,
            frozenset(instance_edges),
            [*self._lemma_lines, *("\t".join(x.lemmas) for x in added)],
            [*self._glosses, *(x.gloss for x in added)],
            [*self._lexnames, *(x.lexname for x in added)],
            name=name or f"{self.name}+custom",
            senses=senses,
            usage=self._usage,  # existing nodes keep their positions
        )

    def _new_positions(self, new: Sequence[Entry]) -> dict[str, int]:
        """Positions for new entries after the existing synsets; refuses any repeated id."""
        index: dict[str, int] = {}
        for i, entry in enumerate(new):
            wnid = entry.synset.wnid
            first = None
            if wnid in index:
                first = new[index[wnid] - len(self)]
            if wnid in self._index or first is not None:
                where = (
                    f"first defined at {first.path}:{first.line}" if first else f"in {self.name}"
                )
                raise TaxonomyFileError(
                    entry.path,
                    entry.line,
                    f"duplicate synset id {wnid!r} ({where})",
                    code="E_DUPLICATE_SYNSET",
                )
            index[wnid] = len(self) + i
        return index

    def next_custom_id(self, start: int = 1) -> str:
        """The first free custom id ``c%08d`` (the ``c`` prefix never occurs in WordNet)."""
        used = {int(m.group(1)) for w in self._wnids if (m := _CUSTOM_ID.match(w))}
        n = start
        while n in used:
            n += 1
        return f"c{n:08d}"

    def restrict(self, wnids: Iterable[str], *, keep_ancestors: bool = True) -> Taxonomy:
        """The hierarchy induced on a subset.

        With ``keep_ancestors`` (the default) the result holds the given synsets
        and all their ancestors with the edges between them, which is how the
        ILSVRC-2012 devkit builds its 1,860-node tree over the 1,000 classes.
        Without it, the result holds exactly the given synsets, each linked to
        its nearest ancestors within the subset.
        """
        nodes = {self._node(w) for w in wnids}
        if keep_ancestors:
            nodes = {self._by_rank[r] for v in nodes for r in self._closure[v]}
        keep = sorted(nodes)
        position = {v: i for i, v in enumerate(keep)}
        kept_ranks = {self._rank[v] for v in keep}
        parents: list[tuple[int, ...]] = []
        for v in keep:
            if keep_ancestors:
                ps = [p for p in self._parents[v] if p in position]
            else:
                above = (self._closure[v] & kept_ranks) - {self._rank[v]}
                lowest = _graph.minimal(above, self._closure_by_rank)
                ps = sorted(self._by_rank[r] for r in lowest)
            parents.append(tuple(position[p] for p in ps))
        # An instance (a synset with only @i parents, e.g. Mark Twain) stays an
        # instance of whichever ancestors it is linked to in the subset.
        instance = frozenset(
            (position[v], p)
            for v in keep
            for p in parents[position[v]]
            if (v, keep[p]) in self._instance_edges or self._is_instance(v)
        )
        return Taxonomy(
            [self._wnids[v] for v in keep],
            parents,
            instance,
            [self._lemma_lines[v] for v in keep],
            [self._glosses[v] for v in keep],
            [self._lexnames[v] for v in keep],
            name=f"{self.name}[{len(keep)}]",
            senses=[self._sense_lines[v] for v in keep] if self._sense_lines else None,
            usage={position[v]: self._usage[v] for v in keep if v in self._usage},
        )

    def subtree(self, wnid: str) -> Taxonomy:
        """The hierarchy below ``wnid``, with ``wnid`` as its only root."""
        return self.restrict([wnid, *self.descendants(wnid)], keep_ancestors=False)

    # ----------------------------------------------------------------- lookups

    def __len__(self) -> int:
        return len(self._wnids)

    def __contains__(self, wnid: object) -> bool:
        return wnid in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._wnids)

    def __repr__(self) -> str:
        return f"<Taxonomy {self.name!r}: {len(self)} synsets>"

    @property
    def wnids(self) -> Sequence[str]:
        """Every wnid, in the taxonomy's own order (WordNet: offset order)."""
        return tuple(self._wnids)

    @cached_property
    def roots(self) -> tuple[str, ...]:
        """Synsets without parents (WordNet: only entity, ``n00001740``)."""
        return tuple(self._wnids[v] for v in range(len(self)) if not self._parents[v])

    def get(self, wnid: str) -> Synset:
        """The synset with this id; ``UnknownSynsetError`` (with suggestions) if absent."""
        return self._synset(self._node(wnid))

    def suggest(self, text: str, n: int = 5) -> list[str]:
        """Wnids close to ``text``: for an id (a digit or two off, unpadded, a bare offset
        or a prefix: see ``_suggest.suggest_ids``) matching ids, for words search hits."""
        if looks_like_id(text):
            return suggest_ids(text, self._wnids, self._index, n)
        return [s.wnid for s in self.search(text.strip(), limit=n)]

    def search(self, text: str, limit: int = 20) -> list[Synset]:
        """Synsets whose lemmas or gloss match ``text``, best first.

        Exact lemma matches rank first, then lemma prefixes, lemmas containing
        every word, lemma substrings, and glosses containing every word; within
        a rank, synsets whose first lemma matches come first, then WordNet's
        more frequent senses (``dog`` → the animal).
        """
        return [self._synset(v) for v in self._search_index.search(text, limit)]

    def parents(self, wnid: str) -> tuple[str, ...]:
        """Direct parents: hypernyms, then instance hypernyms."""
        return self._wnids_of(self._parents[self._node(wnid)])

    def children(self, wnid: str) -> tuple[str, ...]:
        """Direct children (hyponyms and instances)."""
        return self._wnids_of(self._children[self._node(wnid)])

    def ancestors(self, wnid: str, *, include_self: bool = False) -> list[str]:
        """All ancestors, nearest first (by longest depth, deepest first; ties by wnid)."""
        v = self._node(wnid)
        own = self._rank[v]
        ranks = sorted(self._closure[v])  # rank order is nearest-first order
        return [self._wnid_by_rank[r] for r in ranks if include_self or r != own]

    def descendants(self, wnid: str, *, include_self: bool = False) -> list[str]:
        """All descendants, breadth-first from ``wnid``, each once."""
        v = self._node(wnid)
        found = _graph.descendants(self._children, v)
        return self._wnids_list(([v] if include_self else []) + found)

    def is_a(self, wnid: str, ancestor: str) -> bool:
        """True when ``ancestor`` is ``wnid`` itself or one of its ancestors."""
        return self._rank[self._node(ancestor)] in self._closure[self._node(wnid)]

    def depth(self, wnid: str) -> Depth:
        """Edges from ``wnid`` up to a root, along the shortest and the longest path."""
        v = self._node(wnid)
        return Depth(self._depths[0][v], self._depths[1][v])

    def height(self, wnid: str) -> int:
        """Edges along the longest path down to a leaf (ImageNet's wordnet_height; 0 at leaves)."""
        return self._heights[self._node(wnid)]

    def paths_to_root(self, wnid: str) -> list[tuple[str, ...]]:
        """Every path from ``wnid`` up to a root, each starting at ``wnid``, sorted."""
        paths = _graph.paths_up(self._parents, self._node(wnid))
        return sorted(self._wnids_of(p) for p in paths)

    def lcas(self, a: str, b: str) -> list[str]:
        """All lowest common ancestors: common ancestors (or selves) with no common
        descendant among them, deepest first (the order ``lca`` chooses by)."""
        common = self._closure[self._node(a)] & self._closure[self._node(b)]
        lowest = _graph.minimal(common, self._closure_by_rank)
        return [self._wnid_by_rank[r] for r in sorted(lowest)]

    def lca(self, a: str, b: str) -> str:
        """The lowest common ancestor, chosen deterministically.

        Among the lowest common ancestors this picks the one farthest from the
        root along its longest path (as nltk's ``lowest_common_hypernyms``
        does), breaking ties by the smaller wnid. ``lca(a, b) == lca(b, a)``.

        Raises:
            TaxonomyError: ``E_NO_COMMON_ANCESTOR`` when the two share no root.
        """
        # The closure holds ranks (positions in that preference order), so the
        # answer is the smallest shared rank: one C-level intersection and min.
        closure = self._closure
        try:
            common = closure[self._index[a]] & closure[self._index[b]]
        except KeyError:
            common = closure[self._node(a)] & closure[self._node(b)]  # raises with suggestions
        if not common:
            raise TaxonomyError(f"{a} and {b} have no common ancestor", code="E_NO_COMMON_ANCESTOR")
        return self._wnid_by_rank[min(common)]

    def lca_many(self, a: Sequence[str], b: Sequence[str]) -> list[str]:
        """``[lca(x, y) for x, y in zip(a, b)]``, vectorised with NumPy.

        For evaluation-sized batches (a confusion matrix, every top-k pair of a
        validation set): each node's ancestor ranks are stored sorted, so the
        lowest common ancestor is the first rank two lists share, found by a
        merge that advances all pairs at once, one NumPy step per ancestor.
        Pairs go through in chunks, so memory stays bounded for any batch.
        """
        if len(a) != len(b):
            raise ValueError(f"lca_many needs equal lengths, got {len(a)} and {len(b)}")
        wnid_by_rank = self._wnid_by_rank
        out: list[str] = []
        for start in range(0, len(a), _LCA_CHUNK):
            left, right = a[start : start + _LCA_CHUNK], b[start : start + _LCA_CHUNK]
            ptr, flat = self._closure_csr
            ranks = _graph.smallest_shared(
                ptr, flat, self._node_array(left), self._node_array(right)
            )
            if (ranks < 0).any():
                i = int((ranks < 0).argmax())
                self.lca(left[i], right[i])  # raises E_NO_COMMON_ANCESTOR for that pair
            out.extend(wnid_by_rank[r] for r in ranks.tolist())
        return out

    def usage_flags(self, wnid: str) -> tuple[UsageFlag, ...]:
        """WordNet's usage-domain pointers (``;u``) of a synset, lemma-only ones included.

        Empty for custom synsets and custom taxonomies. See ``hierarchy.usage``.
        """
        return self._usage.get(self._node(wnid), ())

    def usage_domains(self, wnid: str, *, lemmas: bool = False) -> tuple[str, ...]:
        """Wnids of the usage domains that mark this synset as a whole (with ``lemmas``,
        also those that mark one of its lemmas only), in WordNet's order.

        Example:
            >>> Taxonomy.wordnet().usage_domains("n09698337")  # chink, Chinaman
            ('n06717170', 'n06718862', 'n07157273')
        """
        flags = self.usage_flags(wnid)
        return tuple(dict.fromkeys(f.domain for f in flags if lemmas or f.lemma is None))

    def with_usage_domains(self, domains: Iterable[str], *, lemmas: bool = False) -> list[str]:
        """Every synset that one of ``domains`` marks (as ``usage_domains``), in order."""
        wanted = set(domains)
        return [
            self._wnids[v]
            for v in sorted(self._usage)
            if any(f.domain in wanted and (lemmas or f.lemma is None) for f in self._usage[v])
        ]

    # ----------------------------------------------------------------- bulk views

    def synsets(self) -> Iterator[Synset]:
        """Every synset, in the taxonomy's order."""
        return (self._synset(v) for v in range(len(self)))

    def edges(self) -> Iterator[tuple[str, str, bool]]:
        """Every ``(child, parent, is_instance)`` edge."""
        for v in range(len(self)):
            for p in self._parents[v]:
                yield self._wnids[v], self._wnids[p], (v, p) in self._instance_edges

    def closure_pairs(self) -> Iterator[tuple[str, str]]:
        """Every ``(ancestor, descendant)`` pair, including each synset with itself."""
        for v, above in enumerate(self._closure):
            for r in above:
                yield self._wnid_by_rank[r], self._wnids[v]

    @cached_property
    def fingerprint(self) -> str:
        """sha256 over every synset's id, lemmas, gloss and parents: equal iff same content."""
        digest = hashlib.sha256()
        for v in range(len(self)):
            parents = ",".join(self._wnids[p] for p in self._parents[v])
            instance = ",".join(
                self._wnids[p] for p in self._parents[v] if (v, p) in self._instance_edges
            )
            fields = (self._wnids[v], self._lemma_lines[v], self._glosses[v], parents, instance)
            digest.update(("\t".join(fields) + "\n").encode("utf-8"))
        return digest.hexdigest()

    # ----------------------------------------------------------------- internals

    def _node(self, wnid: str) -> int:
        try:
            return self._index[wnid]
        except (KeyError, TypeError):
            close = self.suggest(str(wnid))
            names = {w: self._synset(self._index[w]).name for w in close}
            raise UnknownSynsetError(str(wnid), close, names) from None

    def _wnids_of(self, nodes: Iterable[int]) -> tuple[str, ...]:
        return tuple(self._wnids[v] for v in nodes)

    def _wnids_list(self, nodes: Iterable[int]) -> list[str]:
        return [self._wnids[v] for v in nodes]

    def _is_instance(self, v: int) -> bool:
        parents = self._parents[v]
        return bool(parents) and all((v, p) in self._instance_edges for p in parents)

    def _synset(self, v: int) -> Synset:
        line = self._lemma_lines[v]
        parents = self._parents[v]
        hyper = tuple(self._wnids[p] for p in parents if (v, p) not in self._instance_edges)
        inst = tuple(self._wnids[p] for p in parents if (v, p) in self._instance_edges)
        return Synset(
            self._wnids[v],
            tuple(line.split("\t")) if line else (),
            self._glosses[v],
            hyper,
            inst,
            self._lexnames[v],
        )

    @cached_property
    def _children(self) -> list[tuple[int, ...]]:
        return _graph.invert(self._parents)

    @cached_property
    def _order(self) -> list[int]:
        order, stuck = _graph.topological_order(self._parents, self._children)
        if stuck:  # from_entries rejects cycles; only the low-level constructor can get here
            raise TaxonomyError(f"{self.name} has a cycle", code="E_CYCLE")
        return order

    @cached_property
    def _depths(self) -> tuple[list[int], list[int]]:
        return _graph.depths(self._parents, self._order)

    @cached_property
    def _heights(self) -> list[int]:
        return _graph.heights(self._children, self._order)

    @cached_property
    def _closure(self) -> list[frozenset[int]]:
        """For each node, the *ranks* of itself and all its ancestors."""
        return _graph.ancestor_closure(self._parents, self._order, self._rank)

    @cached_property
    def _by_rank(self) -> list[int]:
        """Nodes in LCA preference order: longest depth first (deepest), then wnid."""
        longest = self._depths[1]
        return sorted(range(len(self)), key=lambda v: (-longest[v], self._wnids[v]))

    @cached_property
    def _rank(self) -> list[int]:
        """Each node's position in ``_by_rank``."""
        rank = [0] * len(self)
        for position, v in enumerate(self._by_rank):
            rank[v] = position
        return rank

    @cached_property
    def _wnid_by_rank(self) -> list[str]:
        return [self._wnids[v] for v in self._by_rank]

    @cached_property
    def _closure_csr(self) -> tuple[Any, Any]:
        return _graph.pack_sorted(self._closure)

    def _node_array(self, wnids: Sequence[str]) -> Any:
        import numpy as np

        try:
            return np.fromiter(map(self._index.__getitem__, wnids), np.int64, count=len(wnids))
        except KeyError:
            for w in wnids:
                self._node(w)  # raises UnknownSynsetError with suggestions
            raise

    @cached_property
    def _closure_by_rank(self) -> list[frozenset[int]]:
        return [self._closure[v] for v in self._by_rank]

    @cached_property
    def _search_index(self) -> SearchIndex:
        senses = None
        if self._sense_lines is not None:
            senses = [
                [int(s) for s in line.split("\t")] if line else [] for line in self._sense_lines
            ]
        lemmas = [line.split("\t") if line else [] for line in self._lemma_lines]
        return SearchIndex(lemmas, self._glosses, senses)


def _check_acyclic(entries: Sequence[Entry], parents: list[tuple[int, ...]]) -> None:
    _, stuck = _graph.topological_order(parents, _graph.invert(parents))
    if not stuck:
        return
    cycle = _graph.find_cycle(parents, stuck)
    where = entries[cycle[0]]
    names = " -> ".join(entries[v].synset.wnid for v in [*cycle, cycle[0]])
    raise TaxonomyFileError(where.path, where.line, f"cycle of parents: {names}", code="E_CYCLE")
