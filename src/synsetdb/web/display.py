"""How the explorer writes things for people: lemmas without underscores, numbers, sizes, times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

__all__ = ["FILTERS", "human_bytes", "lemma", "number"]


def lemma(text: str) -> str:
    """A WordNet lemma as people write it: ``domestic_dog`` is "domestic dog"."""
    return text.replace("_", " ")


def number(value: int | float | None) -> str:
    """``1234567`` as "1,234,567"; None as "–"."""
    if value is None:
        return "–"
    return f"{value:,.0f}" if isinstance(value, int) or value == int(value) else f"{value:,.2f}"


def human_bytes(size: int) -> str:
    """``123456`` as "121 KB": binary multiples, three significant figures."""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" or value >= 100 else f"{value:.3g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def hash64(value: int | None) -> str:
    """A 64-bit hash (stored signed) as 16 hex digits."""
    return "–" if value is None else f"{value & (2**64 - 1):016x}"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def when(moment: datetime | None) -> str:
    """A stored time in UTC to the minute ("2026-12-07 14:03 UTC")."""
    return "–" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


FILTERS: dict[str, Callable[..., Any]] = {
    "lemma": lemma,
    "n": number,
    "bytes": human_bytes,
    "percent": percent,
    "when": when,
    "hash64": hash64,
}
