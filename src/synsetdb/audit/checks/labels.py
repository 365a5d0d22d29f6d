"""Labels: images whose label is probably wrong, acceptances the votes argue with, mixed senses."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import and_, case, func, select

from ...catalog import schema
from ...errors import AuditError
from ...evaluate.baselines.nn import squared_distances
from .._reads import class_sizes, scope_count_capped, synset_names
from ..confident import LabelIssues, find_label_issues
from ..context import AuditContext
from ..model import CheckSkipped, Finding
from ..predictions import (
    CrossValidation,
    Predictions,
    cross_validated_probs,
    embed_stored,
    read_predictions,
)
from ..registry import check

log = logging.getLogger(__name__)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.floating]
_EXAMPLES = 5  # image ids quoted per list in a finding's evidence
_CHUNK = 500  # ids per IN (...) query
_MIN_CLASS = 2  # cross-validation needs a class's image in a training fold too


# ----------------------------------------------------------------------------- reads


@dataclass(slots=True)
class _Labelled:
    """The images in scope with exactly one label, and those with several (left out)."""

    ids: list[str] = field(default_factory=list)
    wnids: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # thumbnail's blob key, else the original's
    several: list[str] = field(default_factory=list)


def _labelled(ctx: AuditContext) -> _Labelled:
    """(image, label, blob key) for each image in scope, streamed in image-id order."""
    img, s = schema.image, schema.synset
    key = func.coalesce(img.c.thumbnail_key, img.c.blob_key)
    if ctx.release is not None:
        ri = schema.release_item
        query = (
            select(ri.c.image_id, s.c.wnid, key)
            .join(s, s.c.id == ri.c.synset_id)
            .join(img, img.c.id == ri.c.image_id)
            .where(ri.c.release_id == ctx.release.id)
        )
    else:
        c = schema.candidate
        query = (
            select(c.c.image_id, s.c.wnid, key)
            .join(s, s.c.id == c.c.synset_id)
            .join(img, img.c.id == c.c.image_id)
            .where(c.c.status == "accepted")
        )
    found = _Labelled()
    previous = None
    with ctx.catalog.engine.connect() as conn:
        rows = conn.execution_options(stream_results=True, yield_per=10_000).execute(
            query.order_by(query.selected_columns[0], s.c.wnid)
        )
        for image, wnid, blob in rows:
            if image == previous:  # a second label: the image is ambiguous, leave it out
                if not found.several or found.several[-1] != image:
                    found.several.append(image)
                    for column in (found.ids, found.wnids, found.keys):
                        column.pop()
                continue
            previous = image
            found.ids.append(image)
            found.wnids.append(wnid)
            found.keys.append(blob)
    return found


def _missing_from_catalog(ctx: AuditContext, image_ids: Sequence[str]) -> list[str]:
    """Those of ``image_ids`` that the catalog has no image row for."""
    img = schema.image
    known: set[str] = set()
    with ctx.catalog.engine.connect() as conn:
        for start in range(0, len(image_ids), _CHUNK):
            chunk = list(image_ids[start : start + _CHUNK])
            known.update(conn.execute(select(img.c.id).where(img.c.id.in_(chunk))).scalars())
    return [i for i in image_ids if i not in known]


# ----------------------------------------------------------------------------- LBL001


@dataclass(slots=True, eq=False)
class _Sample:
    """What confident learning runs on, and the images in scope it could not include."""

    ids: list[str]
    classes: list[str]
    labels: IntArray
    probs: FloatArray
    source: str
    left_out: dict[str, list[str]] = field(default_factory=dict)


_LEFT_OUT = {
    "several_labels": "with several labels",
    "no_prediction": "without a row in the predictions",
    "class_not_predicted": "whose class has no column in the predictions",
    "unreadable": "unreadable",
    "class_too_small": f"in classes of fewer than {_MIN_CLASS} images",
}


def _from_file(ctx: AuditContext, labelled: _Labelled) -> _Sample:
    path = ctx.config.predictions
    assert path is not None
    preds: Predictions = ctx.memo(f"labels.predictions:{path}", lambda: read_predictions(path))
    row_of, col_of = preds.row_of(), {w: j for j, w in enumerate(preds.wnids)}
    rows, labels, ids = [], [], []
    left: dict[str, list[str]] = {"several_labels": labelled.several}
    for image, wnid in zip(labelled.ids, labelled.wnids, strict=True):
        row = row_of.get(image)
        if row is None:
            left.setdefault("no_prediction", []).append(image)
        elif wnid not in col_of:
            left.setdefault("class_not_predicted", []).append(image)
        else:
            rows.append(row)
            labels.append(col_of[wnid])
            ids.append(image)
    in_scope = set(labelled.ids).union(labelled.several)
    unknown = _missing_from_catalog(ctx, [i for i in preds.image_ids if i not in in_scope])
    if unknown:
        raise AuditError(
            f"predictions {path}: {len(unknown)} image id(s) are not in the catalog "
            f"(first {unknown[0]}): predictions of another dataset?",
            code="E_PREDICTIONS",
        )
    if not ids:
        raise AuditError(
            f"predictions {path}: none of the {len(in_scope)} image(s) in scope has a row "
            "with a column for its class",
            code="E_PREDICTIONS",
        )
    probs = preds.probs[np.asarray(rows)]
    return _Sample(ids, list(preds.wnids), np.asarray(labels, np.int64), probs, str(path), left)


def _from_cross_validation(ctx: AuditContext, labelled: _Labelled) -> _Sample:
    embedder = str(ctx.option("embedder"))
    embedded = embed_stored(
        ctx.project, embedder, list(zip(labelled.ids, labelled.keys, strict=True))
    )
    wnid_of = dict(zip(labelled.ids, labelled.wnids, strict=True))
    given = [wnid_of[i] for i in embedded.ids]
    sizes: dict[str, int] = {}
    for wnid in given:
        sizes[wnid] = sizes.get(wnid, 0) + 1
    classes = sorted(w for w, n in sizes.items() if n >= _MIN_CLASS)
    if len(classes) < 2:
        raise CheckSkipped(
            f"cross-validation needs two classes of {_MIN_CLASS}+ readable images; "
            "pass --predictions FILE instead"
        )
    index = {w: n for n, w in enumerate(classes)}
    keep = np.array([w in index for w in given], dtype=bool)
    ids = [i for i, k in zip(embedded.ids, keep, strict=True) if k]
    labels = np.array([index[w] for w in given if w in index], dtype=np.int64)
    config = CrossValidation(
        folds=int(ctx.option("folds")), neighbours=int(ctx.option("neighbours"))
    )
    probs = cross_validated_probs(embedded.rows[keep], labels, len(classes), config)
    _check_skill(ctx, labels, probs, len(classes))
    left = {
        "several_labels": labelled.several,
        "unreadable": list(embedded.failed),
        "class_too_small": [i for i, k in zip(embedded.ids, keep, strict=True) if not k],
    }
    source = f"{config.folds}-fold cross-validation ({embedder} features, {config.neighbours}-NN)"
    return _Sample(ids, classes, labels, probs, source, left)


def cv_skill(labels: IntArray, probs: FloatArray, n_classes: int) -> tuple[float, float, float]:
    """Top-1 accuracy on the given labels, the majority class's share, and the skill between.

    Skill is the chance-corrected accuracy ``(accuracy - majority) / (1 - majority)``:
    0 for a model no better than always answering the largest class, 1 for a
    perfect one.
    """
    accuracy = float(np.mean(probs.argmax(axis=1) == labels)) if len(labels) else 0.0
    majority = (
        float(np.bincount(labels, minlength=n_classes).max() / len(labels)) if len(labels) else 1.0
    )
    skill = (accuracy - majority) / (1.0 - majority) if majority < 1.0 else 0.0
    return accuracy, majority, skill


def _check_skill(ctx: AuditContext, labels: IntArray, probs: FloatArray, n_classes: int) -> None:
    """Skip LBL001 when the cross-validated model is too weak for confident learning."""
    least = float(ctx.option("min_cv_accuracy"))
    accuracy, majority, skill = cv_skill(labels, probs, n_classes)
    log.info(
        "LBL001: cross-validated accuracy %.3f, majority %.3f, skill %.3f",
        accuracy,
        majority,
        skill,
    )
    if skill < least:
        raise CheckSkipped(
            f"the cross-validated model is too weak to judge labels: top-1 accuracy "
            f"{accuracy:.1%} on the given labels, {majority:.1%} by always answering the "
            f"largest class (chance-corrected {skill:.2f} < min_cv_accuracy={least:g}); "
            "pass --predictions FILE from a real model"
        )


@check(
    "LBL001",
    "label-issues",
    family="labels",
    level="warning",
    summary="images whose given label is probably wrong, by confident learning",
    options={
        "filter_by": "prune_by_noise_rate",
        "rank_by": "self_confidence",
        "folds": 5,
        "neighbours": 10,
        "embedder": "tiny",
        "max_images": 10_000,
        "min_cv_accuracy": 0.5,
    },
)
def label_issues(ctx: AuditContext) -> Iterator[Finding]:
    """Images whose given label is probably wrong, found by confident learning.

    Northcutt, Jiang & Chuang, "Confident Learning: Estimating Uncertainty in
    Dataset Labels" (JAIR 2021) found 2,916 label errors (5.83%) in ImageNet's
    50,000 validation images this way. From out-of-sample predicted
    probabilities (each image's from a model that never trained on it), a
    per-class threshold (the mean probability a class's own images get) says
    which images the model confidently puts in another class; counting them
    (the confident joint) estimates how many labels of each class are wrong,
    and that many images, those the predictions disagree with most, are flagged
    (see ``synsetdb.audit.confident``).

    The probabilities come from ``--predictions FILE`` (``AuditConfig.predictions``):
    an ``.npz`` with ``image_ids`` (sha256 ids), ``wnids`` (the class order)
    and ``probs`` (images x classes, rows summing to 1), or a Parquet file with
    ``image_id`` and one column per wnid (see ``synsetdb.audit.predictions``).
    Without a file they are made by ``folds``-fold cross-validation, stratified
    by class, of a ``neighbours``-nearest-neighbour classifier on the
    ``embedder``'s features (``tiny``, ``hist``, ``hog``) of the images in scope,
    cached under ``.cache/features/``. That is a weak model: good for gross
    errors (a picture of the wrong kind of thing), blind to fine-grained ones.
    A scope of more than ``max_images`` images is not cross-validated (the
    check is skipped, saying so): pass the predictions of a real model instead.

    Confident learning trusts the model where it is confident: with a model
    that is mostly wrong, every class's threshold is low and correct images
    the model misjudges are flagged by the dozen. So the cross-validated model
    is measured first, by its chance-corrected top-1 accuracy on the given
    labels, ``(accuracy - majority) / (1 - majority)`` (``majority``: the
    share of the largest class, what always answering it scores; 0 = no
    better than that, 1 = perfect). Below ``min_cv_accuracy`` (default 0.5:
    the model must cover at least half the way from the majority guess to
    perfect, i.e. be right on most images it could get wrong; the models
    Northcutt et al. used on ImageNet had about 0.75) the check is skipped
    with the measured accuracy, asking for ``--predictions`` of a real model.
    Predictions from a file are not measured: their model is the user's choice.

    Options: ``filter_by`` chooses which images are flagged:
    ``prune_by_noise_rate`` (default), ``prune_by_class``, ``both``,
    ``confident_learning`` or ``predicted_neq_given``; ``rank_by``
    (``self_confidence`` or ``normalized_margin``) orders them; the finding's
    score is 1 - self-confidence (or (1 - margin) / 2), higher = likelier wrong.

    Labels are the release's items' synsets, or the catalog's accepted
    candidates. An image with several labels in scope (accepted for two
    synsets) is left out: confident learning assumes one true class per image,
    and whether both labels hold is a question for a person. Images left out
    for that or any other reason (no row in the file, a class without a column,
    an unreadable blob, a class too small to cross-validate) are reported
    together in one finding, key ``not-audited``, never silently dropped.

    Fix: look at each flagged image; relabel it to the suggested synset or
    reject it (``synsetdb label``), or dismiss the finding when the label is right.
    """
    if ctx.config.predictions is None:
        limit = int(ctx.option("max_images"))
        if scope_count_capped(ctx, limit + 1) > limit:
            raise CheckSkipped(
                f"more than max_images={limit:,} images in scope to cross-validate: "
                "pass --predictions FILE (out-of-sample probabilities of your model)"
            )
    labelled = ctx.memo("labels.labelled", lambda: _labelled(ctx))
    if not labelled.ids and not labelled.several:
        return
    if ctx.config.predictions is not None:
        sample = _from_file(ctx, labelled)
    else:
        sample = _from_cross_validation(ctx, labelled)
    issues = find_label_issues(
        sample.labels,
        sample.probs,
        filter_by=str(ctx.option("filter_by")),  # type: ignore[arg-type]  # checked there
        rank_by=str(ctx.option("rank_by")),  # type: ignore[arg-type]
    )
    names = synset_names(ctx)
    by_margin = ctx.option("rank_by") == "normalized_margin"
    for rank, row in enumerate(issues.ranked.tolist(), start=1):
        yield _issue(ctx, sample, issues, row, rank, names, by_margin)
    if any(sample.left_out.values()):
        yield _not_audited(ctx, sample)


def _issue(
    ctx: AuditContext,
    sample: _Sample,
    issues: LabelIssues,
    row: int,
    rank: int,
    names: dict[str, str],
    by_margin: bool,
) -> Finding:
    image = sample.ids[row]
    given = sample.classes[int(sample.labels[row])]
    suggested = sample.classes[int(issues.suggested[row])]
    confidence = float(issues.self_confidence[row])
    margin = float(issues.normalized_margin[row])
    return Finding(
        "LBL001",
        ctx.release_key(image),
        f"image {image[:12]} labelled {given} {names.get(given, '')}: the predictions say "
        f"{suggested} {names.get(suggested, '')} (p = {confidence:.2f} for its label)",
        action=f"check the label; relabel to {suggested} or reject",
        synset=given,
        image=image,
        evidence={
            "given": given,
            "given_name": names.get(given),
            "suggested": suggested,
            "suggested_name": names.get(suggested),
            "self_confidence": round(confidence, 6),
            "normalized_margin": round(margin, 6),
            "rank": rank,
            "predictions": sample.source,
        },
        score=round((1.0 - margin) / 2.0 if by_margin else 1.0 - confidence, 6),
    )


def _not_audited(ctx: AuditContext, sample: _Sample) -> Finding:
    counts = {why: len(ids) for why, ids in sample.left_out.items() if ids}
    total = sum(counts.values())
    reasons = ", ".join(f"{n:,} {_LEFT_OUT[why]}" for why, n in counts.items())
    return Finding(
        "LBL001",
        ctx.release_key("not-audited"),
        f"{total:,} image(s) in scope were not audited for label issues: {reasons}",
        action="give them predictions (or one label, a readable blob) and audit again",
        evidence={
            "images": total,
            "counts": counts,
            "examples": {why: ids[:_EXAMPLES] for why, ids in sample.left_out.items() if ids},
            "predictions": sample.source,
        },
    )


# ----------------------------------------------------------------------------- LBL002


@check(
    "LBL002",
    "accepted-against-votes",
    family="labels",
    level="warning",
    summary="accepted candidates most of whose crowd votes said no",
    options={"min_votes": 3, "min_yes_share": 0.5},
)
def accepted_against_votes(ctx: AuditContext) -> Iterator[Finding]:
    """Accepted candidates whose crowd votes disagree strongly with the acceptance.

    A candidate with at least ``min_votes`` votes whose share of "yes" answers
    is below ``min_yes_share`` (default 0.5: more "no" than "yes") was accepted
    against its voters: by a person's decision (``synsetdb label accept``), a
    trusted source at ingest, or an aggregator that weighed the "yes" voters
    more (Dawid-Skene, dynamic consensus). Either the acceptance overrides the
    crowd on purpose, or the image does not show its synset. Votes on hidden
    controls measure workers, not the candidate, and are not counted.

    Each finding names the workers who said yes and no and, from the decision
    log, who or what accepted the candidate last. In a release, the release's
    items are looked at; in the catalog, every accepted candidate.

    Fix: look at the image; reject it (``synsetdb label reject``) or dismiss
    the finding with the reason the acceptance stands.
    """
    min_votes, share = int(ctx.option("min_votes")), float(ctx.option("min_yes_share"))
    c, v, s = schema.candidate, schema.vote, schema.synset
    yes = func.sum(case((v.c.answer == 1, 1), else_=0))
    votes = func.count(v.c.id)
    # Votes are tallied first (one pass over the vote table in candidate order),
    # so only the few candidates voted against are joined to their rows.
    tallies = (
        select(v.c.candidate_id, yes.label("yes"), votes.label("votes"))
        .where(v.c.is_control.is_(False))
        .group_by(v.c.candidate_id)
        .having(and_(votes >= min_votes, yes < share * votes))
        .subquery()
    )
    t = tallies.c
    query = (
        select(c.c.id, c.c.image_id, s.c.wnid, c.c.decided_by, t.yes, t.votes)
        .join(tallies, t.candidate_id == c.c.id)
        .join(s, s.c.id == c.c.synset_id)
        .where(c.c.status == "accepted")
    )
    if ctx.release is not None:
        ri = schema.release_item
        query = query.join(
            ri,
            and_(
                ri.c.release_id == ctx.release.id,
                ri.c.image_id == c.c.image_id,
                ri.c.synset_id == c.c.synset_id,
            ),
        )
    with ctx.catalog.engine.connect() as conn:
        rows = conn.execute(query.order_by(c.c.id)).all()
        voters = _voters(conn, [r.id for r in rows])
        deciders = _deciders(conn, [r.id for r in rows])
    names = synset_names(ctx) if rows else {}
    for row in rows:
        yes_n, total = int(row.yes), int(row.votes)
        said = voters.get(row.id, {})
        yield Finding(
            "LBL002",
            ctx.release_key(f"{row.wnid}:{row.image_id}"),
            f"image {row.image_id[:12]} accepted as {row.wnid} {names.get(row.wnid, '')} "
            f"though {total - yes_n} of its {total} votes said no",
            action="look at the image; reject it, or dismiss with why the acceptance stands",
            synset=row.wnid,
            image=row.image_id,
            evidence={
                "yes": yes_n,
                "no": total - yes_n,
                "votes": total,
                "yes_share": round(yes_n / total, 4),
                "decided_by": row.decided_by,
                "accepted_by": deciders.get(row.id),
                "yes_workers": said.get(1, []),
                "no_workers": said.get(0, []),
            },
            score=round((1.0 - yes_n / total) * total / (total + 1), 6),
        )


def _voters(conn: object, candidates: list[int]) -> dict[int, dict[int, list[str]]]:
    """Per candidate, the names of the workers who answered 1 (yes) and 0 (no), sorted."""
    v, w = schema.vote, schema.worker
    found: dict[int, dict[int, list[str]]] = {}
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start : start + _CHUNK]
        query = (
            select(v.c.candidate_id, v.c.answer, w.c.name)
            .join(w, w.c.id == v.c.worker_id)
            .where(v.c.candidate_id.in_(chunk), v.c.is_control.is_(False))
            .order_by(v.c.candidate_id, w.c.name)
        )
        for candidate, answer, name in conn.execute(query):  # type: ignore[attr-defined]
            found.setdefault(candidate, {}).setdefault(int(answer != 0), []).append(name)
    return found


def _deciders(conn: object, candidates: list[int]) -> dict[int, str | None]:
    """Per candidate, the actor (or ``decided_by``) of its last decision to accept."""
    d = schema.decision
    found: dict[int, str | None] = {}
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start : start + _CHUNK]
        query = (
            select(d.c.candidate_id, d.c.actor, d.c.decided_by)
            .where(d.c.candidate_id.in_(chunk), d.c.status == "accepted")
            .order_by(d.c.candidate_id, d.c.id)
        )
        for candidate, actor, how in conn.execute(query):  # type: ignore[attr-defined]
            found[candidate] = f"{how}: {actor}" if actor else how
    return found


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
