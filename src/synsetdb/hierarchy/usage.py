"""WordNet's usage domains: the ``;u`` pointers that mark a noun as a slur, obscene, slang, ….

WordNet 3.0 links 936 noun synsets (1,066 pointers) to the synset of a *usage
domain*: ``n06717170`` disparagement, ``n06718862`` ethnic slur,
``n07124340`` obscenity, ``n07157273`` slang, ``n07075172`` colloquialism,
``n06845599`` trade name and 17 more. Most pointers mark the whole synset;
406 mark one of its lemmas only (WordNet's "lexical" pointers): "blackamoor"
is an ethnic slur, the synset ``n09636339`` (Black person) is not.

``SENSITIVE_USAGE_DOMAINS`` names the three domains that say a word is
offensive. Slang and colloquialism are not in it: they mark register
("cop", "boffin", "nosh-up"), and WordNet's offensive slang synsets also carry
disparagement, ethnic slur or obscenity. Counts in WordNet 3.0 (whole
synsets, then those with a lemma-only flag in brackets): disparagement 39
(+1), ethnic slur 12 (+1), obscenity 8; 47 synsets (+2) carry at least one
of the three, 39 (+2) of them in the person subtree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

__all__ = ["SENSITIVE_USAGE_DOMAINS", "LazyUsage", "UsageFlag"]

# wnid of the usage-domain synset -> a short name (its first lemma).
SENSITIVE_USAGE_DOMAINS: dict[str, str] = {
    "n06717170": "disparagement",  # "a communication that belittles somebody or something"
    "n06718862": "ethnic slur",  # "a slur on someone's race or language"
    "n07124340": "obscenity",  # "an offensive or indecent word or phrase"
}


@dataclass(frozen=True, slots=True)
class UsageFlag:
    """One usage-domain pointer of a synset.

    Attributes:
        domain: wnid of the usage-domain synset (e.g. ``n06718862`` ethnic slur).
        lemma: the one lemma the pointer marks; None when it marks the whole synset.
    """

    domain: str
    lemma: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"domain": self.domain, "lemma": self.lemma}


class LazyUsage(Mapping[int, tuple[UsageFlag, ...]]):
    """Each flagged node's flags (nodes without flags are absent), made on first use.

    Built from the bundled arrays (``usage_synset``, ``usage_domain``,
    ``usage_lemma``: see ``data/README.md``): loading WordNet only reads them,
    so a taxonomy that never asks pays nothing for its 1,066 flags.
    """

    def __init__(
        self, arrays: tuple[Any, Any, Any], wnids: Sequence[str], lemma_lines: Sequence[str]
    ) -> None:
        self._arrays = arrays
        self._wnids = wnids
        self._lemma_lines = lemma_lines

    @cached_property
    def _flags(self) -> dict[int, tuple[UsageFlag, ...]]:
        synsets, domains, numbers = (a.tolist() for a in self._arrays)
        flags: dict[int, list[UsageFlag]] = {}
        for node, domain, number in zip(synsets, domains, numbers, strict=True):
            lemma = self._lemma_lines[node].split("\t")[number - 1] if number else None
            flags.setdefault(node, []).append(UsageFlag(self._wnids[domain], lemma))
        return {node: tuple(found) for node, found in flags.items()}

    def __getitem__(self, node: int) -> tuple[UsageFlag, ...]:
        return self._flags[node]

    def __iter__(self) -> Iterator[int]:
        return iter(self._flags)

    def __len__(self) -> int:
        return len(self._flags)
