"""A synthetic ImageNet-21k catalog for bench/explore.py: real schema, real counts, no pixels.

The 21,841 synsets of ImageNet-21k (fall11) get class sizes drawn like
ImageNet's (a lognormal around the mean, long-tailed, capped at 3,000), scaled
to the number of images asked for. Each image is a row as ingest writes it
(a sha256-shaped id, size, format, a 64-bit perceptual hash, source, licence,
a day within two months), proposed for its class (90 % accepted, 5 % still
to verify, 3 % rejected, 2 % undecided); 2 % are proposed for a second,
random class too, so subtree counts must count images once. 1 % of the
candidates carry three votes.

Rows are loaded the way a bulk load is done: secondary indexes dropped,
rows inserted in key order with the driver's executemany, indexes built
again. Then ``Catalog.recount`` builds the maintained counts, exactly as
``synsetdb recount`` would (timed: it is part of the report).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from synsetdb.catalog import Project
from synsetdb.hierarchy import named_set

__all__ = ["Built", "build_catalog", "class_sizes"]

CHUNK = 200_000
SOURCES = ("flickr", "google", "yahoo", "msn", "picsearch", "ask", "folder:imagenet21k")
LICENCES = ("", "CC-BY-2.0", "CC-BY-SA-2.0", "CC-BY-NC-2.0", "CC0-1.0", "all rights reserved")
STATUSES = ("accepted", "candidate", "rejected", "undecided")
STATUS_SHARE = (0.90, 0.05, 0.03, 0.02)
# Secondary indexes dropped for the load and built again after it.
DROPPED = ("image", "candidate", "vote")


@dataclass(frozen=True)
class Built:
    root: Path
    images: int
    candidates: int
    votes: int
    wnids: list[str]  # the classes, in catalog order
    sizes: list[int]  # images per class
    load_s: float
    index_s: float
    recount_s: float
    db_bytes: int


def class_sizes(classes: int, images: int, rng: np.random.Generator) -> np.ndarray:
    """Images per class: lognormal (sigma 1), scaled to sum to ``images``, capped at 3,000.

    Every class gets at least one image when there are enough images for that;
    a smaller catalog (``--quick``) leaves the smallest classes empty.
    """
    floor = 1 if images >= classes else 0
    raw = rng.lognormal(mean=0.0, sigma=1.0, size=classes)
    sizes = np.clip(np.round(raw / raw.sum() * images), floor, 3000).astype(np.int64)
    diff = images - int(sizes.sum())  # rounding and clipping: fix the total on the largest
    order = np.argsort(-sizes)
    i = 0
    while diff:
        step = 1 if diff > 0 else -1
        k = order[i % len(order)]
        if floor <= sizes[k] + step <= 3000:
            sizes[k] += step
            diff -= step
        i += 1
    return sizes


def build_catalog(root: Path, images: int, *, seed: int = 0) -> Built:
    """Make a project at ``root`` holding ``images`` synthetic images over ImageNet-21k."""
    project = Project.init(root)
    try:
        return _fill(project, images, np.random.default_rng(seed))
    finally:
        project.close()


def _fill(project: Project, images: int, rng: np.random.Generator) -> Built:
    catalog = project.catalog
    wnids = list(named_set("imagenet21k-fall11").wnids)
    ids = catalog.synset_ids()
    synset_of_class = np.array([ids[w] for w in wnids], dtype=np.int64)
    sizes = class_sizes(len(wnids), images, rng)
    labels = rng.permutation(np.repeat(np.arange(len(wnids)), sizes))  # class of image n
    raw = catalog.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        indexes = _drop_indexes(cursor)
        started = time.perf_counter()
        counts = _load(cursor, raw, images, labels, synset_of_class, rng)
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        for sql in indexes:
            cursor.execute(sql)
        raw.commit()
        index_s = time.perf_counter() - started
    finally:
        raw.close()
    started = time.perf_counter()
    catalog.recount()
    recount_s = time.perf_counter() - started
    db = Path(project.settings.resolved_catalog_url().removeprefix("sqlite:///"))
    return Built(
        project.root,
        images,
        counts[0],
        counts[1],
        wnids,
        sizes.tolist(),
        load_s,
        index_s,
        recount_s,
        db.stat().st_size,
    )


def _drop_indexes(cursor: object) -> list[str]:
    """Drop the named secondary indexes of the loaded tables; return the SQL that makes them."""
    marks = ",".join("?" * len(DROPPED))
    cursor.execute(  # type: ignore[attr-defined]
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",
        DROPPED,
    )
    found = cursor.fetchall()  # type: ignore[attr-defined]
    for name, _ in found:
        cursor.execute(f'DROP INDEX "{name}"')  # type: ignore[attr-defined]
    return [sql for _, sql in found]


def _hex_ids(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` distinct sha256-shaped ids, sorted (random 128 bits, zero-padded to 64 digits)."""
    high = rng.integers(0, 2**63, size=n, dtype=np.int64).astype(np.uint64)
    low = np.arange(n, dtype=np.uint64)  # keeps them distinct
    order = np.lexsort((low, high))
    return np.array(
        [f"{h:016x}{i:016x}" + "0" * 32 for h, i in zip(high[order], low[order], strict=True)]
    )


def _load(
    cursor: object,
    raw: object,
    images: int,
    labels: np.ndarray,
    synset_of_class: np.ndarray,
    rng: np.random.Generator,
) -> tuple[int, int]:
    ids = _hex_ids(images, rng)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    candidates = votes = 0
    _workers(cursor, start)
    for lo in range(0, images, CHUNK):
        hi = min(images, lo + CHUNK)
        image_rows, candidate_rows, vote_rows = _chunk(
            ids[lo:hi], labels[lo:hi], synset_of_class, rng, start, candidates
        )
        cursor.executemany(  # type: ignore[attr-defined]
            "INSERT INTO image (id, width, height, format, byte_size, phash, blob_key, "
            "thumbnail_key, source, licence, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            image_rows,
        )
        cursor.executemany(  # type: ignore[attr-defined]
            "INSERT INTO candidate (id, image_id, synset_id, status, source, created_at, "
            "updated_at) VALUES (?,?,?,?,?,?,?)",
            candidate_rows,
        )
        cursor.executemany(  # type: ignore[attr-defined]
            "INSERT INTO vote (candidate_id, worker_id, answer, is_control, created_at) "
            "VALUES (?,?,?,0,?)",
            vote_rows,
        )
        raw.commit()  # type: ignore[attr-defined]
        candidates += len(candidate_rows)
        votes += len(vote_rows)
    return candidates, votes


def _workers(cursor: object, start: datetime) -> None:
    cursor.executemany(  # type: ignore[attr-defined]
        "INSERT INTO worker (id, name, role, is_active, can_browse, created_at) "
        "VALUES (?, ?, 'worker', 1, 0, ?)",
        [(i, f"bench-{i}", _stamp(start)) for i in range(1, 51)],
    )


def _stamp(moment: datetime) -> str:
    """A time as SQLAlchemy stores it in SQLite (UTC, no zone)."""
    return moment.replace(tzinfo=None).isoformat(" ", timespec="microseconds")


def _chunk(
    ids: np.ndarray,
    labels: np.ndarray,
    synset_of_class: np.ndarray,
    rng: np.random.Generator,
    start: datetime,
    first_candidate: int,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]:
    n = len(ids)
    width = rng.choice([500, 375, 640, 333, 800, 1024], size=n)
    height = rng.choice([375, 500, 480, 333, 600, 768], size=n)
    fmt = np.where(rng.random(n) < 0.95, "JPEG", "PNG")
    size = rng.integers(20_000, 400_000, size=n)
    phash = rng.integers(-(2**63), 2**63 - 1, size=n, dtype=np.int64)
    source = rng.choice(len(SOURCES), size=n, p=(0.4, 0.2, 0.1, 0.1, 0.1, 0.05, 0.05))
    licence = rng.choice(len(LICENCES), size=n, p=(0.5, 0.2, 0.1, 0.1, 0.05, 0.05))
    day = rng.integers(0, 60, size=n)
    status = rng.choice(len(STATUSES), size=n, p=STATUS_SHARE)
    second = rng.random(n) < 0.02
    voted = rng.random(n) < 0.01
    other = rng.integers(0, len(synset_of_class), size=n)
    seconds = rng.integers(0, 86400, size=n)
    days = [
        _stamp(start + timedelta(days=int(d), seconds=int(s)))
        for d, s in zip(day, seconds, strict=True)
    ]
    image_rows: list[tuple[object, ...]] = []
    candidate_rows: list[tuple[object, ...]] = []
    vote_rows: list[tuple[object, ...]] = []
    cid = first_candidate
    for k in range(n):
        image_id = str(ids[k])
        when = days[k]
        image_rows.append(
            (
                image_id,
                int(width[k]),
                int(height[k]),
                str(fmt[k]),
                int(size[k]),
                int(phash[k]),
                image_id,
                image_id,
                SOURCES[source[k]],
                LICENCES[licence[k]] or None,
                when,
            )
        )
        cid += 1
        label = STATUSES[status[k]]
        synset = int(synset_of_class[labels[k]])
        candidate_rows.append((cid, image_id, synset, label, SOURCES[source[k]], when, when))
        if voted[k]:  # three workers: two yes, one no
            vote_rows.extend((cid, 1 + (k + j) % 50, int(j < 2), when) for j in range(3))
        if second[k] and other[k] != labels[k]:
            cid += 1
            extra = int(synset_of_class[other[k]])
            candidate_rows.append((cid, image_id, extra, "candidate", "google", when, when))
    return image_rows, candidate_rows, vote_rows
