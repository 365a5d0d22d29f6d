"""The tree-max classifier (Deng et al. 2009, section 4.3).

One binary classifier per synset with images of its own (in a release, each
class): as in the paper, its positives are the training images of that
synset, its negatives images of the other synsets, leaving out its subtree
(its children and theirs, whose images show it too) and its parents (an
image labelled with a parent may well show it). A node's score is the
maximum classifier output over its subtree: an inner synset, which in a
release has no images of its own, scores by its most confident descendant,
and a class above others (dog above husky) is at least as confident as they
are. Classes are ranked by their own classifier's output (the paper's
"independent classifier"), so one above others does not outrank them by
their maximum.

Any scikit-learn estimator can be the classifier (cloned per class); the
default is a standardised, class-balanced logistic regression.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from ...errors import EvaluationError
from ..features import Embedder, TinyImage, fit_embedder
from ..features._extras import require
from ..metrics import rank_scores
from .data import BaselineData, prepare
from .report import BaselineResult, score_nodes
from .tree import IntArray, NodeTable

if TYPE_CHECKING:
    from ...release import Release

__all__ = ["TreeMaxOptions", "default_estimator", "negative_classes", "training_sample", "tree_max"]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class TreeMaxOptions:
    """How the node classifiers are trained.

    Attributes:
        max_negatives: per node, at most this many negatives, drawn at random
            from the allowed ones; None: all of them.
        seed: for that draw (each node's draw depends only on it and the node).
        blas_threads: BLAS threads while fitting (None: the library's
            default). Many small fits run several times faster on one
            thread than on a pool that waits for busy cores.
    """

    max_negatives: int | None = 1000
    seed: int = 0
    blas_threads: int | None = 1

    def __post_init__(self) -> None:
        if self.max_negatives is not None and self.max_negatives < 1:
            raise EvaluationError("max_negatives must be >= 1", code="E_OPTIONS")
        if self.blas_threads is not None and self.blas_threads < 1:
            raise EvaluationError("blas_threads must be >= 1", code="E_OPTIONS")
        if self.seed < 0:
            raise EvaluationError(f"seed must be >= 0, got {self.seed}", code="E_OPTIONS")


def negative_classes(table: NodeTable, node: int) -> IntArray:
    """The classes whose images may be negatives for ``node``.

    Every class outside the node's subtree (its children and below: their
    images show the node too) that is not one of the node's parents.
    """
    parent_class = np.isin(table.class_nodes, table.parents[node])
    return np.flatnonzero(~table.classes_under[node] & ~parent_class).astype(np.int64)


def training_sample(
    table: NodeTable, node: int, targets: IntArray, options: TreeMaxOptions
) -> tuple[IntArray, IntArray]:
    """Indices into ``targets`` of the node's positive and negative training images.

    Positives are the images labelled with the node itself: none when it is
    no class (it then scores by its subtree's classifiers alone).
    """
    positives = np.flatnonzero(np.isin(targets, np.flatnonzero(table.class_nodes == node)))
    negatives = np.flatnonzero(np.isin(targets, negative_classes(table, node)))
    cap = options.max_negatives
    if cap is not None and len(negatives) > cap:
        rng = np.random.default_rng([options.seed, node])
        negatives = np.sort(rng.choice(negatives, cap, replace=False))
    return positives.astype(np.int64), negatives.astype(np.int64)


def default_estimator() -> Any:
    """Standardised features into a class-balanced logistic regression."""
    pipeline = require("sklearn.pipeline", "eval", "the tree-max classifiers")
    scaling = require("sklearn.preprocessing", "eval", "the tree-max classifiers")
    linear = require("sklearn.linear_model", "eval", "the tree-max classifiers")
    return pipeline.make_pipeline(
        scaling.StandardScaler(), linear.LogisticRegression(max_iter=1000, class_weight="balanced")
    )


def _positive_score(model: Any, features: FloatArray) -> FloatArray:
    """The fitted binary model's score for class 1 (probability when it has one)."""
    if hasattr(model, "predict_proba"):
        column = list(model.classes_).index(1)
        return np.asarray(model.predict_proba(features)[:, column], dtype=np.float64)
    return np.asarray(model.decision_function(features), dtype=np.float64)


def _class_scores(
    estimator: Any, train: FloatArray, query: FloatArray, sample: tuple[IntArray, IntArray]
) -> FloatArray:
    """A clone of ``estimator`` fitted on the sample's positives and negatives, on ``query``."""
    base = require("sklearn.base", "eval", "the tree-max classifiers")
    positives, negatives = sample
    rows = np.concatenate([positives, negatives])
    labels = np.r_[np.ones(len(positives), np.int64), np.zeros(len(negatives), np.int64)]
    return _positive_score(base.clone(estimator).fit(train[rows], labels), query)


def _classifier_outputs(
    data: BaselineData,
    train: FloatArray,
    query: FloatArray,
    estimator: Any,
    options: TreeMaxOptions,
) -> tuple[FloatArray, int, int]:
    """``(queries, nodes)`` outputs of each class's classifier (−∞: a node without one).

    Also how many classifiers were fitted, and the most negatives any was
    fitted on. A class with no allowed negative has nothing to tell apart: +∞.
    """
    threadpools = require("threadpoolctl", "eval", "the tree-max classifiers")
    raw = np.full((len(query), len(data.table.nodes)), -np.inf)
    fitted = negatives = 0
    with threadpools.threadpool_limits(options.blas_threads, user_api="blas"):
        for node in np.unique(data.table.class_nodes):
            sample = training_sample(data.table, node, data.train.targets, options)
            if len(sample[0]) and len(sample[1]):
                raw[:, node] = _class_scores(estimator, train, query, sample)
                fitted += 1
                negatives = max(negatives, len(sample[1]))
            elif len(sample[0]):
                raw[:, node] = np.inf
    return raw, fitted, negatives


def tree_max(
    release: Release,
    *,
    split: str = "val",
    train_split: str = "train",
    embedder: Embedder | None = None,
    estimator: Any = None,
    options: TreeMaxOptions | None = None,
) -> BaselineResult:
    """Score ``split`` with one ``estimator`` per class on ``embedder`` features.

    Defaults: 32×32 tiny images and :func:`default_estimator`.

    Raises:
        EvaluationError: ``E_MISSING_EXTRA`` without scikit-learn.
        ReleaseError: ``E_NO_SPLIT`` for a split the release lacks.
    """
    options = options or TreeMaxOptions()
    estimator = default_estimator() if estimator is None else estimator
    start = time.perf_counter()
    data = prepare(release, split, train_split)
    features = fit_embedder(embedder or TinyImage(), data.train.images)
    raw, fitted, negatives = _classifier_outputs(
        data,
        np.asarray(features.embed(data.train.images), np.float64),
        np.asarray(features.embed(data.query.images), np.float64),
        estimator,
        options,
    )
    log.info("tree-max: %d classifiers for %d nodes", fitted, len(data.table.nodes))
    return score_nodes(
        "treemax",
        data.query,
        data.table,
        data.table.max_over_nodes(raw),
        rank_scores(raw[:, data.table.class_nodes]),  # each class by its own classifier
        options={
            "embedder": repr(features),
            "estimator": repr(estimator),
            "max_negatives": options.max_negatives,
            "negatives_used": negatives,  # at most max_negatives: fewer when fewer are allowed
            "seed": options.seed,
            "classifiers": fitted,
            "train_split": train_split,
        },
        seconds=time.perf_counter() - start,
    )
