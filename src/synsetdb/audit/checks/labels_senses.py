"""Labels (LBL003): synsets whose images fall into two distinct groups (mixed senses)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select

from ...catalog import schema
from ...evaluate.baselines.nn import squared_distances
from .._reads import class_sizes, synset_names
from ..context import AuditContext
from ..model import Finding
from ..predictions import (
    embed_stored,
)
from ..registry import check

log = logging.getLogger(__name__)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.floating]
_EXAMPLES = 5  # image ids quoted per list in a finding's evidence
_CHUNK = 500  # ids per IN (...) query
_MIN_CLASS = 2  # cross-validation needs a class's image in a training fold too


# ----------------------------------------------------------------------------- LBL003


def _synset_sample(ctx: AuditContext, wnid: str, limit: int) -> list[tuple[str, str]]:
    """Up to ``limit`` of the synset's images in scope, the first by id (a fixed sample)."""
    img, s = schema.image, schema.synset
    key = func.coalesce(img.c.thumbnail_key, img.c.blob_key)
    synset_id = select(s.c.id).where(s.c.wnid == wnid).scalar_subquery()
    if ctx.release is not None:
        ri = schema.release_item
        ids = ri.c.image_id
        query = select(ids, key).join(img, img.c.id == ids)
        query = query.where(ri.c.release_id == ctx.release.id, ri.c.synset_id == synset_id)
    else:
        c = schema.candidate
        ids = c.c.image_id
        query = select(ids, key).join(img, img.c.id == ids)
        query = query.where(c.c.synset_id == synset_id, c.c.status == "accepted")
    with ctx.catalog.engine.connect() as conn:
        return [(i, k) for i, k in conn.execute(query.order_by(ids).limit(limit))]


def two_means(x: FloatArray, *, seed: int = 0, restarts: int = 4) -> IntArray:
    """k-means with k = 2 (k-means++ starts, the best of ``restarts``): 0/1 per row."""
    rng = np.random.default_rng(seed)
    best, best_inertia = np.zeros(len(x), dtype=np.int64), np.inf
    for _ in range(restarts):
        first = x[rng.integers(len(x))]
        d = ((x - first) ** 2).sum(axis=1)
        if d.sum() <= 0:
            return best  # every row the same: one cluster
        centres = np.stack([first, x[rng.choice(len(x), p=d / d.sum())]])
        assign, inertia = _lloyd(x, centres)
        if inertia < best_inertia:
            best, best_inertia = assign, inertia
    return best


def _lloyd(x: FloatArray, centres: FloatArray, steps: int = 100) -> tuple[IntArray, float]:
    """Lloyd's iterations from ``centres`` until no row changes cluster; labels and inertia."""
    assign = np.full(len(x), -1, dtype=np.int64)
    for _ in range(steps):
        distances = squared_distances(x, centres)
        new = distances.argmin(axis=1).astype(np.int64)
        if np.array_equal(new, assign):
            break
        assign = new
        centres = np.stack(
            [x[assign == j].mean(axis=0) if (assign == j).any() else centres[j] for j in (0, 1)]
        )
    inertia = float(squared_distances(x, centres)[np.arange(len(x)), assign].sum())
    return assign, inertia


def silhouette(x: FloatArray, labels: IntArray) -> float:
    """The mean silhouette coefficient of a clustering (Rousseeuw 1987), in [-1, 1].

    Per sample, ``(b - a) / max(a, b)`` with ``a`` its mean distance to its own
    cluster's other members and ``b`` to the nearest other cluster's; 0 for a
    sample alone in its cluster.
    """
    distances = np.sqrt(squared_distances(x, x))
    clusters = np.unique(labels)
    if len(clusters) < 2:
        return 0.0
    sizes = np.array([(labels == c).sum() for c in clusters])
    sums = np.stack([distances[:, labels == c].sum(axis=1) for c in clusters], axis=1)
    own = np.searchsorted(clusters, labels)
    rows = np.arange(len(x))
    alone = sizes[own] <= 1
    a = sums[rows, own] / np.maximum(sizes[own] - 1, 1)
    others = sums / sizes[None, :]
    others[rows, own] = np.inf
    b = others.min(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(alone, 0.0, (b - a) / np.maximum(np.maximum(a, b), 1e-12))
    return float(s.mean())


@check(
    "LBL003",
    "sense-confusion",
    family="labels",
    level="info",
    summary="synsets whose images form two distinct visual groups (two senses mixed?)",
    options={
        "min_images": 20,
        "per_synset": 60,
        "max_images": 2_000,
        "min_share": 0.2,
        "min_silhouette": 0.5,
        "embedder": "tiny",
    },
)
def sense_confusion(ctx: AuditContext) -> Iterator[Finding]:
    """Synsets whose images fall into two well-separated visual groups.

    A query word with two senses fills a synset with pictures of both: "crane"
    brings birds and machines, "mouse" animals and devices. Such images pass a
    careless verification one by one and show up only as a group. Per synset
    with at least ``min_images`` images in scope, up to ``per_synset`` of them
    (the first by image id: a fixed, content-independent sample) are embedded
    (``embedder``: ``tiny``, ``hist``, ``hog``; cached under
    ``.cache/features/``) and split into two clusters by k-means. A synset is
    flagged when the smaller cluster holds at least ``min_share`` of the
    images and the mean silhouette coefficient (Rousseeuw 1987: how much
    closer each image is to its own group than to the other, from -1 to 1) is
    at least ``min_silhouette``: two groups far apart compared to their spread.

    At most ``max_images`` images are embedded per run: the largest synsets
    first; the others are skipped (logged). Simple features see colour and
    layout, not meaning: a synset photographed in two settings (snow and
    grass) can be flagged too; dismiss those.

    Fix: look at the example images of each group; move the images of the
    wrong sense to their synset, or reject them.
    """
    min_images, per_synset = int(ctx.option("min_images")), int(ctx.option("per_synset"))
    budget = int(ctx.option("max_images"))
    sizes = sorted(
        ((n, w) for w, n in class_sizes(ctx).items() if n >= max(min_images, 2)),
        key=lambda item: (-item[0], item[1]),
    )
    chosen: dict[str, list[tuple[str, str]]] = {}
    for n, wnid in sizes:
        take = min(n, per_synset)
        if take > budget:
            break
        chosen[wnid] = _synset_sample(ctx, wnid, take)
        budget -= take
    if len(chosen) < len(sizes):
        log.warning(
            "LBL003: %d of %d synsets left out (max_images=%s); raise it to look at them",
            len(sizes) - len(chosen),
            len(sizes),
            ctx.option("max_images"),
        )
    everything = [pair for sample in chosen.values() for pair in sample]
    embedder = str(ctx.option("embedder"))
    embedded = embed_stored(ctx.project, embedder, everything)
    row_of = {image: n for n, image in enumerate(embedded.ids)}
    names = synset_names(ctx)
    for wnid, sample in sorted(chosen.items()):
        ids = [i for i, _ in sample if i in row_of]
        if len(ids) < max(min_images, 2):
            continue
        found = _split(ctx, wnid, ids, embedded.rows[[row_of[i] for i in ids]], names, embedder)
        if found is not None:
            yield found


def _split(
    ctx: AuditContext,
    wnid: str,
    ids: list[str],
    rows: NDArray[np.float32],
    names: dict[str, str],
    embedder: str,
) -> Finding | None:
    x = np.asarray(rows, dtype=np.float64)
    labels = two_means(x)
    sizes = np.bincount(labels, minlength=2)
    small = int(sizes.argmin())
    share = float(sizes[small] / len(ids))
    score = silhouette(x, labels)
    if share < float(ctx.option("min_share")) or score < float(ctx.option("min_silhouette")):
        return None
    examples = {}
    for name, cluster in (("larger", 1 - small), ("smaller", small)):
        members = np.flatnonzero(labels == cluster)
        centre = x[members].mean(axis=0)
        nearest = members[np.argsort(((x[members] - centre) ** 2).sum(axis=1), kind="stable")]
        examples[name] = [ids[i] for i in nearest[:_EXAMPLES]]
    big_n, small_n = int(sizes[1 - small]), int(sizes[small])
    return Finding(
        "LBL003",
        ctx.release_key(wnid),
        f"{wnid} {names.get(wnid, '')}: its images form two distinct groups of "
        f"{big_n} and {small_n} (silhouette {score:.2f}): two senses mixed?",
        action="look at both groups; move the wrong sense's images or reject them",
        synset=wnid,
        evidence={
            "images": len(ids),
            "sizes": [big_n, small_n],
            "smaller_share": round(share, 4),
            "silhouette": round(score, 4),
            "embedder": embedder,
            "examples": examples,
        },
        score=round(score, 6),
    )
