"""The tree-max classifier (Deng et al. 2009, section 4.2).

One binary classifier per synset node of the induced hierarchy: positives
are the training images in the node's subtree, negatives are drawn from the
other synsets, leaving out the node's children (its subtree) and its parents
(an image labelled with a parent may well show the node). A node's score is
the maximum classifier output over its subtree, so a parent is at least as
confident as its most confident descendant.

Any scikit-learn estimator can be the classifier (cloned per node); the
default is a standardised, class-balanced logistic regression. Nodes with
the same training sample (a chain of single-child ancestors) share one fit.
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
from .data import prepare
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


def negative_classes(table: NodeTable, node: int) -> IntArray:
    """The classes whose images may be negatives for ``node``.

    Every class outside the node's subtree (which holds its children) that
    is not one of the node's parents.
    """
    parent_class = np.isin(table.class_nodes, table.parents[node])
    return np.flatnonzero(~table.classes_under[node] & ~parent_class).astype(np.int64)


def training_sample(
    table: NodeTable, node: int, targets: IntArray, options: TreeMaxOptions
) -> tuple[IntArray, IntArray]:
    """Indices into ``targets`` of the node's positive and negative training images."""
    positives = np.flatnonzero(table.classes_under[node, targets])
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


class _NodeTrainer:
    """Fits one classifier per distinct training sample and scores the queries with it."""

    def __init__(self, estimator: Any, train: FloatArray, query: FloatArray) -> None:
        self.base = require("sklearn.base", "eval", "the tree-max classifiers")
        self.estimator, self.train, self.query = estimator, train, query
        self.cache: dict[tuple[bytes, bytes], FloatArray] = {}

    def scores(self, positives: IntArray, negatives: IntArray) -> FloatArray:
        if len(positives) == 0 or len(negatives) == 0:  # nothing to tell apart
            return np.full(len(self.query), -np.inf if len(positives) == 0 else np.inf)
        key = (positives.tobytes(), negatives.tobytes())
        if key not in self.cache:
            rows = np.concatenate([positives, negatives])
            labels = np.r_[np.ones(len(positives), np.int64), np.zeros(len(negatives), np.int64)]
            model = self.base.clone(self.estimator).fit(self.train[rows], labels)
            self.cache[key] = _positive_score(model, self.query)
        return self.cache[key]


def tree_max(
    release: Release,
    *,
    split: str = "val",
    train_split: str = "train",
    embedder: Embedder | None = None,
    estimator: Any = None,
    options: TreeMaxOptions | None = None,
) -> BaselineResult:
    """Score ``split`` with one ``estimator`` per node on ``embedder`` features.

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
    trainer = _NodeTrainer(
        estimator,
        np.asarray(features.embed(data.train.images), np.float64),
        np.asarray(features.embed(data.query.images), np.float64),
    )
    threadpools = require("threadpoolctl", "eval", "the tree-max classifiers")
    raw = np.empty((len(data.query), len(data.table.nodes)))
    with threadpools.threadpool_limits(options.blas_threads, user_api="blas"):
        for node in range(len(data.table.nodes)):
            sample = training_sample(data.table, node, data.train.targets, options)
            raw[:, node] = trainer.scores(*sample)
    log.info("tree-max: %d classifiers for %d nodes", len(trainer.cache), len(data.table.nodes))
    return score_nodes(
        "treemax",
        data.query,
        data.table,
        data.table.max_over_nodes(raw),
        options={
            "embedder": repr(features),
            "estimator": repr(estimator),
            "max_negatives": options.max_negatives,
            "seed": options.seed,
            "classifiers": len(trainer.cache),
            "train_split": train_split,
        },
        seconds=time.perf_counter() - start,
    )
