"""Images: the stored files themselves (readable, intact), their sizes, colour modes and EXIF turns.

Sizes come from the catalog's ``image`` rows (width and height of the stored
original, as decoded, before any EXIF turn), filtered in SQL. What the
catalog does not store, the colour mode and the EXIF orientation, is read from
a bounded sample of blobs: only the header (Pillow's lazy open), plus the
small JPEG thumbnail decoded at a reduced scale to tell grey pictures stored
as RGB. Hashing blobs reuses the blob store's own verification
(``BlobStore.get(verify=True)``, as ``synsetdb check`` and ``release verify`` do).
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image
from sqlalchemy import and_, exists, func, or_, select

from ...catalog import schema
from ...catalog.blobs import BlobStore, LocalBlobStore
from ...errors import SynsetdbError
from .._reads import class_sizes
from ..context import AuditContext
from ..model import Finding
from ..registry import check

_HEAD = 256 * 1024  # bytes read for a header: JPEG markers (EXIF, ICC) come before the scan
_ORIENTATION = 0x0112
_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
_GREY_SPREAD = 3.0  # mean |max - min| over RGB channels of a grey picture's thumbnail, at most
_THREADS = min(16, 2 * (os.cpu_count() or 1))


def _short(image_id: str) -> str:
    return image_id[:12]


def _in_scope(ctx: AuditContext) -> Any:
    """An EXISTS clause: ``schema.image`` row is in scope."""
    img = schema.image
    if ctx.release is not None:
        ri = schema.release_item
        return exists().where(ri.c.release_id == ctx.release.id, ri.c.image_id == img.c.id)
    c = schema.candidate
    return exists().where(c.c.image_id == img.c.id, c.c.status == "accepted")


def _scope_pairs(ctx: AuditContext, *columns: Any) -> Any:
    """``select(wnid, *columns)`` over each (image, synset) pair in scope."""
    img, s = schema.image, schema.synset
    if ctx.release is not None:
        ri = schema.release_item
        return (
            select(s.c.wnid, *columns)
            .select_from(ri)
            .join(img, img.c.id == ri.c.image_id)
            .join(s, s.c.id == ri.c.synset_id)
            .where(ri.c.release_id == ctx.release.id)
        )
    c = schema.candidate
    return (
        select(s.c.wnid, *columns)
        .select_from(c)
        .join(img, img.c.id == c.c.image_id)
        .join(s, s.c.id == c.c.synset_id)
        .where(c.c.status == "accepted")
    )


# ----------------------------------------------------------------------------- IMG001


def _blob_failure(blobs: BlobStore, key: str) -> tuple[str, str] | None:
    """``(code, message)`` when the blob is missing, unreadable or does not hash to its key."""
    try:
        blobs.get(key, verify=True)
    except SynsetdbError as exc:
        return exc.code or "E_BLOB", str(exc)
    except OSError as exc:
        return "E_BLOB_READ", f"cannot read blob {key}: {exc}"
    return None


@check(
    "IMG001",
    "corrupt-blob",
    family="images",
    level="error",
    summary="stored originals that are missing or do not hash to their key (a sample)",
    options={"sample": 1000, "seed": 0},
)
def corrupt_blob(ctx: AuditContext) -> Iterator[Finding]:
    """Images in scope whose original is gone from the blob store or no longer hashes to its key.

    Blobs are content-addressed: an image's key is the sha256 of its bytes,
    so re-hashing tells whether the stored file is still the one ingested
    (bit rot, a partial copy, a file edited in place). A missing or damaged
    original cannot be exported, trained on or shown, and a release built on
    it fails ``release verify``. Rejections at ingest (the ingest log) are not
    this check's: only stored images are.

    Re-hashing every blob of a large catalog reads all of it, so the check
    looks at ``sample`` images (default 1,000; 0 checks every image in
    scope): those whose ids come first at or after a starting point derived
    from ``seed``, wrapping around. Image ids are sha256 values, so this is a
    uniform sample, the same on every run with the same seed; change ``seed``
    to look at other images. A scope of at most ``sample`` images is checked
    whole. For a full check use ``synsetdb check`` (the catalog) or
    ``synsetdb release verify NAME``.

    Fix: restore the blob from a backup or re-ingest the source (the same
    bytes get the same key); otherwise drop the image.
    """
    sample = int(ctx.option("sample"))
    rows = _sampled_blobs(ctx, sample, int(ctx.option("seed")))
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        failures = list(pool.map(lambda row: _blob_failure(ctx.blobs, row[1]), rows))
    for (image_id, key), failure in zip(rows, failures, strict=True):
        if failure is None:
            continue
        code, message = failure
        what = "missing" if code == "E_BLOB_MISSING" else "corrupt or unreadable"
        yield Finding(
            "IMG001",
            ctx.release_key(image_id),
            f"image {_short(image_id)}: its original blob is {what} ({code})",
            action="restore the blob from a backup or re-ingest its source, else drop the image",
            image=image_id,
            evidence={"code": code, "blob_key": key, "detail": message, "sampled": len(rows)},
            score=1.0,
        )


def _sampled_blobs(ctx: AuditContext, sample: int, seed: int) -> list[tuple[str, str]]:
    """(image id, blob key) of ``sample`` images in scope from the seed's point on (all: 0)."""
    img = schema.image
    start = hashlib.sha256(f"synsetdb-audit-sample:{seed}".encode()).hexdigest()
    base = select(img.c.id, img.c.blob_key).where(_in_scope(ctx)).order_by(img.c.id)
    with ctx.catalog.engine.connect() as conn:
        if sample <= 0:
            return [(r[0], r[1]) for r in conn.execute(base)]
        rows = [(r[0], r[1]) for r in conn.execute(base.where(img.c.id >= start).limit(sample))]
        if len(rows) < sample:
            wrap = base.where(img.c.id < start).limit(sample - len(rows))
            rows += [(r[0], r[1]) for r in conn.execute(wrap)]
    return rows


# ----------------------------------------------------------------------------- IMG002, IMG003


def _sized(ctx: AuditContext, predicate: Any) -> list[Any]:
    """(wnid, id, width, height) of each (image, synset) pair in scope whose image matches.

    The predicate (on ``image``'s width and height) is applied to the image
    table first, in a subquery, and only its few matches are joined to the
    scope through the pairs' indexes: joining every pair in scope to its image
    row first costs a million index lookups on a million-image catalog.
    """
    img = schema.image
    matching = select(img.c.id).where(predicate).scalar_subquery()
    column = (
        schema.release_item.c.image_id if ctx.release is not None else schema.candidate.c.image_id
    )
    query = _scope_pairs(ctx, img.c.id, img.c.width, img.c.height).where(column.in_(matching))
    with ctx.catalog.engine.connect() as conn:
        return list(conn.execute(query.order_by(img.c.id)).all())


def _per_image_or_class(
    ctx: AuditContext,
    code: str,
    rows: Sequence[Any],
    per_class: int,
    image_finding: Callable[[Any], Finding],
    class_finding: Callable[[str, list[Any]], Finding],
) -> Iterator[Finding]:
    """A finding per image, or one per class for a class with more than ``per_class`` of them."""
    by_class: dict[str, list[Any]] = {}
    for row in rows:
        by_class.setdefault(row.wnid, []).append(row)
    seen: set[str] = set()
    for wnid, members in sorted(by_class.items()):
        if len(members) > per_class:
            yield class_finding(wnid, members)
            continue
        for row in members:
            if row.id not in seen:  # an image in two classes is reported once
                seen.add(row.id)
                yield image_finding(row)


def _class_finding(
    ctx: AuditContext,
    code: str,
    wnid: str,
    members: list[Any],
    what: str,
    action: str,
    limit: dict[str, Any],
) -> Finding:
    """One finding for a class with many such images (``what``: "with a side under 64 px")."""
    return Finding(
        code,
        ctx.release_key(f"class:{wnid}"),
        f"{wnid}: {len(members)} images {what}",
        action=action,
        synset=wnid,
        evidence={
            "images": len(members),
            **limit,
            "class_images": class_sizes(ctx).get(wnid, 0),
            "examples": sorted(r.id for r in members)[:5],
        },
        score=float(len(members)),
    )


@check(
    "IMG002",
    "small-image",
    family="images",
    level="warning",
    summary="images whose shorter side is under min_side pixels",
    options={"min_side": 64, "per_class": 20},
)
def small_image(ctx: AuditContext) -> Iterator[Finding]:
    """Images with a side shorter than ``min_side`` pixels (the stored original's size).

    Models take 224×224 or larger inputs: an image of 40×30 is upsampled
    five-fold into a blur, and its label is often unreadable to people too.
    Ingest rejects images under ``min_side`` of its own ``ValidationConfig``
    (32 by default); this policy is usually stricter (default 64).

    Each such image is a finding (key: the image id), ranked by how short its
    shorter side is, except in a class with more than ``per_class`` (default
    20) of them: that class gets one finding instead (key ``class:<wnid>``),
    listing a few examples, so a catalog of thumbnails does not yield a
    million findings.

    Fix: replace the image with a larger copy (its source URL) or reject the
    candidate; for a class of small images, filter them out of the release.
    """
    least, per_class = int(ctx.option("min_side")), int(ctx.option("per_class"))
    img = schema.image
    rows = _sized(ctx, or_(img.c.width < least, img.c.height < least))

    def one(row: Any) -> Finding:
        side = min(row.width, row.height)
        return Finding(
            "IMG002",
            ctx.release_key(row.id),
            f"image {_short(row.id)} of {row.wnid}: {row.width}x{row.height}, "
            f"a side under {least} px",
            action="replace it with a larger copy, or reject the candidate",
            synset=row.wnid,
            image=row.id,
            evidence={"width": row.width, "height": row.height, "min_side": least},
            score=float(least - side),
        )

    def many(wnid: str, members: list[Any]) -> Finding:
        return _class_finding(
            ctx,
            "IMG002",
            wnid,
            members,
            f"with a side under {least} px",
            "filter the small images out of the release, or collect larger ones",
            {"min_side": least},
        )

    yield from _per_image_or_class(ctx, "IMG002", rows, per_class, one, many)


@check(
    "IMG003",
    "extreme-aspect",
    family="images",
    level="warning",
    summary="images whose longer side is more than max_aspect times the shorter",
    options={"max_aspect": 4.0, "per_class": 20},
)
def extreme_aspect(ctx: AuditContext) -> Iterator[Finding]:
    """Images longer than ``max_aspect`` times their width (or the reverse): banners, strips.

    The usual training transforms (a random resized crop, a centre crop after
    resizing the shorter side) keep a square window: of a 5:1 panorama they
    keep a fifth, often without the object named by the label. Such images
    are mostly banners, page strips, stitched panoramas or collages. Ingest
    rejects only beyond its own ``max_aspect`` (20 by default).

    A finding per image (key: the image id), ranked by its aspect ratio;
    a class with more than ``per_class`` (default 20) such images gets one
    finding instead (key ``class:<wnid>``). Default ``max_aspect``: 4.0.

    Fix: reject the candidate, or crop the image around its object and
    re-ingest the crop.
    """
    limit, per_class = float(ctx.option("max_aspect")), int(ctx.option("per_class"))
    img = schema.image
    rows = _sized(ctx, or_(img.c.width > limit * img.c.height, img.c.height > limit * img.c.width))

    def aspect(row: Any) -> float:
        return float(max(row.width, row.height) / min(row.width, row.height))

    def one(row: Any) -> Finding:
        return Finding(
            "IMG003",
            ctx.release_key(row.id),
            f"image {_short(row.id)} of {row.wnid}: {row.width}x{row.height}, "
            f"aspect {aspect(row):.1f} over {limit:g}",
            action="reject the candidate, or crop it around its object",
            synset=row.wnid,
            image=row.id,
            evidence={
                "width": row.width,
                "height": row.height,
                "aspect": round(aspect(row), 4),
                "max_aspect": limit,
            },
            score=aspect(row),
        )

    def many(wnid: str, members: list[Any]) -> Finding:
        return _class_finding(
            ctx,
            "IMG003",
            wnid,
            members,
            f"with an aspect ratio over {limit:g}",
            "filter these images out of the release, or crop them",
            {"max_aspect": limit},
        )

    yield from _per_image_or_class(ctx, "IMG003", rows, per_class, one, many)


# ----------------------------------------------------------------------------- the header sample


@dataclass(frozen=True, slots=True)
class _Header:
    """What a blob's header (and its thumbnail) say about one sampled image."""

    image: str
    mode: str | None  # Pillow's mode; None when the blob could not be opened
    orientation: int  # EXIF orientation, 1 (as stored) when absent
    grey: bool  # a grey mode, or a colour mode holding a grey picture


def _head(blobs: BlobStore, key: str) -> bytes:
    """The first bytes of a blob (the whole blob where the store cannot read part of one)."""
    if isinstance(blobs, LocalBlobStore):
        with blobs.path(key).open("rb") as file:
            return file.read(_HEAD)
    return blobs.get(key)


def _open(blobs: BlobStore, key: str) -> Image.Image:
    data = _head(blobs, key)
    try:
        return Image.open(io.BytesIO(data))
    except Exception:  # the header runs past the bytes read: read the whole blob
        if len(data) < _HEAD:
            raise
        return Image.open(io.BytesIO(blobs.get(key)))


def _read_header(blobs: BlobStore, image_id: str, key: str, thumbnail: str | None) -> _Header:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # odd EXIF and similar: nothing for the audit to say
        try:
            with _open(blobs, key) as image:
                mode = image.mode
                orientation = _orientation(image)
        except Exception:  # a blob Pillow cannot open is IMG001's (or the ingest's) concern
            return _Header(image_id, None, 1, False)
        grey = mode in _GREY_MODES
        if not grey and mode in ("RGB", "RGBA", "P", "YCbCr") and thumbnail:
            grey = _grey_thumbnail(blobs, thumbnail)
    return _Header(image_id, mode, orientation, grey)


def _orientation(image: Image.Image) -> int:
    try:
        value = image.getexif().get(_ORIENTATION, 1)
    except Exception:  # malformed EXIF: as stored
        return 1
    return int(value) if isinstance(value, int) and 1 <= value <= 8 else 1


def _grey_thumbnail(blobs: BlobStore, key: str) -> bool:
    """Whether the JPEG thumbnail is a grey picture (its channels equal up to JPEG noise)."""
    try:
        with Image.open(io.BytesIO(blobs.get(key))) as thumb:
            thumb.draft("RGB", (64, 64))
            pixels = np.asarray(thumb.convert("RGB"), dtype=np.int16)
    except Exception:
        return False
    spread = pixels.max(axis=2) - pixels.min(axis=2)
    return bool(spread.mean() <= _GREY_SPREAD)


def _header_sample(ctx: AuditContext, per_class: int, sample: int) -> dict[str, list[_Header]]:
    """Up to ``per_class`` images of each class in scope (lowest ids first), ``sample`` in all."""
    key = f"images.header_sample:{per_class}:{sample}"
    return ctx.memo(key, lambda: _read_sample(ctx, max(1, per_class), max(1, sample)))


def _read_sample(ctx: AuditContext, per_class: int, sample: int) -> dict[str, list[_Header]]:
    chosen = _sample_ids(ctx, per_class, sample)
    ids = sorted({i for members in chosen.values() for i in members})
    img = schema.image
    keys: dict[str, tuple[str, str | None]] = {}
    with ctx.catalog.engine.connect() as conn:
        for at in range(0, len(ids), 500):
            query = select(img.c.id, img.c.blob_key, img.c.thumbnail_key).where(
                img.c.id.in_(ids[at : at + 500])
            )
            keys.update((r.id, (r.blob_key, r.thumbnail_key)) for r in conn.execute(query))
    blobs = ctx.blobs

    def read(image_id: str) -> _Header:
        blob, thumbnail = keys[image_id]
        return _read_header(blobs, image_id, blob, thumbnail)

    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        headers = dict(zip(ids, pool.map(read, ids), strict=True))
    return {wnid: [headers[i] for i in members] for wnid, members in chosen.items()}


def _sample_ids(ctx: AuditContext, per_class: int, sample: int) -> dict[str, list[str]]:
    """Per class in wnid order, its first ``per_class`` image ids, until ``sample`` are taken.

    The classes needed are known from the class sizes; their first ids come
    from one query numbering each class's pairs by image id (a window), not a
    query per class.
    """
    sizes = class_sizes(ctx)
    wanted: dict[str, int] = {}
    left = sample
    for wnid in sorted(sizes):
        if left <= 0:
            break
        wanted[wnid] = min(per_class, left, sizes[wnid])
        left -= wanted[wnid]
    if not wanted:
        return {}
    ids = _synset_ids(ctx, sorted(wanted))
    wnid_of = {ids[w]: w for w in wanted if w in ids}
    chosen: dict[str, list[str]] = {w: [] for w in wanted}
    with ctx.catalog.engine.connect() as conn:
        synsets = sorted(wnid_of)
        for at in range(0, len(synsets), 500):
            for synset_id, image_id in conn.execute(
                _first_ids(ctx, synsets[at : at + 500], per_class)
            ):
                members = chosen[wnid_of[int(synset_id)]]
                if len(members) < wanted[wnid_of[int(synset_id)]]:
                    members.append(image_id)
    return chosen


def _first_ids(ctx: AuditContext, synset_ids: list[int], per_class: int) -> Any:
    """(synset id, image id) of the first ``per_class`` ids of each of these classes in scope."""
    if ctx.release is not None:
        ri = schema.release_item.c
        synset, image = ri.synset_id, ri.image_id
        where = and_(ri.release_id == ctx.release.id, synset.in_(synset_ids))
    else:
        c = schema.candidate.c
        synset, image = c.synset_id, c.image_id
        where = and_(synset.in_(synset_ids), c.status == "accepted")
    number = func.row_number().over(partition_by=synset, order_by=image).label("n")
    numbered = select(synset.label("synset_id"), image.label("image_id"), number).where(where)
    inner = numbered.subquery()
    return (
        select(inner.c.synset_id, inner.c.image_id)
        .where(inner.c.n <= per_class)
        .order_by(inner.c.synset_id, inner.c.image_id)
    )


def _synset_ids(ctx: AuditContext, wnids: list[str]) -> dict[str, int]:
    s = schema.synset
    found: dict[str, int] = {}
    with ctx.catalog.engine.connect() as conn:
        for at in range(0, len(wnids), 500):
            query = select(s.c.wnid, s.c.id).where(s.c.wnid.in_(wnids[at : at + 500]))
            found.update((w, int(i)) for w, i in conn.execute(query))
    return found


# ----------------------------------------------------------------------------- IMG004, IMG005


@check(
    "IMG004",
    "colour-mode-share",
    family="images",
    level="warning",
    summary="classes where a large share of a sample is grayscale, or any is CMYK",
    options={
        "max_grey_share": 0.5,
        "max_cmyk_share": 0.0,
        "per_class": 8,
        "sample": 4000,
        "min_sampled": 3,
    },
)
def colour_mode_share(ctx: AuditContext) -> Iterator[Finding]:
    """Classes whose sampled images are mostly grayscale, or include CMYK files.

    The catalog stores each image's format but not its colour mode, so the
    check reads a sample: up to ``per_class`` images of each class (default
    8; the lowest image ids, a uniform choice since ids are hashes), at most
    ``sample`` in all (default 4,000, classes in wnid order; raise it for a
    catalog with more classes). For each, only the header of the original is
    read (Pillow's lazy open) for its mode; an RGB original whose thumbnail's
    channels are equal is a grey picture stored as colour and counts as grey.

    A class whose sampled grey share exceeds ``max_grey_share`` (default
    0.5) teaches a model that colour is irrelevant to it, or that greyness
    is the class (a shortcut: old scans, X-rays, microfilm). CMYK JPEGs
    (ILSVRC-2012's train set has 22) are decoded by some loaders with
    inverted or wrong colours, or not at all; any share above
    ``max_cmyk_share`` (default 0: any) is reported. A class with fewer than
    ``min_sampled`` (default 3) sampled images is not judged. One finding
    per class (key: the wnid), with the sampled counts and examples.

    Fix: collect colour images for a grey class (or accept it if greyness is
    the class's nature); convert CMYK originals to RGB before export (an
    export that resizes re-encodes every image as RGB) or re-ingest them converted.
    """
    grey_limit, cmyk_limit = (
        float(ctx.option("max_grey_share")),
        float(ctx.option("max_cmyk_share")),
    )
    least = int(ctx.option("min_sampled"))
    sample = _header_sample(ctx, int(ctx.option("per_class")), int(ctx.option("sample")))
    for wnid, headers in sorted(sample.items()):
        read = [h for h in headers if h.mode is not None]
        if len(read) < max(1, least):
            continue
        grey = [h.image for h in read if h.grey]
        cmyk = [h.image for h in read if h.mode == "CMYK"]
        grey_share, cmyk_share = len(grey) / len(read), len(cmyk) / len(read)
        if grey_share <= grey_limit and cmyk_share <= cmyk_limit:
            continue
        parts = []
        if grey_share > grey_limit:
            parts.append(f"{len(grey)} grayscale")
        if cmyk_share > cmyk_limit:
            parts.append(f"{len(cmyk)} CMYK")
        yield Finding(
            "IMG004",
            ctx.release_key(wnid),
            f"{wnid}: {' and '.join(parts)} of {len(read)} sampled images",
            action="collect colour images for the class, and convert CMYK originals to RGB",
            synset=wnid,
            evidence={
                "sampled": len(read),
                "grey": len(grey),
                "cmyk": len(cmyk),
                "grey_share": round(grey_share, 4),
                "cmyk_share": round(cmyk_share, 4),
                "class_images": class_sizes(ctx).get(wnid, 0),
                "grey_examples": grey[:5],
                "cmyk_examples": cmyk[:5],
            },
            score=max(grey_share, cmyk_share),
        )


@check(
    "IMG005",
    "exif-rotated",
    family="images",
    level="info",
    summary="classes with originals that carry an EXIF rotation (a sample)",
    options={"per_class": 8, "sample": 4000, "min_share": 0.0},
)
def exif_rotated(ctx: AuditContext) -> Iterator[Finding]:
    """Classes whose sampled originals carry an EXIF orientation other than "as stored".

    Cameras and phones store pixels as the sensor read them and record the
    turn in the EXIF orientation tag (values 2 to 8). Loaders disagree on
    it: Pillow's ``Image.open`` and TensorFlow's ``decode_jpeg`` ignore it,
    torchvision's ``decode_image`` can apply it, browsers apply it. The same
    release then trains one pipeline on sideways pictures. Ingest does not
    record the tag: the stored width and height (and ILSVRC-style boxes) are
    those of the pixels as stored, while thumbnails are shown upright.

    The check reads the header of the same sample as IMG004 (``per_class``
    images per class, ``sample`` in all) and reports, per class (key: the
    wnid), the sampled images with a turn, when their share exceeds
    ``min_share`` (default 0: any).

    Fix: export with resizing (every image is then re-encoded upright), or
    re-ingest the originals with the turn applied; say in the datasheet which
    orientation the files have.
    """
    limit = float(ctx.option("min_share"))
    sample = _header_sample(ctx, int(ctx.option("per_class")), int(ctx.option("sample")))
    for wnid, headers in sorted(sample.items()):
        read = [h for h in headers if h.mode is not None]
        turned = [h for h in read if h.orientation != 1]
        if not turned or len(turned) / len(read) <= limit:
            continue
        yield Finding(
            "IMG005",
            ctx.release_key(wnid),
            f"{wnid}: {len(turned)} of {len(read)} sampled originals carry an EXIF turn",
            action="export re-encoded upright, or re-ingest the originals turned",
            synset=wnid,
            evidence={
                "sampled": len(read),
                "rotated": len(turned),
                "share": round(len(turned) / len(read), 4),
                "orientations": sorted({h.orientation for h in turned}),
                "examples": [h.image for h in turned][:5],
            },
            score=len(turned) / len(read),
        )
