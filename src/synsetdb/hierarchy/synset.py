"""The synset record and ImageNet's wnid conventions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Depth",
    "Synset",
    "is_wordnet_id",
    "offset_of",
    "wnid_of",
]

_WORDNET_ID = re.compile(r"^n\d{8}$")


def is_wordnet_id(wnid: str) -> bool:
    """True for ImageNet/WordNet noun ids: ``n`` followed by an 8-digit offset."""
    return bool(_WORDNET_ID.match(wnid))


def wnid_of(offset: int) -> str:
    """ImageNet's id for a WordNet 3.0 noun offset: ``wnid_of(2084071) == "n02084071"``."""
    return f"n{offset:08d}"


def offset_of(wnid: str) -> int | None:
    """The WordNet offset inside a wnid, or None for a custom id."""
    return int(wnid[1:]) if is_wordnet_id(wnid) else None


@dataclass(frozen=True, slots=True)
class Synset:
    """One node of the hierarchy.

    Attributes:
        wnid: ImageNet's id (``n02084071``) or a custom id.
        lemmas: WordNet's lemmas, underscores for spaces (``domestic_dog``).
        gloss: the definition (and WordNet's example sentences).
        hypernyms: is-a parents (WordNet's ``@`` pointers).
        instance_hypernyms: instance-of parents (WordNet's ``@i`` pointers).
        lexname: WordNet's lexicographer file (``noun.animal``), None when custom.
    """

    wnid: str
    lemmas: tuple[str, ...]
    gloss: str = ""
    hypernyms: tuple[str, ...] = ()
    instance_hypernyms: tuple[str, ...] = ()
    lexname: str | None = field(default=None, compare=False)

    @property
    def parents(self) -> tuple[str, ...]:
        """All parents: hypernyms then instance hypernyms."""
        return self.hypernyms + self.instance_hypernyms

    @property
    def name(self) -> str:
        """The first lemma in plain words (``domestic dog``)."""
        return self.lemmas[0].replace("_", " ") if self.lemmas else self.wnid

    @property
    def words(self) -> str:
        """All lemmas as ImageNet's ``words.txt`` writes them (``dog, domestic dog, …``)."""
        return ", ".join(lemma.replace("_", " ") for lemma in self.lemmas)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "wnid": self.wnid,
            "name": self.name,
            "lemmas": list(self.lemmas),
            "gloss": self.gloss,
            "hypernyms": list(self.hypernyms),
            "instance_hypernyms": list(self.instance_hypernyms),
            "lexname": self.lexname,
        }


@dataclass(frozen=True, slots=True)
class Depth:
    """Distance from a synset up to a root, along the shortest and the longest path."""

    shortest: int
    longest: int
