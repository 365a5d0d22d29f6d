"""Why a build found nothing to release, and what to do: the ``E_EMPTY_RELEASE`` message.

The usual first wall is a folder ingested as candidates: its labels await a
decision, and a spec takes accepted images by default. The message counts
what the selected synsets do hold, by status, and names the commands or the
spec key (``[selection] labels``) that would release them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from ..catalog import Catalog
from ..errors import ReleaseError
from ._reads import StatusCount, candidate_sources, status_counts
from .spec import ReleaseSpec

__all__ = ["empty_release_error"]

# How each status reads after "are": unverified candidates, rejected...
_WORDS = {
    "candidate": "unverified candidates",
    "undecided": "undecided",
    "rejected": "rejected",
    "accepted": "accepted",
}
_ORDER = ("candidate", "undecided", "rejected", "accepted")


def empty_release_error(
    catalog: Catalog,
    spec: ReleaseSpec,
    kept: Sequence[str],
    synset_ids: Mapping[str, int],
    matched: Mapping[str, int],
    removed: Sequence[Mapping[str, Any]],
) -> ReleaseError:
    """The error for a build left without classes, saying why and what to do.

    Args:
        catalog: the catalog the build read.
        spec: the spec built.
        kept: the selected classes the filters left.
        synset_ids: wnid -> catalog id of the selected classes it holds.
        matched: wnid -> candidates the spec's statuses matched, per selected class.
        removed: the filters' outcomes (``FilterOutcome.to_dict()``).
    """
    least = spec.selection.min_images
    head = (
        f"{spec.source}: the spec selects no class with at least {least} image(s) "
        f"({sum(matched.values()):,} image(s) labelled as it asks)"
    )
    return ReleaseError(
        f"{head}: {_why(catalog, spec, kept, synset_ids, matched, removed)}", code="E_EMPTY_RELEASE"
    )


def _why(
    catalog: Catalog,
    spec: ReleaseSpec,
    kept: Sequence[str],
    synset_ids: Mapping[str, int],
    matched: Mapping[str, int],
    removed: Sequence[Mapping[str, Any]],
) -> str:
    if not kept:
        what = "; ".join(
            f"{r['filter']} removed {r['classes_removed']:,}"
            for r in removed
            if r["classes_removed"]
        )
        if not what:
            return "the selection, less its exclusions, names no synset"
        return (
            f"the filters removed every selected synset ({what}); change [filters] or the selection"
        )
    found = {w: n for w, n in matched.items() if n and w in set(kept)}
    if found:
        largest = max(found, key=lambda w: (found[w], w))
        have = "classes have" if len(found) > 1 else "class has"
        return (
            f"{len(found):,} {have} images, the largest "
            f"{found[largest]:,} ({largest}): under min_images = {spec.selection.min_images}; "
            "lower selection.min_images or add images"
        )
    if any(matched.values()):
        return "the filters removed every class with matching images; change [filters]"
    ids = [synset_ids[w] for w in kept if w in synset_ids]
    with catalog.engine.connect() as conn:
        counts, total = status_counts(conn, ids)
        sources = candidate_sources(conn, ids, "candidate") if "candidate" in counts else {}
    return _statuses(spec, len(kept), counts, total, sources)


def _statuses(
    spec: ReleaseSpec,
    selected: int,
    counts: Mapping[str, StatusCount],
    total: StatusCount,
    sources: Mapping[str, int],
) -> str:
    images = total.images
    if not images:
        where = "this synset" if selected == 1 else f"the {selected:,} selected synsets"
        return (
            f"the catalog holds no images of {where}; ingest some first "
            "(`synsetdb ingest folder PATH`) or select other synsets"
        )
    these = _these(total.synsets, selected)
    wanted = spec.selection.statuses
    if spec.selection.official_only and any(counts.get(s) for s in wanted):
        held = sum(counts[s].images for s in wanted if s in counts)
        return (
            f"none of the {held:,} images of {these} came with an official split, and "
            'labels = "official" takes only those; use labels = ["accepted"] (or a list of '
            "statuses) for images without one"
        )
    present = [s for s in _ORDER if s in counts] + sorted(set(counts) - set(_ORDER))
    if len(present) == 1:
        status = present[0]
        are = f"{_WORDS.get(status, status)} (status {status!r})"
    else:
        parts = [f"{counts[s].images:,} {_WORDS.get(s, s)} (status {s!r})" for s in present]
        are = ", ".join(parts[:-1]) + f" and {parts[-1]}"
    takes = (
        "a release takes accepted images by default"
        if tuple(wanted) == ("accepted",)
        else f"the spec takes status {', '.join(repr(s) for s in wanted)}"
    )
    return f"the {images:,} images of {these} are {are}; {takes}; {_todo(wanted, present, sources)}"


def _these(synsets: int, selected: int) -> str:
    if synsets == selected:
        return "this synset" if selected == 1 else f"these {selected:,} synsets"
    return f"the {synsets:,} of the {selected:,} selected synsets that have images"


def _todo(wanted: Sequence[str], present: Sequence[str], sources: Mapping[str, int]) -> str:
    open_ = [s for s in present if s not in ("rejected", *wanted)]
    if not open_:
        return (
            "every one was rejected: select other synsets, or decide them again "
            "(`synsetdb label accept --synset WNID --reason TEXT --override`)"
        )
    statuses = json.dumps(sorted({*wanted, *open_}))
    steps = ["accept them (`synsetdb label accept --synset WNID --reason TEXT`"]
    if sources:
        top = max(sources, key=lambda s: (sources[s], s))
        steps[0] += f", or `synsetdb label trust {top}` to take that source's labels as given"
    steps[0] += ")"
    steps.append(f"or release them as they are with `[selection] labels = {statuses}`")
    return ", ".join(steps)
