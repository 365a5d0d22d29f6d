"""Labels as sources give them: why one is refused, and what it probably meant."""

from __future__ import annotations

from ..hierarchy import Taxonomy

__all__ = ["unknown_label_message"]


def unknown_label_message(label: str, taxonomy: Taxonomy, n: int = 3) -> str:
    """``'cats' is not a synset of this project's taxonomy; did you mean n02121808 (domestic
    cat), …?``: the synsets ``label`` probably meant, as an id typo or as words."""
    message = f"{label!r} is not a synset of this project's taxonomy"
    try:
        close = _suggest(label.replace("_", " ").strip(), taxonomy, n)
    except Exception:  # a suggestion is a courtesy: never let it fail the message
        close = []
    if not close:
        return message
    named = ", ".join(f"{w} ({taxonomy.get(w).name})" for w in close)
    return f"{message}; did you mean {named}?"


def _suggest(words: str, taxonomy: Taxonomy, n: int) -> list[str]:
    """Close synsets; folders are often named in the plural (``cats/``): the singular first."""
    if words.lower().endswith("s") and len(words) > 3:
        singular = words[:-1]
        hits = taxonomy.suggest(singular, n=n)
        if hits and singular.lower() in (
            lemma.replace("_", " ").lower() for lemma in taxonomy.get(hits[0]).lemmas
        ):
            return hits
    return taxonomy.suggest(words, n=n)
