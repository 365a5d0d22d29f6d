"""Close matches for a mistyped synset id."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

# An id as people type it: optional n/c (any case), then 1 to 8 digits, padded or not.
_ID_LIKE = re.compile(r"^([nc])?(\d{1,8})$")


def looks_like_id(text: str) -> bool:
    """True when ``text`` reads as a (possibly mistyped) wnid or a bare WordNet offset."""
    return bool(_ID_LIKE.match(text.strip().lower()))


def as_wnid(text: str) -> str | None:
    """The id ``text`` names when read as people type ids (``02084071``, ``N02084071``,
    ``n2084071`` are all ``n02084071``); None when it does not read as one."""
    m = _ID_LIKE.match(text.strip().lower())
    return None if m is None else f"{m.group(1) or 'n'}{int(m.group(2)):08d}"


def suggest_ids(text: str, wnids: Sequence[str], known: Collection[str], n: int = 5) -> list[str]:
    """Ids in ``wnids`` that ``text`` probably meant, best first.

    ``known`` answers membership fast (a dict or set of the same ids). Accepted
    forms: ``n02084071`` with a digit or two wrong, ``N02084071``, a bare offset
    (``02084071``, ``2084071``), an unpadded id (``n2084071``) and a prefix
    (``n0208407``). Anything else gives no suggestions.
    """
    m = _ID_LIKE.match(text.strip().lower())
    padded = as_wnid(text)
    if m is None or padded is None:
        return []
    letter, digits = m.group(1) or "n", m.group(2)
    found: list[str] = []
    if padded in known:
        found.append(padded)
    if len(digits) < 8:
        prefix = letter + digits
        found.extend(sorted(w for w in wnids if w.startswith(prefix)))
    else:
        found.extend(_near_misses(padded, wnids))
    return list(dict.fromkeys(found))[:n]


def _near_misses(wnid: str, wnids: Sequence[str]) -> list[str]:
    """Same-length ids differing in at most two characters, fewest differences first."""
    scored = []
    for w in wnids:
        if len(w) == len(wnid) and w[0] == wnid[0]:
            differing = sum(a != b for a, b in zip(w, wnid, strict=True))
            if differing <= 2:
                scored.append((differing, abs(_number(w) - _number(wnid)), w))
    return [w for *_, w in sorted(scored)]


def _number(wnid: str) -> int:
    digits = wnid[1:]
    return int(digits) if digits.isdigit() else 0
