"""Leakage: the same picture, or a near copy of it, where it should not be.

Exact duplicates are rows of one image (images are keyed by the sha256 of
their bytes); near duplicates are images whose 64-bit pHashes lie within a
Hamming radius, found by multi-index hashing (``synsetdb.imaging``), as
``synsetdb dups`` and the release builder's leak-free splitting find them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
from sqlalchemy import func, select

from ...catalog import schema
from ...errors import ConfigError
from ...imaging import DEFAULT_RADIUS
from .. import _reads
from ..context import AuditContext
from ..model import CheckSkipped, Finding
from ..registry import check
from . import _leakage_pairs as lp


def _synset_wnids(ctx: AuditContext) -> dict[int, str]:
    def read() -> dict[int, str]:
        s = schema.synset.c
        with ctx.catalog.engine.connect() as conn:
            return {int(i): str(w) for i, w in conn.execute(select(s.id, s.wnid))}

    return ctx.memo("leakage:wnids", read)


def _label(ctx: AuditContext, wnid: str) -> str:
    name = _reads.synset_names(ctx).get(wnid)
    return f"{wnid} {name}" if name else wnid


def _nested(ctx: AuditContext, a: str, b: str) -> bool:
    """Whether one synset is the other's ancestor (an image may rightly be both)."""
    taxonomy = ctx.taxonomy
    if a not in taxonomy or b not in taxonomy:
        return False
    return taxonomy.is_a(a, b) or taxonomy.is_a(b, a)


def _radius(ctx: AuditContext) -> int:
    radius = ctx.option("radius")
    if isinstance(radius, bool) or not isinstance(radius, int) or not 0 <= radius <= 20:
        raise ConfigError(
            f"LEK: radius must be an integer in 0..20, got {radius!r}", code="E_CONFIG"
        )
    return radius


# ----------------------------------------------------------------------------- exact


@check(
    "LEK001",
    "exact-duplicate-across-splits",
    family="leakage",
    level="error",
    summary="one image (same bytes) in two splits of the release",
    scope="release",
)
def exact_across_splits(ctx: AuditContext) -> Iterator[Finding]:
    """An image whose bytes sit in two splits of the release: trained on and tested on.

    Images are keyed by the sha256 of their bytes, so a release can hold one
    image twice only as two items of different synsets. The builder puts both
    in one split, except where it keeps splits it was given: a source's
    official split (``official = "keep"``) or the parent release's. ILSVRC-2012
    itself ships such images, which is how they get here. A model then sees
    the test picture in training, and its score on that split is inflated
    (Barz & Denzler 2020 found 1% to 10% of CIFAR test images duplicated in
    train).

    One finding per image, naming its splits and synsets.

    Fix: drop the image from the held-out split's synset (reject that
    candidate) and build the release again, or re-split it
    (``--resplit``) so the builder ties the two items together.
    """
    rows = _release_multi(ctx)
    for image_id, items in rows.items():
        splits = sorted({split for _, split in items})
        if len(splits) < 2:
            continue
        described = ", ".join(f"{_label(ctx, w)} in {s}" for w, s in items)
        yield Finding(
            "LEK001",
            ctx.release_key(image_id),
            f"image {image_id[:12]} is in {len(splits)} splits: {described}",
            action="reject the held-out copy's candidate and rebuild, or re-split the release",
            image=image_id,
            split=next((s for s in splits if s != lp.TRAIN), splits[0]),
            synset=items[0][0],
            evidence={"splits": splits, "items": [{"wnid": w, "split": s} for w, s in items]},
            score=float(len(items)),
        )


def _release_multi(ctx: AuditContext) -> dict[str, list[tuple[str, str]]]:
    """The release's images with two or more items (LEK001's and LEK002's), read once."""
    assert ctx.release is not None
    ri = schema.release_item.c
    multi = (
        select(ri.image_id)
        .where(ri.release_id == ctx.release.id)
        .group_by(ri.image_id)
        .having(func.count() > 1)
    )
    return ctx.memo(f"leakage:multi:{ctx.scope}", lambda: _items_of(ctx, multi))


def _items_of(ctx: AuditContext, image_ids: Any) -> dict[str, list[tuple[str, str]]]:
    """(wnid, split) of each release item of these images, by image, sorted."""
    assert ctx.release is not None
    ri, s = schema.release_item.c, schema.synset.c
    query = (
        select(ri.image_id, s.wnid, ri.split)
        .join_from(schema.release_item, schema.synset, s.id == ri.synset_id)
        .where(ri.release_id == ctx.release.id, ri.image_id.in_(image_ids.scalar_subquery()))
        .order_by(ri.image_id, ri.split, s.wnid)
    )
    found: dict[str, list[tuple[str, str]]] = {}
    with ctx.catalog.engine.connect() as conn:
        for image_id, wnid, split in conn.execute(query):
            found.setdefault(str(image_id), []).append((str(wnid), str(split)))
    return found


@check(
    "LEK002",
    "image-in-several-synsets",
    family="leakage",
    level="warning",
    summary="one image (same bytes) labelled with two synsets that are not nested",
    options={"nested": False},
)
def image_in_several_synsets(ctx: AuditContext) -> Iterator[Finding]:
    """One image accepted for (or released under) two or more synsets.

    For a single-label classifier the same input then has two targets, and
    in one split it is counted twice. Synsets where one is an ancestor of the
    other (``dog`` and ``beagle``) are not reported unless ``nested = true``:
    a picture of a beagle is a picture of a dog. On a release, an image in two
    *splits* is also LEK001.

    One finding per image, with its synsets (and splits, on a release).

    Fix: decide which synset the picture shows and reject the other
    candidate, or accept the finding for a multi-label dataset.
    """
    nested = bool(ctx.option("nested"))
    found = _release_multi(ctx) if ctx.release is not None else _accepted_synsets(ctx)
    for image_id, items in found.items():
        wnids = sorted({w for w, _ in items})
        pairs = [(a, b) for i, a in enumerate(wnids) for b in wnids[i + 1 :]]
        if len(wnids) < 2 or (not nested and all(_nested(ctx, a, b) for a, b in pairs)):
            continue
        splits = sorted({s for _, s in items if s})
        where = f" ({', '.join(splits)})" if splits else ""
        yield Finding(
            "LEK002",
            ctx.release_key(image_id),
            f"image {image_id[:12]} is labelled with {len(wnids)} synsets{where}: "
            + ", ".join(_label(ctx, w) for w in wnids),
            action="reject the candidate of the synset the picture does not show",
            image=image_id,
            synset=wnids[0],
            split=splits[0] if len(splits) == 1 else None,
            evidence={"wnids": wnids, "splits": splits},
            score=float(len(wnids)),
        )


def _accepted_synsets(ctx: AuditContext) -> dict[str, list[tuple[str, str]]]:
    c, s = schema.candidate.c, schema.synset.c
    multi = (
        select(c.image_id)
        .where(c.status == "accepted")
        .group_by(c.image_id)
        .having(func.count(c.synset_id.distinct()) > 1)
    )
    query = (
        select(c.image_id, s.wnid)
        .join_from(schema.candidate, schema.synset, s.id == c.synset_id)
        .where(c.status == "accepted", c.image_id.in_(multi.scalar_subquery()))
        .order_by(c.image_id, s.wnid)
    )
    found: dict[str, list[tuple[str, str]]] = {}
    with ctx.catalog.engine.connect() as conn:
        for image_id, wnid in conn.execute(query):
            found.setdefault(str(image_id), []).append((str(wnid), ""))
    return found


# ----------------------------------------------------------------------------- near


def _pairs(ctx: AuditContext, others: tuple[str, ...] = ()) -> tuple[lp.Rows, lp.RowPairs]:
    rows = lp.read_rows(ctx, others)
    pairs = lp.row_pairs(ctx, rows, _radius(ctx), f"{ctx.scope}:{'|'.join(others)}")
    return rows, pairs


def _pair_finding(
    ctx: AuditContext,
    code: str,
    rows: lp.Rows,
    pairs: lp.RowPairs,
    at: int,
    partners: int,
    *,
    key_extra: str = "",
) -> tuple[str, dict[str, Any]]:
    """The key and evidence of the pair at position ``at`` (x is the held-out side)."""
    x, y = int(pairs.x[at]), int(pairs.y[at])
    wnids = _synset_wnids(ctx)
    image, other = rows.id_of(int(rows.image[x])), rows.id_of(int(rows.image[y]))
    first, second = sorted((image, other))

    def side(r: int) -> dict[str, Any]:
        release = rows.releases[rows.release[r] - 1] if rows.release[r] else ctx.scope
        return {
            "image": rows.id_of(int(rows.image[r])),
            "wnid": wnids.get(int(rows.synset[r])),
            "split": rows.splits[rows.split[r]] if rows.split[r] >= 0 else None,
            "release": release or None,
        }

    evidence = {
        "distance": int(pairs.distance[at]),
        "radius": _radius(ctx),
        "image": side(x),
        "other": side(y),
        "partners": partners,
    }
    return ctx.release_key(f"{key_extra}{first}|{second}"), evidence


def _describe(ctx: AuditContext, side: Mapping[str, Any]) -> str:
    where = f"{side['release']} " if side.get("release") and side["release"] != ctx.scope else ""
    split = f"{side['split']} " if side.get("split") else ""
    return f"{where}{split}image {side['image'][:12]} ({_label(ctx, side['wnid'])})"


def _apart(evidence: Mapping[str, Any]) -> str:
    d = evidence["distance"]
    return (
        "the same image"
        if evidence["image"]["image"] == evidence["other"]["image"]
        else (f"{d} bit{'s' if d != 1 else ''} apart")
    )


@check(
    "LEK003",
    "near-duplicate-across-splits",
    family="leakage",
    level="error",
    summary="a held-out image with a near duplicate in the release's train split",
    options={"radius": DEFAULT_RADIUS},
    scope="release",
)
def near_across_splits(ctx: AuditContext) -> Iterator[Finding]:
    """A val/test image whose near duplicate (another file) is in the release's train.

    Near duplicates are images whose 64-bit pHashes differ in at most
    ``radius`` bits (default 6, as ``synsetdb dups`` and the release builder
    use): rescaled, recompressed or lightly edited copies of one photo. A
    test image with a copy in train measures memory, not generalisation:
    ImageNetV2 (Recht et al. 2019) removed near duplicates of ImageNet's
    train from its test sets for this reason. The builder keeps near
    duplicates in one split, so such pairs come from splits it kept (a
    source's official split, the parent's) or a larger radius than the spec's.
    This check compares pHashes only; the builder also links crops, turns and
    mirror images through variant hashes.

    One finding per held-out image, paired with its nearest train image
    (ties: the smallest id); ``partners`` in the evidence counts its train
    near duplicates. Raise ``radius`` to find looser copies (more false pairs).

    Fix: reject the held-out copy (or the train copy) and rebuild, or re-split
    the release so the builder keeps the group in one split.
    """
    rows, pairs = _pairs(ctx)
    x, y = pairs.x, pairs.y
    train = rows.train
    mine = (rows.release[x] == 0) & (rows.release[y] == 0)
    wanted = np.flatnonzero(
        mine
        & (rows.split[x] != train)
        & (rows.split[y] == train)
        & (rows.image[x] != rows.image[y])
    )
    yield from _nearest_findings(ctx, "LEK003", rows, pairs, wanted, [rows.image[x[wanted]]])


def _nearest_findings(
    ctx: AuditContext,
    code: str,
    rows: lp.Rows,
    pairs: lp.RowPairs,
    wanted: Any,
    group: list[Any],
    *,
    extra: Any = None,
) -> Iterator[Finding]:
    """One finding per group (of x's image, and more): the nearest y, as ``code`` words it."""
    partner = rows.image[pairs.y[wanted]]
    chosen = lp.nearest(group, partner, pairs.distance[wanted])
    counts: list[int] = lp.count_per_group(group, chosen, partner).tolist() if len(chosen) else []
    seen: set[str] = set()
    radius = _radius(ctx)
    for at, partners in zip(wanted[chosen].tolist(), counts, strict=True):
        key_extra = extra(at) if extra is not None else ""
        key, evidence = _pair_finding(
            ctx, code, rows, pairs, at, int(partners), key_extra=key_extra
        )
        if key in seen:  # a symmetric pair, found from both of its images
            continue
        seen.add(key)
        message, action = _WORDING[code](ctx, evidence)
        yield Finding(
            code,
            key,
            message,
            action=action,
            synset=evidence["image"]["wnid"],
            image=evidence["image"]["image"],
            other_image=evidence["other"]["image"],
            split=evidence["image"]["split"],
            evidence=evidence,
            score=float(radius + 1 - evidence["distance"]),
        )


def _lek003(ctx: AuditContext, ev: dict[str, Any]) -> tuple[str, str]:
    more = f" (and {ev['partners'] - 1} more)" if ev["partners"] > 1 else ""
    return (
        f"{_describe(ctx, ev['image'])} has a near duplicate in train: "
        f"{_describe(ctx, ev['other'])}, {_apart(ev)}{more}",
        "reject one copy and rebuild, or re-split so the pair stays in one split",
    )


@check(
    "LEK004",
    "near-duplicate-in-split",
    family="leakage",
    level="warning",
    summary="two near-duplicate images in one held-out split (train too with include_train)",
    options={"radius": DEFAULT_RADIUS, "include_train": False},
    scope="release",
)
def near_in_split(ctx: AuditContext) -> Iterator[Finding]:
    """Two different files of (nearly) one picture in the same split.

    In a val or test split the picture is scored twice, which weighs it
    double and, across two synsets, asks for two answers to one input. In
    train, copies are common in web-gathered data and mostly harmless
    (``include_train = true`` reports them too). Near duplicates are pHashes
    within ``radius`` bits, as for LEK003.

    One finding per image with a copy in its split, paired with the nearest
    copy (ties: the smallest id); a pair found from both images is reported
    once.

    Fix: reject all but one copy (``synsetdb dups`` lists the groups) and rebuild.
    """
    rows, pairs = _pairs(ctx)
    x, y = pairs.x, pairs.y
    mine = (rows.release[x] == 0) & (rows.release[y] == 0)
    same = (rows.split[x] == rows.split[y]) & (rows.image[x] != rows.image[y])
    if not ctx.option("include_train"):
        same &= rows.split[x] != rows.train
    wanted = np.flatnonzero(mine & same)
    group = [rows.split[x[wanted]], rows.image[x[wanted]]]
    yield from _nearest_findings(
        ctx,
        "LEK004",
        rows,
        pairs,
        wanted,
        group,
        extra=lambda at: f"{rows.splits[rows.split[x[at]]]}:",
    )


def _lek004(ctx: AuditContext, ev: dict[str, Any]) -> tuple[str, str]:
    split = ev["image"]["split"]
    return (
        f"{_describe(ctx, ev['image'])} and {_describe(ctx, ev['other'])}: "
        f"near duplicates in {split}, {_apart(ev)}",
        "reject all but one copy and rebuild",
    )


@check(
    "LEK005",
    "near-duplicate-label-conflict",
    family="leakage",
    level="info",
    summary="near-duplicate images labelled with different synsets (possible label conflicts)",
    options={"radius": DEFAULT_RADIUS, "nested": False},
)
def near_label_conflict(ctx: AuditContext) -> Iterator[Finding]:
    """Two different files of (nearly) one picture, labelled with different synsets.

    One of the labels is probably wrong, or the picture shows both things; a
    classifier is taught two answers for one input. Synsets where one is the
    other's ancestor are left out unless ``nested = true``. On the catalog
    this looks at accepted candidates; on a release, at its items in every split.
    Near duplicates are pHashes within ``radius`` bits, as for LEK003. The
    same file under two synsets is LEK002.

    One finding per image, paired with its nearest differently labelled copy
    (ties: the smallest id); a pair found from both images is reported once.

    Fix: look at both images and reject the wrong candidate, or accept the
    finding when both labels hold.
    """
    rows, pairs = _pairs(ctx)
    x, y = pairs.x, pairs.y
    wnids = _synset_wnids(ctx)
    wanted = (rows.release[x] == 0) & (rows.release[y] == 0)
    wanted &= (rows.synset[x] != rows.synset[y]) & (rows.image[x] != rows.image[y])
    if not ctx.option("nested"):
        sx, sy = rows.synset[x], rows.synset[y]
        both = np.unique(np.stack([sx[wanted], sy[wanted]], axis=1), axis=0).tolist()
        nested = {(a, b) for a, b in both if _nested(ctx, wnids[a], wnids[b])}
        if nested:
            wanted &= np.array(
                [(int(a), int(b)) not in nested for a, b in zip(sx, sy, strict=True)], dtype=bool
            )
    at = np.flatnonzero(wanted)
    yield from _nearest_findings(ctx, "LEK005", rows, pairs, at, [rows.image[x[at]]])


def _lek005(ctx: AuditContext, ev: dict[str, Any]) -> tuple[str, str]:
    return (
        f"{_describe(ctx, ev['image'])} and {_describe(ctx, ev['other'])} "
        f"are near duplicates with different labels, {_apart(ev)}",
        "check both images and reject the wrong candidate",
    )


@check(
    "LEK006",
    "leak-from-other-release",
    family="leakage",
    level="error",
    summary="a held-out image that is, or nearly is, an image of another release's train",
    options={"radius": DEFAULT_RADIUS, "against": None},
    scope="release",
)
def leak_from_other_release(ctx: AuditContext) -> Iterator[Finding]:
    """A val/test image of this release found in the train split of another release.

    Models are trained on one release and tested on another (ImageNet-21k
    pre-training, then ILSVRC-2012 val; a parent release's train, then a
    child's test). A test image that one of those train splits holds, as the
    same file or a near copy (pHashes within ``radius`` bits), was seen in
    training: ImageNetV2 (Recht et al. 2019) checked its new test sets
    against ImageNet's train for exactly this. A child release built with
    ``parent`` keeps the parent's splits, so this finds leaks only through
    other releases, re-splits, or new copies.

    ``against`` lists the releases to compare with (default: every other
    release of the project). One finding per held-out image and other
    release, paired with its nearest image there (ties: the smallest id);
    ``partners`` counts that release's train images it matches.

    Fix: leave the image out of this release's held-out split (reject it or
    filter it), or accept the finding when the two releases are never used
    together.
    """
    against = ctx.option("against")
    if isinstance(against, str):
        against = [against]
    others = lp.other_releases(ctx, None if against is None else [str(a) for a in against])
    if not others:
        raise CheckSkipped("no other release to compare with")
    rows, pairs = _pairs(ctx, others)
    x, y = pairs.x, pairs.y
    wanted = np.flatnonzero(
        (rows.release[x] == 0) & (rows.split[x] != rows.train) & (rows.release[y] > 0)
    )
    group = [rows.image[x[wanted]], rows.release[y[wanted]]]
    yield from _nearest_findings(
        ctx,
        "LEK006",
        rows,
        pairs,
        wanted,
        group,
        extra=lambda at: f"{rows.releases[rows.release[y[at]] - 1]}:",
    )


def _lek006(ctx: AuditContext, ev: dict[str, Any]) -> tuple[str, str]:
    more = f" (and {ev['partners'] - 1} more)" if ev["partners"] > 1 else ""
    return (
        f"{_describe(ctx, ev['image'])} is in release {ev['other']['release']}'s train: "
        f"{_describe(ctx, ev['other'])}, {_apart(ev)}{more}",
        "leave the image out of this release's held-out split, or accept",
    )


# Per code: a pair's message and suggested action.
_WORDING = {"LEK003": _lek003, "LEK004": _lek004, "LEK005": _lek005, "LEK006": _lek006}
