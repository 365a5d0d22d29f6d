"""Ranked text search over lemmas and glosses."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")

# Score bands, best first; within a band a matching head word, then WordNet's sense
# order (most frequent first), then earlier lemmas win.
EXACT, PREFIX, ALL_WORDS_IN_LEMMA, SUBSTRING, ALL_WORDS_IN_GLOSS = 5, 4, 3, 2, 1


def normalise(text: str) -> str:
    """Lowercase, underscores as spaces, single spaces."""
    return " ".join(text.replace("_", " ").lower().split())


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class SearchIndex:
    """An inverted index over one taxonomy's lemmas and glosses, built once."""

    def __init__(
        self,
        lemmas: Sequence[Sequence[str]],
        glosses: Sequence[str],
        senses: Sequence[Sequence[int]] | None,
    ) -> None:
        self._lemmas = [[normalise(lemma) for lemma in ls] for ls in lemmas]
        self._senses = senses
        self._glosses = glosses
        # Postings are ascending lists, not sets: a third of the memory.
        self._lemma_words: dict[str, list[int]] = defaultdict(list)
        self._gloss_words: dict[str, list[int]] = defaultdict(list)
        for node, forms in enumerate(self._lemmas):
            _post(self._lemma_words, node, (w for form in forms for w in words(form)))
        for node, gloss in enumerate(glosses):
            _post(self._gloss_words, node, words(gloss))

    def search(self, query: str, limit: int) -> list[int]:
        """Node ids ranked by how well their lemmas, then glosses, match ``query``."""
        text = normalise(query)
        terms = words(text)
        if not terms:
            return []
        scored = [(self._rank(node, text), node) for node in self._candidates(terms, text)]
        scored.sort()
        return [node for _, node in scored[:limit]]

    def _candidates(self, terms: list[str], text: str) -> set[int]:
        found = _all_of(self._lemma_words, terms) | _all_of(self._gloss_words, terms)
        if not found and len(text) >= 3:  # fall back to substrings of lemmas
            found = {n for n, forms in enumerate(self._lemmas) if any(text in f for f in forms)}
        return found

    def _rank(self, node: int, text: str) -> tuple[int, bool, int, int]:
        best = (-ALL_WORDS_IN_GLOSS, True, 1_000, 1_000)
        terms = set(words(text))
        for position, form in enumerate(self._lemmas[node]):
            if form == text:
                band = EXACT
            elif form.startswith(text):
                band = PREFIX
            elif terms <= set(words(form)):
                band = ALL_WORDS_IN_LEMMA
            elif text in form:
                band = SUBSTRING
            else:
                continue
            sense = self._senses[node][position] if self._senses else 1
            # A synset whose head word matches beats one that merely lists it.
            best = min(best, (-band, position > 0, sense, position))
        return best


def _post(postings: dict[str, list[int]], node: int, tokens: Iterable[str]) -> None:
    for token in tokens:
        posting = postings[token]
        if not posting or posting[-1] != node:
            posting.append(node)


def _all_of(postings: dict[str, list[int]], terms: list[str]) -> set[int]:
    """Nodes whose postings hold every term."""
    lists = sorted((postings.get(t, []) for t in terms), key=len)
    found = set(lists[0])
    for other in lists[1:]:
        found.intersection_update(other)
    return found
