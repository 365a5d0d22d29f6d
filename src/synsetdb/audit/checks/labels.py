"""Labels (LBL001): images whose label is probably wrong, by confident learning.

LBL002 (accepted against the votes) is in ``labels_votes``, LBL003 (mixed senses)
in ``labels_senses``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select

from ...catalog import schema
from ...errors import AuditError
from .._reads import scope_count_capped, synset_names
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
