"""The versions table: ImageNet's published class lists and a project's releases side by side.

Each *version* is a list of classes: a named synset set (``hierarchy.named_sets()``:
ILSVRC-2012, ImageNet-21k fall11 and Google's 21k, ImageNet-12k, ImageNet-21K-P
from fall11 and from winter21, mini-ImageNet, ImageNet-A/R, the person subtree,
Deng et al. 2009's subtrees) or a release of the project. For each the table
counts its classes, those in the person subtree (``n00007846``), those WordNet
marks with a sensitive usage domain (``hierarchy.SENSITIVE_USAGE_DOMAINS``:
disparagement, ethnic slur, obscenity), and those that are not WordNet 3.0
nouns; and it gives ``|A ∩ B|`` for every pair.

"What the 2021 filtering removed": Yang et al. 2020 ("Towards Fairer
Datasets", FAT* 2020) found 1,593 of ImageNet-21k's 2,832 person synsets
unsafe, and the winter21 release dropped them. timm ships no class list of the
winter21 release as a whole, so the figure computed here is the one the
shipped lists support: the classes of ImageNet-21K-P processed from fall11
that are not in ImageNet-21K-P processed from winter21 (``winter21_removal``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from ..errors import NotFoundError, TaxonomyError
from ..hierarchy import PERSON_ROOT, SENSITIVE_USAGE_DOMAINS, Taxonomy, named_set, named_sets

if TYPE_CHECKING:
    from ..catalog import Project

__all__ = [
    "FALL11_P",
    "WINTER21_P",
    "VersionClass",
    "VersionList",
    "VersionRow",
    "VersionsDiff",
    "VersionsTable",
    "Winter21Removal",
    "diff_versions",
    "version_lists",
    "versions_table",
    "winter21_removal",
]

FALL11_P, WINTER21_P = "imagenet21k-p", "imagenet21k-p-winter21"
RELEASE_PREFIX = "release:"  # names a release whose name a named set also has


@dataclass(frozen=True, slots=True)
class VersionList:
    """One version's classes (wnids, in the list's own order)."""

    key: str  # what diff_versions takes: the set's or release's name (see RELEASE_PREFIX)
    name: str
    kind: str  # "set" or "release"
    title: str
    wnids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VersionRow:
    """One line of the table.

    Attributes:
        key: the name ``diff_versions`` takes (a release named like a set: ``release:NAME``).
        classes: how many classes (distinct wnids) the version has.
        person: classes in the person subtree (``n00007846`` and below).
        sensitive: classes a sensitive usage domain marks as a whole.
        sensitive_lemma: classes where one marks a lemma only (not counted in ``sensitive``).
        not_wordnet: classes that are not WordNet 3.0 nouns (custom or unknown ids).
    """

    key: str
    name: str
    kind: str
    title: str
    classes: int
    person: int
    sensitive: int
    sensitive_lemma: int
    not_wordnet: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Winter21Removal:
    """What the winter21 processing removed, measured on ImageNet-21K-P (see the module).

    ``removed`` are the classes of ``before`` not in ``after``; ``added`` the reverse.
    """

    before: str
    after: str
    before_classes: int
    after_classes: int
    removed: int
    removed_person: int
    removed_sensitive: int
    added: int
    person_before: int
    person_after: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class VersionsTable:
    """Every version with its counts, and the overlap of every pair.

    ``overlap[i][j]`` is ``|rows[i] ∩ rows[j]|`` (the diagonal: each row's classes).
    """

    rows: tuple[VersionRow, ...]
    overlap: tuple[tuple[int, ...], ...]
    winter21: Winter21Removal
    taxonomy: str  # the taxonomy names, person and usage flags come from

    def index(self, key: str) -> int:
        """The row of ``key`` (``E_UNKNOWN_VERSION`` if none)."""
        for i, row in enumerate(self.rows):
            if row.key == key:
                return i
        raise _unknown(key, [row.key for row in self.rows])

    def overlap_of(self, a: str, b: str) -> int:
        """``|A ∩ B|`` of two rows by key."""
        return self.overlap[self.index(a)][self.index(b)]

    def to_dict(self) -> dict[str, Any]:
        keys = [row.key for row in self.rows]
        return {
            "taxonomy": self.taxonomy,
            "rows": [row.to_dict() for row in self.rows],
            "overlap": {"keys": keys, "matrix": [list(r) for r in self.overlap]},
            "winter21_removal": self.winter21.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class VersionClass:
    """A class of a diff: its wnid, name and flags."""

    wnid: str
    name: str
    person: bool
    sensitive: bool
    wordnet: bool  # a WordNet 3.0 noun

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class VersionsDiff:
    """The classes only in ``a``, only in ``b`` (sorted by wnid), and how many both have.

    ``only_a``/``only_b`` hold at most ``listed`` classes each when a limit was
    given; ``only_a_count``/``only_b_count`` always count all of them.
    """

    a: str
    b: str
    a_classes: int
    b_classes: int
    both: int
    only_a_count: int
    only_b_count: int
    only_a: tuple[VersionClass, ...]
    only_b: tuple[VersionClass, ...]
    only_a_person: int
    only_b_person: int
    listed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["only_a"] = [c.to_dict() for c in self.only_a]
        data["only_b"] = [c.to_dict() for c in self.only_b]
        return data


# ----------------------------------------------------------------------------- reading the lists


def _reference(project: Project | None, taxonomy: Taxonomy | None) -> tuple[Taxonomy, Taxonomy]:
    """(the taxonomy flags and names come from, WordNet 3.0).

    The project's taxonomy when it holds the person subtree (WordNet, or one
    extending it), else WordNet 3.0, whose sets these are.
    """
    tax = taxonomy or (project.taxonomy if project is not None else None)
    if tax is not None and tax.name == "wordnet-3.0":
        return tax, tax
    wordnet = Taxonomy.wordnet()
    if tax is None or PERSON_ROOT not in tax:
        return wordnet, wordnet
    return tax, wordnet


def version_lists(
    project: Project | None = None, taxonomy: Taxonomy | None = None
) -> list[VersionList]:
    """Every named set, then every release of ``project`` (by name), as class lists."""
    tax, _ = _reference(project, taxonomy)
    sets = [_named(name, tax) for name in named_sets()]
    if project is None:
        return sets
    from ..release.class_lists import release_class_lists

    set_names = {v.name for v in sets}
    releases = [
        VersionList(
            f"{RELEASE_PREFIX}{name}" if name in set_names else name,
            name,
            "release",
            f"release {name}",
            wnids,
        )
        for name, wnids in release_class_lists(project).items()
    ]
    return sets + releases


def _named(name: str, tax: Taxonomy) -> VersionList:
    try:
        s = named_set(name, tax)
    except TaxonomyError:  # a subtree whose root the taxonomy lacks
        s = named_set(name)
    return VersionList(name, name, "set", s.title or s.source, s.wnids)


# ----------------------------------------------------------------------------- the table


def versions_table(
    project: Project | None = None,
    taxonomy: Taxonomy | None = None,
    lists: Sequence[VersionList] | None = None,
) -> VersionsTable:
    """The versions table of ``project`` (the named sets only without one).

    Args:
        project: whose releases join the named sets (two queries).
        taxonomy: where names, the person subtree and usage flags come from;
            the project's (or WordNet 3.0) by default.
        lists: the versions, if already read (``version_lists``).
    """
    tax, wordnet = _reference(project, taxonomy)
    versions = list(lists) if lists is not None else version_lists(project, tax)
    flags = _Flags(tax, wordnet)
    rows = tuple(flags.row(v) for v in versions)
    return VersionsTable(
        rows, _overlap(versions), _removal({v.key: v for v in versions}, flags), tax.name
    )


def winter21_removal(taxonomy: Taxonomy | None = None) -> Winter21Removal:
    """ImageNet-21K-P from fall11 against ImageNet-21K-P from winter21 (see the module)."""
    tax, wordnet = _reference(None, taxonomy)
    return _removal({}, _Flags(tax, wordnet))


class _Flags:
    """Which wnids are persons, sensitive, WordNet nouns; and their names."""

    def __init__(self, tax: Taxonomy, wordnet: Taxonomy) -> None:
        self.tax, self.wordnet = tax, wordnet
        self.nouns = frozenset(wordnet.wnids)
        self.person = frozenset(tax.descendants(PERSON_ROOT, include_self=True))
        self.sensitive = frozenset(tax.with_usage_domains(SENSITIVE_USAGE_DOMAINS))
        every = tax.with_usage_domains(SENSITIVE_USAGE_DOMAINS, lemmas=True)
        self.sensitive_lemma = frozenset(every) - self.sensitive

    def row(self, v: VersionList) -> VersionRow:
        wnids = set(v.wnids)
        return VersionRow(
            v.key,
            v.name,
            v.kind,
            v.title,
            len(wnids),
            len(wnids & self.person),
            len(wnids & self.sensitive),
            len(wnids & self.sensitive_lemma),
            len(wnids - self.nouns),
        )

    def version_class(self, wnid: str) -> VersionClass:
        source = self.tax if wnid in self.tax else self.wordnet
        name = source.get(wnid).name if wnid in source else ""
        return VersionClass(
            wnid, name, wnid in self.person, wnid in self.sensitive, wnid in self.nouns
        )


def _overlap(versions: Sequence[VersionList]) -> tuple[tuple[int, ...], ...]:
    """``|A ∩ B|`` for every pair (a set intersection walks the smaller set: milliseconds)."""
    sets = [frozenset(v.wnids) for v in versions]
    n = len(sets)
    matrix = [[0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            matrix[i][j] = matrix[j][i] = len(sets[i] & sets[j])
    return tuple(tuple(row) for row in matrix)


def _removal(lists: Mapping[str, VersionList], flags: _Flags) -> Winter21Removal:
    before, after = (
        set((lists[name] if name in lists else _named(name, flags.tax)).wnids)
        for name in (FALL11_P, WINTER21_P)
    )
    removed = before - after
    return Winter21Removal(
        FALL11_P,
        WINTER21_P,
        len(before),
        len(after),
        len(removed),
        len(removed & flags.person),
        len(removed & flags.sensitive),
        len(after - before),
        len(before & flags.person),
        len(after & flags.person),
    )


# ----------------------------------------------------------------------------- diffs


def diff_versions(
    a: str,
    b: str,
    project: Project | None = None,
    taxonomy: Taxonomy | None = None,
    *,
    limit: int | None = None,
    lists: Sequence[VersionList] | None = None,
) -> VersionsDiff:
    """The classes only in version ``a``, only in ``b`` (with names), and how many both hold.

    Args:
        a, b: keys of the table's rows: a named set's name or a release's
            (``release:NAME`` for a release named like a set).
        limit: list at most this many classes on each side (all counted).

    Raises:
        NotFoundError: ``E_UNKNOWN_VERSION`` for a key that names no version.

    Example:
        >>> d = diff_versions("imagenet21k-fall11", "ilsvrc2012")  # doctest: +SKIP
        >>> d.only_b_count, d.only_b[0].wnid  # doctest: +SKIP
        (1, 'n04399382')
    """
    tax, wordnet = _reference(project, taxonomy)
    versions = {v.key: v for v in (lists or version_lists(project, tax))}
    for key in (a, b):
        if key not in versions:
            raise _unknown(key, list(versions))
    first, second = set(versions[a].wnids), set(versions[b].wnids)
    flags = _Flags(tax, wordnet)
    only_a, only_b = sorted(first - second), sorted(second - first)
    return VersionsDiff(
        a,
        b,
        len(first),
        len(second),
        len(first & second),
        len(only_a),
        len(only_b),
        tuple(flags.version_class(w) for w in only_a[:limit]),
        tuple(flags.version_class(w) for w in only_b[:limit]),
        len(set(only_a) & flags.person),
        len(set(only_b) & flags.person),
        limit,
    )


def _unknown(key: str, known: Sequence[str]) -> NotFoundError:
    return NotFoundError(
        f"no version named {key!r}; known: {', '.join(known)}", code="E_UNKNOWN_VERSION"
    )
