"""Balance: class sizes, classes too small to learn or evaluate, and how images spread by depth.

Every check here works on counts only: the catalog's maintained counts
(``synset_count``) or a release's stored ones (``release_count``), so they cost
a few indexed queries whatever the number of images.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import select

from ...catalog import schema
from ...hierarchy import Taxonomy
from ...release.store import release_report
from .._reads import class_sizes, release_splits, split_sizes, synset_names
from ..context import AuditContext
from ..model import CheckSkipped, Finding
from ..registry import check

_DEPTHS = ("shortest", "longest")


def _label(ctx: AuditContext, wnid: str) -> str:
    """``n02123045 tabby`` (the wnid alone when the catalog has no name for it)."""
    name = synset_names(ctx).get(wnid)
    return f"{wnid} {name}" if name else wnid


def _where(ctx: AuditContext) -> str:
    return f"release {ctx.release.name}" if ctx.release is not None else "the catalog"


# ----------------------------------------------------------------------------- BAL001


@check(
    "BAL001",
    "class-imbalance",
    family="balance",
    level="warning",
    summary="classes far larger or smaller than the median class (by a ratio)",
    options={"ratio": 5.0, "min_classes": 3},
)
def class_imbalance(ctx: AuditContext) -> Iterator[Finding]:
    """Classes more than ``ratio`` times larger than the median class, or ``ratio`` times smaller.

    Sizes are a class's own images in scope (accepted candidates in the
    catalog, items in a release), not its subtree's. The median is the
    reference rather than the mean, so one huge class does not hide the rest;
    every finding's evidence also gives the largest/smallest ratio of the
    whole scope. A classifier trained on imbalanced classes drifts towards
    the large ones and scores the small ones badly (Buda et al., "A systematic
    study of the class imbalance problem in convolutional neural networks",
    2018); ILSVRC-2012's train classes span 732 to 1,300 images (ratio 1.8)
    while ImageNet-21k's span 1 to over 3,000.

    Options: ``ratio`` (default 5.0: a class of 1,300 among classes of median
    200 is flagged, as is one of 30); ``min_classes`` (default 3): with fewer
    classes a median says nothing and the check finds nothing. A very small
    class is also BAL002's (an absolute floor); the two are meant to agree.

    Fix: cap large classes (a release spec's ``selection.max_images``) and
    collect or verify more images for small ones, or accept the finding when
    the imbalance is the point (a long-tailed benchmark).
    """
    ratio = float(ctx.option("ratio"))
    sizes = class_sizes(ctx)
    if ratio <= 1.0:
        raise CheckSkipped("ratio must be above 1")
    if len(sizes) < max(1, int(ctx.option("min_classes"))):
        return
    median = statistics.median(sizes.values())
    largest, smallest = max(sizes.values()), min(sizes.values())
    spread = {
        "median": median,
        "largest": largest,
        "smallest": smallest,
        "largest_over_smallest": round(largest / smallest, 3),
        "classes": len(sizes),
    }
    for wnid, n in sorted(sizes.items()):
        factor = n / median
        if 1.0 / ratio <= factor <= ratio:
            continue
        big = factor > ratio
        yield Finding(
            "BAL001",
            ctx.release_key(wnid),
            f"{_label(ctx, wnid)}: {n:,} images, {factor if big else 1 / factor:.1f}x "
            f"{'more' if big else 'fewer'} than the median class ({median:g})",
            action="cap this class (selection.max_images)"
            if big
            else "collect or verify more images for this class",
            synset=wnid,
            evidence={"images": n, "ratio_to_median": round(factor, 4), **spread},
            score=abs(_log_ratio(factor)),
        )


def _log_ratio(factor: float) -> float:
    return round(math.log(factor), 6) if factor > 0 else 0.0


# ----------------------------------------------------------------------------- BAL002


@check(
    "BAL002",
    "tiny-class",
    family="balance",
    level="warning",
    summary="classes with fewer than min_images images (per split too, in a release)",
    options={"min_images": 10, "min_split_images": 2},
)
def tiny_class(ctx: AuditContext) -> Iterator[Finding]:
    """Classes too small to learn or to measure: under ``min_images`` in scope, or per split.

    A class needs a floor of examples to be learnt at all, and a held-out
    split needs more than one image per class for its per-class accuracy to
    mean anything: with 0 or 1 validation images a class scores 0% or 100%
    by chance (ILSVRC keeps 50 per class). In the catalog the size is a
    class's accepted images; in a release its items, and then every split of
    the release is also checked per class: a class with fewer than
    ``min_split_images`` images in a split it could have (zero included) is
    reported under the key ``<wnid>:<split>``. A class already under
    ``min_images`` is reported once, its splits' sizes in the evidence, not
    again per split (on an ImageNet-21k release that was 3 findings per small
    class).

    Options: ``min_images`` (default 10), ``min_split_images`` (default 2;
    0 turns the per-split part off).

    Fix: verify or collect more images for the class, or drop it from the
    release (``selection.min_images`` in the spec drops classes under it);
    for a split, raise the class's size or use a fraction for the split.
    """
    least, per_split = int(ctx.option("min_images")), int(ctx.option("min_split_images"))
    sizes = class_sizes(ctx)
    splits = release_splits(ctx) if ctx.release is not None and per_split > 0 else []
    by_split = split_sizes(ctx) if splits else {}
    for wnid, n in sorted(sizes.items()):
        counts = {split: by_split.get(wnid, {}).get(split, 0) for split in splits}
        if n < least:  # one finding for the class, its splits' sizes in the evidence
            yield Finding(
                "BAL002",
                ctx.release_key(wnid),
                f"{_label(ctx, wnid)}: {n} image(s) in {_where(ctx)}, under {least}",
                action="verify or collect more images, or leave the class out",
                synset=wnid,
                evidence={
                    "images": n,
                    "min_images": least,
                    **({"splits": counts} if splits else {}),
                },
                score=float(least - n),
            )
            continue
        for split, count in counts.items():
            if count < per_split:
                yield Finding(
                    "BAL002",
                    ctx.release_key(f"{wnid}:{split}"),
                    f"{_label(ctx, wnid)}: {count} image(s) in {split}, under {per_split}",
                    action=f"give the class more {split} images, or leave it out",
                    synset=wnid,
                    split=split,
                    evidence={
                        "images": count,
                        "split": split,
                        "min_split_images": per_split,
                        "class_images": n,
                    },
                    score=float(per_split - count),
                )


# ----------------------------------------------------------------------------- BAL003


@check(
    "BAL003",
    "short-of-spec",
    family="balance",
    level="warning",
    summary="synsets with too few accepted images for the release's spec (or for min_images)",
    options={"min_images": 0},
)
def short_of_spec(ctx: AuditContext) -> Iterator[Finding]:
    """Synsets that the release's spec (or the catalog's target) wanted more images of.

    In a release, from its stored spec:

    - classes the spec named (by set or wnid) but the build dropped because
      they had fewer accepted images than ``selection.min_images``: they are
      missing from the release (key ``<wnid>``; the evidence gives the count
      at build time, from the release's build report, and the catalog's
      accepted count now);
    - classes whose held-out split got fewer images than the spec asked
      (``[splits] val = 50``; a fraction is turned into a count as the build
      does, rounded half up): a small class, or near-duplicate groups kept
      whole (key ``<wnid>:<split>``).

    In the catalog there is no spec, so the target is the option
    ``min_images``: every synset with candidates whose accepted images are
    fewer is reported, with how many candidates are still open or undecided
    (verification could close the gap) and how many were rejected. The
    catalog part is skipped while ``min_images`` is 0 (the default): set it
    to the ``selection.min_images`` of the release you are preparing.

    Fix: verify the synset's open candidates (``synsetdb verify``), collect
    more (``synsetdb collect``), or lower the spec's minimum or split size.
    """
    if ctx.release is not None:
        yield from _dropped_classes(ctx)
        yield from _short_splits(ctx)
        return
    least = int(ctx.option("min_images"))
    if least <= 0:
        raise CheckSkipped("no target: set min_images under [audit.BAL003], or use --release")
    for wnid, counts in sorted(_catalog_status_counts(ctx).items()):
        accepted = counts.get("accepted", 0)
        if accepted >= least:
            continue
        pending = counts.get("candidate", 0)
        yield Finding(
            "BAL003",
            wnid,
            f"{_label(ctx, wnid)}: {accepted} accepted image(s), the target is {least} "
            f"({pending} still to verify)",
            action="verify its open candidates" if pending else "collect more candidates",
            synset=wnid,
            evidence={
                "accepted": accepted,
                "min_images": least,
                "candidate": pending,
                "undecided": counts.get("undecided", 0),
                "rejected": counts.get("rejected", 0),
            },
            score=float(least - accepted),
        )


def _catalog_status_counts(ctx: AuditContext) -> dict[str, dict[str, int]]:
    """Own candidates per synset and status, for synsets with any candidate."""
    s, sc = schema.synset, schema.synset_count
    query = (
        select(s.c.wnid, sc.c.status, sc.c.own)
        .join(sc, sc.c.synset_id == s.c.id)
        .where(sc.c.status.in_(schema.CANDIDATE_STATUSES), sc.c.own > 0)
    )
    found: dict[str, dict[str, int]] = {}
    with ctx.catalog.engine.connect() as conn:
        for wnid, status, own in conn.execute(query):
            found.setdefault(wnid, {})[status] = int(own)
    return found


def _dropped_classes(ctx: AuditContext) -> Iterator[Finding]:
    assert ctx.release is not None
    report = release_report(ctx.project, ctx.release.name)
    dropped: Mapping[str, Any] = report.get("dropped_below_min") or {}
    least = _spec_value(ctx.release.config, "selection", "min_images", 1)
    accepted_now = _accepted_counts(ctx, list(dropped))
    for wnid, n in sorted(dropped.items()):
        now = accepted_now.get(wnid, 0)
        yield Finding(
            "BAL003",
            ctx.release_key(wnid),
            f"{_label(ctx, wnid)}: left out of the release, {n} image(s) under "
            f"min_images = {least} (the catalog has {now} accepted now)",
            action="verify or collect more images, then build a new release",
            synset=wnid,
            evidence={"images_at_build": int(n), "min_images": least, "accepted_now": now},
            score=float(least - int(n)),
        )


def _short_splits(ctx: AuditContext) -> Iterator[Finding]:
    assert ctx.release is not None
    held_out = _spec_value(ctx.release.config, "splits", "held_out", {}) or {}
    sizes, by_split = class_sizes(ctx), split_sizes(ctx)
    for wnid, n in sorted(sizes.items()):
        for split, size in sorted(held_out.items()):
            wanted = size if isinstance(size, int) else int(float(size) * n + 0.5)
            got = by_split.get(wnid, {}).get(split, 0)
            if got >= wanted:
                continue
            yield Finding(
                "BAL003",
                ctx.release_key(f"{wnid}:{split}"),
                f"{_label(ctx, wnid)}: {got} {split} image(s), the spec asks {wanted}",
                action="add images to the class, or lower the split's size in the spec",
                synset=wnid,
                split=split,
                evidence={"images": got, "wanted": wanted, "split": split, "class_images": n},
                score=float(wanted - got),
            )


def _spec_value(config: Mapping[str, Any], section: str, key: str, default: Any) -> Any:
    table = config.get(section)
    return table.get(key, default) if isinstance(table, Mapping) else default


def _accepted_counts(ctx: AuditContext, wnids: list[str]) -> dict[str, int]:
    if not wnids:
        return {}
    s, sc = schema.synset, schema.synset_count
    query = (
        select(s.c.wnid, sc.c.own)
        .join(sc, sc.c.synset_id == s.c.id)
        .where(sc.c.status == "accepted", s.c.wnid.in_(wnids))
    )
    with ctx.catalog.engine.connect() as conn:
        return {wnid: int(n) for wnid, n in conn.execute(query)}


# ----------------------------------------------------------------------------- BAL004, BAL005


def _depths(taxonomy: Taxonomy, wnids: list[str], path: str) -> dict[str, int]:
    """Each wnid's depth (edges to the root, along the shortest or longest path)."""
    found = {}
    for wnid in wnids:
        if wnid in taxonomy:
            depth = taxonomy.depth(wnid)
            found[wnid] = depth.shortest if path == "shortest" else depth.longest
    return found


def _depth_option(ctx: AuditContext) -> str:
    path = str(ctx.option("depth"))
    if path not in _DEPTHS:
        raise CheckSkipped(f"depth must be one of {', '.join(_DEPTHS)}, not {path!r}")
    return path


@check(
    "BAL004",
    "depth-imbalance",
    family="balance",
    level="info",
    summary="depths of the hierarchy whose classes are far larger or smaller than the rest's",
    options={"ratio": 3.0, "min_classes": 3, "depth": "shortest"},
)
def depth_imbalance(ctx: AuditContext) -> Iterator[Finding]:
    """Levels of the hierarchy whose median class size is far from the other levels'.

    Each class in scope is placed at its depth in the taxonomy (edges up to
    the root ``entity``, along the shortest path by default). For every depth
    holding at least ``min_classes`` classes, the median size of its classes
    is compared with the median size of all classes at the other depths; a
    level more than ``ratio`` times larger or smaller is reported (key
    ``depth:<d>``). ImageNet's images are not spread evenly over WordNet:
    collection yields many images for basic-level synsets ("dog") and few for
    deep, fine-grained ones ("Sealyham terrier"), and a dataset built over a
    subtree inherits that skew, so a model (and a hierarchical metric) sees
    the fine levels through few examples (Deng et al., "ImageNet: A
    Large-Scale Hierarchical Image Database", CVPR 2009, fig. 2 and 3).

    Options: ``ratio`` (default 3.0), ``min_classes`` (default 3, per level
    and for the others together), ``depth`` (``shortest`` or ``longest``
    path).

    Fix: collect or verify more images for the small level's synsets, or cap
    the large level's; accept the finding when the skew is known and wanted.
    """
    path, ratio = _depth_option(ctx), float(ctx.option("ratio"))
    least = max(1, int(ctx.option("min_classes")))
    sizes = class_sizes(ctx)
    depths = _depths(ctx.taxonomy, sorted(sizes), path)
    levels: dict[int, list[int]] = {}
    for wnid, depth in depths.items():
        levels.setdefault(depth, []).append(sizes[wnid])
    for depth, members in sorted(levels.items()):
        others = [n for d, ns in levels.items() if d != depth for n in ns]
        if len(members) < least or len(others) < least:
            continue
        mine, rest = statistics.median(members), statistics.median(others)
        factor = mine / rest
        if 1.0 / ratio <= factor <= ratio:
            continue
        big = factor > ratio
        yield Finding(
            "BAL004",
            ctx.release_key(f"depth:{depth}"),
            f"depth {depth}: {len(members)} classes of median {mine:g} images, "
            f"{factor if big else 1 / factor:.1f}x {'more' if big else 'fewer'} "
            f"than the other depths' median ({rest:g})",
            action="collect or verify images for this level's synsets"
            if not big
            else "cap this level's classes, or accept the skew",
            evidence={
                "depth": depth,
                "path": path,
                "classes": len(members),
                "median": mine,
                "others_median": rest,
                "ratio": round(factor, 4),
                "images": sum(members),
            },
            score=abs(_log_ratio(factor)),
        )


@check(
    "BAL005",
    "nested-classes",
    family="balance",
    level="warning",
    summary="classes that are kinds of another class in scope (a beagle is also a dog)",
    options={"min_descendants": 1},
)
def nested_classes(ctx: AuditContext) -> Iterator[Finding]:
    """Classes in scope with other classes of the scope under them in the hierarchy.

    When "dog" and "beagle" are both classes, a beagle photo labelled dog is
    right, and so is one labelled beagle: the labels overlap, a flat
    classifier is punished for either answer, and top-1 error counts a
    correct answer as a mistake. ILSVRC-2012 chose its 1,000 classes so that
    none is an ancestor of another; ImageNet-21k did not, which is why
    ImageNet-21K-P trains it with a semantic (per-level) softmax (Ridnik et
    al., "ImageNet-21K Pretraining for the Masses", 2021). One finding per
    ancestor class, with how many classes of the scope lie under it and the
    first few of them. The hierarchy is a DAG: a class under two classes of
    the scope counts under both.

    Options: ``min_descendants`` (default 1): report an ancestor class only
    when at least this many classes lie under it.

    Fix: leave the ancestor class out of the selection (``exclude.wnids``), or
    keep only its children; train with hierarchical targets
    (``synsetdb.loaders``) and score with the hierarchical metrics when the
    overlap is wanted.
    """
    sizes = class_sizes(ctx)
    minimum = max(1, int(ctx.option("min_descendants")))
    under: dict[str, list[str]] = {}
    taxonomy = ctx.taxonomy
    for wnid in sorted(sizes):
        if wnid not in taxonomy:
            continue
        for ancestor in taxonomy.ancestors(wnid):
            if ancestor in sizes:
                under.setdefault(ancestor, []).append(wnid)
    for ancestor, descendants in sorted(under.items()):
        if len(descendants) < minimum:
            continue
        shown = ", ".join(_label(ctx, w) for w in descendants[:3])
        more = f" and {len(descendants) - 3:,} more" if len(descendants) > 3 else ""
        yield Finding(
            "BAL005",
            ctx.release_key(ancestor),
            f"{_label(ctx, ancestor)}: {len(descendants):,} class(es) of the scope are kinds "
            f"of it ({shown}{more})",
            action="leave the broader class out, or train and score hierarchically",
            synset=ancestor,
            evidence={
                "descendants": len(descendants),
                "examples": descendants[:10],
                "images": sizes[ancestor],
            },
            score=float(len(descendants)),
        )
