"""How a release's labels were obtained, counted and put in words.

Each item's label is a candidate row with a ``status`` (``candidate``,
``accepted``, ``rejected``, ``undecided``) and, once decided, who decided it
(``decided_by``): a source trusted at ingest (``source``), the crowd's
consensus (``crowd``) or a person (``person``). The build counts its items by
(status, decided_by), with each trusted source's share and the crowd's votes,
and stores that in the build report (``report.json``, key ``labels``)::

    {"items": 62,
     "groups": [
       {"status": "accepted", "decided_by": "source", "items": 44,
        "sources": {"folder:/photos": 44}},
       {"status": "accepted", "decided_by": "crowd", "items": 10, "votes": 31},
       {"status": "accepted", "decided_by": "person", "items": 3},
       {"status": "candidate", "decided_by": null, "items": 5}],
     "text": "44 labels from a trusted source (folder:/photos), 10 accepted by crowd
              consensus (31 votes), 3 accepted by a person, 5 unverified candidates
              (status 'candidate')"}

``describe_labels`` gives the text; the datasheet and the CLI say it as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["describe_labels", "label_issues", "label_summary"]

_STATUS_ORDER = ("accepted", "candidate", "undecided", "rejected")
_BY_ORDER = ("source", "crowd", "person")
_LISTED = 5  # trusted sources named in the text; the rest are counted


def label_summary(items: Iterable[tuple[str, str | None, str | None, int]]) -> dict[str, Any]:
    """Count items by how their label was obtained.

    Args:
        items: per item, ``(status, decided_by, the source that proposed the
            label, the crowd's votes on it)``.

    Returns:
        ``{"items", "groups", "text"}`` as the module docstring shows; groups
        in a fixed order (accepted first; source, crowd, person, unrecorded).
    """
    groups: dict[tuple[str, str | None], dict[str, Any]] = {}
    total = 0
    for status, by, source, votes in items:
        total += 1
        group = groups.setdefault((status, by), {"status": status, "decided_by": by, "items": 0})
        group["items"] += 1
        if by == "source":
            sources = group.setdefault("sources", {})
            sources[source or "unknown"] = sources.get(source or "unknown", 0) + 1
        elif by == "crowd":
            group["votes"] = group.get("votes", 0) + votes
    ordered = [groups[key] for key in sorted(groups, key=_rank)]
    for group in ordered:
        if "sources" in group:
            group["sources"] = dict(
                sorted(group["sources"].items(), key=lambda kv: (-kv[1], kv[0]))
            )
    summary: dict[str, Any] = {"items": total, "groups": ordered}
    summary["text"] = describe_labels(summary)
    return summary


def _rank(key: tuple[str, str | None]) -> tuple[int, str, int, str]:
    status, by = key
    s = _STATUS_ORDER.index(status) if status in _STATUS_ORDER else len(_STATUS_ORDER)
    b = _BY_ORDER.index(by) if by in _BY_ORDER else len(_BY_ORDER)
    return (s, status, b, by or "")


def describe_labels(summary: Mapping[str, Any]) -> str:
    """The summary's groups in words, e.g. ``44 labels from a trusted source (folder:/x), …``."""
    groups = summary.get("groups", ())
    ordered = sorted(groups, key=lambda g: _rank((g["status"], g.get("decided_by"))))
    phrases = [_phrase(group) for group in ordered]
    return ", ".join(phrases) if phrases else "no labels"


def _phrase(group: Mapping[str, Any]) -> str:
    n, status, by = int(group["items"]), str(group["status"]), group.get("decided_by")
    count = f"{n:,}"
    if status == "candidate":
        return f"{count} unverified candidate{_s(n)} (status 'candidate')"
    if status == "accepted" and by == "source":
        return f"{count} label{_s(n)} from {_sources(group.get('sources') or {})}"
    verb = "left undecided" if status == "undecided" else status
    if by == "crowd":
        who = "the crowd" if status == "undecided" else "crowd consensus"
        votes = int(group.get("votes", 0))
        return f"{count} {verb} by {who} ({votes:,} vote{_s(votes)})"
    if by == "person":
        return f"{count} {verb} by a person"
    if by == "source":
        return f"{count} {verb} by its source"
    return f"{count} {verb} (how is not recorded)"


def _sources(sources: Mapping[str, int]) -> str:
    if len(sources) == 1:
        return f"a trusted source ({next(iter(sources))})"
    named = [f"{name} {n:,}" for name, n in list(sources.items())[:_LISTED]]
    more = len(sources) - _LISTED
    return f"trusted sources ({', '.join(named)}{f', {more:,} more' if more > 0 else ''})"


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def label_issues(summary: Mapping[str, Any]) -> list[str]:
    """Known issues in how the labels were obtained: unchecked, undecided or rejected ones."""
    by_status: dict[str, int] = {}
    for group in summary.get("groups", ()):
        by_status[group["status"]] = by_status.get(group["status"], 0) + int(group["items"])
    out = []
    if n := by_status.get("candidate"):
        out.append(
            f"{n:,} label(s) are unverified candidates: no person, crowd or trusted source "
            "checked them"
        )
    if n := by_status.get("undecided"):
        out.append(f"{n:,} label(s) are undecided: checking them reached no decision")
    if n := by_status.get("rejected"):
        out.append(f"{n:,} label(s) were rejected as wrong, and released as the spec asked")
    return out
