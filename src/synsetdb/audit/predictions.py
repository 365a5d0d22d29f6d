"""Out-of-sample predicted probabilities for the label checks: read from a file or cross-validated.

Confident learning (``LBL001``) needs, for every image, class probabilities
from a model that never saw that image. They come either from a file
(``synsetdb audit --predictions FILE``) or from k-fold cross-validation of a
simple classifier on the project's own features (:func:`cross_validated_probs`).

The file is an ``.npz`` (``numpy.savez``) holding three arrays:

- ``image_ids``: ``(N,)`` strings, each image's id (sha256 hex, as in the catalog);
- ``wnids``: ``(K,)`` strings, the classes in column order;
- ``probs``: ``(N, K)`` floats (float32 is enough), each row summing to 1.

or a Parquet file (needs ``pyarrow``, the ``parquet`` extra) with a string
column ``image_id`` and one float column per class, named by its wnid, in
column order. Errors name the file (``E_PREDICTIONS``)::

    np.savez("probs.npz", image_ids=ids, wnids=classes, probs=p.astype("float32"))

Features of stored images are cached per embedder under the project's
``.cache/features/`` (beside the explorer's ``.cache/clusters/``), so a
second audit decodes nothing it decoded before.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..catalog import Project
from ..errors import AuditError, SynsetdbError
from ..evaluate._files import write_atomically
from ..evaluate.baselines.data import decode_small
from ..evaluate.baselines.nn import nearest_neighbours
from ..evaluate.features import embedder_named
from ..evaluate.features._extras import require
from .confident import ROW_SUM_TOLERANCE

__all__ = [
    "PREDICTION_KEYS",
    "CrossValidation",
    "Embedded",
    "Predictions",
    "cross_validated_probs",
    "embed_stored",
    "knn_probs",
    "read_predictions",
    "stratified_folds",
]

log = logging.getLogger(__name__)

PREDICTION_KEYS = ("image_ids", "wnids", "probs")
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.floating]
_IMAGE_ID = re.compile(r"^[0-9a-f]{64}$")
_BATCH = 256  # images decoded at a time
_CACHE_VERSION = 1  # bump when decoding changes what a cached row means


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: arrays have no single truth value
class Predictions:
    """Predicted class probabilities per image.

    Attributes:
        image_ids: one image id per row.
        wnids: the classes, in column order.
        probs: ``(len(image_ids), len(wnids))`` probabilities, rows summing to 1.
        source: where they came from, for messages (a path, or ``cross-validation``).
    """

    image_ids: tuple[str, ...]
    wnids: tuple[str, ...]
    probs: FloatArray
    source: str

    def row_of(self) -> dict[str, int]:
        """Each image id's row."""
        return {image: row for row, image in enumerate(self.image_ids)}


def read_predictions(path: Path) -> Predictions:
    """Read and check a predictions file (``.npz``, or ``.parquet``).

    Raises:
        AuditError: ``E_PREDICTIONS`` naming the file for an unreadable file, a
            missing array, wrong shapes or types, a malformed or repeated image
            id, a repeated class, NaN or infinity, a negative value, or a row
            whose sum is not 1 (within 0.01).
    """
    if not path.is_file():
        raise _bad(path, "no such file")
    if path.suffix.lower() == ".parquet":
        ids, wnids, probs = _read_parquet(path)
    else:
        ids, wnids, probs = _read_npz(path)
    return _checked(path, ids, wnids, probs)


def _bad(path: Path, why: str) -> AuditError:
    return AuditError(f"predictions {path}: {why}", code="E_PREDICTIONS")


def _read_npz(path: Path) -> tuple[Any, Any, Any]:
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [key for key in PREDICTION_KEYS if key not in data.files]
            if missing:
                raise _bad(
                    path, f"no array {', '.join(missing)} (needs {', '.join(PREDICTION_KEYS)})"
                )
            return data["image_ids"], data["wnids"], data["probs"]
    except AuditError:
        raise
    except (OSError, ValueError, EOFError) as e:  # not a zip, pickled objects, truncated
        raise _bad(path, f"not a readable .npz of arrays ({type(e).__name__}: {e})") from e


def _read_parquet(path: Path) -> tuple[Any, Any, Any]:
    parquet = require("pyarrow.parquet", "parquet", "a Parquet predictions file")
    try:
        table = parquet.read_table(path)
    except Exception as e:  # pyarrow raises its own types for any malformed file
        raise _bad(path, f"not a readable Parquet file ({type(e).__name__}: {e})") from e
    if "image_id" not in table.column_names:
        raise _bad(path, "no column image_id (then one float column per wnid)")
    wnids = [name for name in table.column_names if name != "image_id"]
    ids = np.asarray(table.column("image_id").to_pylist(), dtype=object)
    columns = [table.column(w).to_numpy(zero_copy_only=False) for w in wnids]
    try:
        probs = np.stack(columns, axis=1) if columns else np.zeros((len(ids), 0))
    except (TypeError, ValueError) as e:
        raise _bad(path, f"class columns must hold numbers ({e})") from e
    return ids, np.asarray(wnids), probs


def _strings(path: Path, name: str, values: Any) -> tuple[str, ...]:
    array = np.asarray(values)
    if array.ndim != 1 or not all(isinstance(v, str) for v in array.tolist()):
        raise _bad(path, f"{name} must be a 1-d array of strings, got {array.dtype} {array.shape}")
    found: tuple[str, ...] = tuple(array.tolist())
    if len(set(found)) != len(found):
        twice = next(v for v in found if found.count(v) > 1)
        raise _bad(path, f"{name} holds {twice!r} more than once")
    return found


def _checked(path: Path, ids: Any, wnids: Any, probs: Any) -> Predictions:
    image_ids = _strings(path, "image_ids", ids)
    classes = _strings(path, "wnids", wnids)
    bad_id = next((i for i in image_ids if not _IMAGE_ID.match(i)), None)
    if bad_id is not None:
        raise _bad(path, f"image id {bad_id!r} is not a sha256 in lower-case hex")
    matrix = np.asarray(probs)
    if matrix.dtype.kind not in "fiu":
        raise _bad(path, f"probs must hold numbers, got {matrix.dtype}")
    if matrix.dtype.kind != "f":
        matrix = matrix.astype(np.float32)
    if matrix.shape != (len(image_ids), len(classes)) or len(classes) < 2:
        raise _bad(
            path,
            f"probs has shape {matrix.shape}; needs (images, classes) = "
            f"({len(image_ids)}, {len(classes)}) with at least 2 classes",
        )
    _check_rows(path, image_ids, matrix)
    return Predictions(image_ids, classes, matrix, str(path))


def _check_rows(path: Path, image_ids: tuple[str, ...], probs: FloatArray) -> None:
    finite = np.isfinite(probs).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise _bad(path, f"image {image_ids[row]} (row {row}) has NaN or infinity")
    negative = (probs < 0).any(axis=1)
    if negative.any():
        row = int(np.flatnonzero(negative)[0])
        raise _bad(path, f"image {image_ids[row]} (row {row}) has a negative probability")
    sums = probs.sum(axis=1, dtype=np.float64)
    off = np.flatnonzero(np.abs(sums - 1.0) > ROW_SUM_TOLERANCE)
    if len(off):
        row = int(off[0])
        raise _bad(
            path,
            f"image {image_ids[row]} (row {row}) sums to {sums[row]:.4g}, not 1: "
            f"{len(off)} row(s) are not probabilities (softmax the scores first)",
        )


# ----------------------------------------------------------------------------- cross-validation


@dataclass(frozen=True, slots=True)
class CrossValidation:
    """How out-of-sample probabilities are made when no file is given.

    Attributes:
        folds: K of K-fold; each image's row comes from the model trained on the other folds.
        neighbours: the k of the k-nearest-neighbour classifier.
        smoothing: pseudo-votes spread evenly over the classes, so no probability is 0.
        dims: features are projected on this many principal components first.
        seed: shuffles the images of each class before they are dealt into folds.
    """

    folds: int = 5
    neighbours: int = 10
    smoothing: float = 1.0
    dims: int = 64
    seed: int = 0

    def __post_init__(self) -> None:
        if self.folds < 2 or self.neighbours < 1 or self.smoothing <= 0 or self.dims < 1:
            raise AuditError(
                f"cross-validation needs folds >= 2, neighbours >= 1, smoothing > 0 and "
                f"dims >= 1, got {self.folds}, {self.neighbours}, {self.smoothing}, {self.dims}",
                code="E_CONFIG",
            )


def stratified_folds(labels: IntArray, folds: int, seed: int = 0) -> IntArray:
    """Each sample's fold: a class's samples, shuffled, dealt round-robin into ``folds``."""
    rng = np.random.default_rng(seed)
    order = np.lexsort((rng.random(len(labels)), labels))  # by class, shuffled within
    counts = np.bincount(labels)
    starts = np.cumsum(counts) - counts
    rank = np.arange(len(labels)) - starts[labels[order]]
    fold = np.empty(len(labels), dtype=np.int64)
    fold[order] = (rank + labels[order]) % folds  # offset by class: folds stay even in size
    return fold


def knn_probs(
    train: FloatArray,
    targets: IntArray,
    query: FloatArray,
    n_classes: int,
    *,
    k: int = 10,
    smoothing: float = 1.0,
) -> FloatArray:
    """Class shares among each query row's ``k`` nearest training rows, smoothed.

    ``p[c] = (votes[c] + smoothing / K) / (k + smoothing)``: rows sum to 1 and no
    class gets 0.
    """
    k = min(k, len(train))
    nearest = nearest_neighbours(train, query, k)
    votes = targets[nearest]
    counts = np.zeros((len(query), n_classes), dtype=np.float64)
    np.add.at(counts, (np.repeat(np.arange(len(query)), k), votes.ravel()), 1.0)
    probs: FloatArray = (counts + smoothing / n_classes) / (k + smoothing)
    return probs


def _orthonormal(basis: FloatArray) -> FloatArray:
    """An orthonormal basis of ``basis``'s columns, from the small Gram matrix's eigenvectors.

    Cheaper than a QR of the tall matrix; columns of a near-zero eigenvalue are dropped.
    """
    values, vectors = np.linalg.eigh(basis.T @ basis)
    keep = values > values.max() * 1e-10
    found: FloatArray = (basis @ vectors[:, keep]) / np.sqrt(values[keep])
    return found


def _projected(features: FloatArray, dims: int, seed: int = 0) -> FloatArray:
    """Standardised features on their first ``dims`` principal components (labels unused).

    The components come from a randomised SVD (Halko, Martinsson & Tropp 2011:
    a random range, two power iterations), a fraction of an exact SVD's cost
    on thousands of 3,072-value tiny images.
    """
    x: FloatArray = np.array(features, dtype=np.float32)
    x -= x.mean(axis=0)
    scale = x.std(axis=0)
    x /= np.where(scale > 0, scale, 1.0)
    if x.shape[1] <= dims or len(x) <= dims:
        return x
    rng = np.random.default_rng(seed)
    basis = _orthonormal(x @ rng.standard_normal((x.shape[1], dims + 10)).astype(np.float32))
    for _ in range(2):
        basis = _orthonormal(x @ (x.T @ basis))
    _u, _s, vt = np.linalg.svd(basis.T @ x, full_matrices=False)
    projected: FloatArray = x @ vt[:dims].T
    return projected


def cross_validated_probs(
    features: FloatArray, labels: IntArray, n_classes: int, config: CrossValidation
) -> FloatArray:
    """Out-of-sample ``(n, n_classes)`` probabilities by stratified K-fold k-NN.

    Each fold's rows come from a k-nearest-neighbour classifier on the other
    folds' rows only. The projection on principal components uses no labels,
    so fitting it on every row leaks nothing about a held-out image's label.
    """
    x = _projected(features, config.dims)
    fold = stratified_folds(labels, config.folds, config.seed)
    probs = np.empty((len(labels), n_classes), dtype=np.float64)
    for f in range(config.folds):
        held = fold == f
        if not held.any():
            continue
        probs[held] = knn_probs(
            x[~held],
            labels[~held],
            x[held],
            n_classes,
            k=config.neighbours,
            smoothing=config.smoothing,
        )
    return probs


# ----------------------------------------------------------------------------- features, cached


@dataclass(frozen=True, slots=True, eq=False)
class Embedded:
    """Feature rows of stored images: ``rows[i]`` is ``ids[i]``'s; ``failed`` could not be read."""

    ids: tuple[str, ...]
    rows: NDArray[np.float32]
    failed: tuple[str, ...]


def _cache_path(project: Project, name: str, embedder: object) -> Path:
    digest = hashlib.sha256(f"{_CACHE_VERSION}:{embedder!r}".encode()).hexdigest()[:16]
    return project.root / ".cache" / "features" / f"{name}-{digest}.npz"


def _load_cache(path: Path) -> tuple[list[str], NDArray[np.float32] | None]:
    try:
        with np.load(path, allow_pickle=False) as data:
            return list(data["ids"].tolist()), np.asarray(data["rows"], dtype=np.float32)
    except FileNotFoundError:
        return [], None
    except (OSError, ValueError, KeyError, EOFError):
        log.warning("ignoring the damaged feature cache %s", path)
        return [], None


def _keep_cache(path: Path, ids: list[str], rows: NDArray[np.float32]) -> None:
    """Write the cache whole; a project that cannot be written still gets its features."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(
            path, lambda out: np.savez(out, ids=np.asarray(ids, dtype="U64"), rows=rows)
        )
    except (OSError, SynsetdbError) as e:
        log.warning("cannot keep features in %s: %s", path.parent, e)


def embed_stored(project: Project, embedder: str, images: Sequence[tuple[str, str]]) -> Embedded:
    """Features of ``images`` (``(image id, blob key)`` pairs), decoded small, cached.

    The blob key may be the image's thumbnail rendition: the features here
    work on images no larger than 160 pixels anyway. An image whose blob is
    missing or cannot be decoded is left out and listed in ``failed``.

    Raises:
        EvaluationError: ``E_OPTIONS`` for an unknown embedder name.
    """
    model = embedder_named(embedder)
    path = _cache_path(project, embedder, model)
    cached_ids, cached_rows = _load_cache(path)
    where = {image: n for n, image in enumerate(cached_ids)}
    todo = [(image, key) for image, key in dict(images).items() if image not in where]
    new_ids, new_rows, failed = _embed(project, model, todo)
    if new_ids:
        parts = [r for r in (cached_rows, new_rows) if r is not None and len(r)]
        cached_rows = np.concatenate(parts) if len(parts) > 1 else parts[0]
        for image in new_ids:
            where[image] = len(cached_ids)
            cached_ids.append(image)
        _keep_cache(path, cached_ids, cached_rows)
    found = [image for image, _ in images if image in where]
    width = cached_rows.shape[1] if cached_rows is not None else 0
    rows = (
        cached_rows[[where[i] for i in found]]
        if cached_rows is not None
        else np.zeros((0, width), np.float32)
    )
    return Embedded(tuple(found), rows, tuple(failed))


def _embed(
    project: Project, model: Any, todo: list[tuple[str, str]]
) -> tuple[list[str], NDArray[np.float32] | None, list[str]]:
    """Decode and embed ``todo`` a batch at a time (decoded images are never all held)."""
    ids: list[str] = []
    blocks: list[NDArray[np.float32]] = []
    failed: list[str] = []
    for start in range(0, len(todo), _BATCH):
        images = []
        for image, key in todo[start : start + _BATCH]:
            try:
                images.append(decode_small(project.blobs.get(key)))
                ids.append(image)
            except (SynsetdbError, OSError) as e:  # a missing or damaged file: leave it out
                log.warning("image %s left out of the label checks: %s", image, e)
                failed.append(image)
        if images:
            blocks.append(np.asarray(model.embed(images), dtype=np.float32))
    return ids, (np.concatenate(blocks) if blocks else None), failed
