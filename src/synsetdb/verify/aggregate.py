"""Aggregators: from redundant crowd votes to one label per task.

All follow crowd-kit's estimator shape (``fit(votes)`` returns the estimator;
``predict()`` and ``predict_proba()``; learned state in attributes with a
trailing underscore) on numpy arrays:

- ``tasks_``: the distinct task ids, sorted; every per-task array follows this order.
- ``classes_``: the distinct labels, sorted; the columns of ``probas_``.
- ``probas_``: ``n_tasks × n_classes``, each row a distribution.
- ``labels_``: the most probable label of each task.

Votes may be a :class:`~synsetdb.verify.votes.Votes`, a pandas DataFrame
with ``task``, ``worker`` and ``label`` columns, or a mapping of those columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Self

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from ..errors import VerifyError
from .votes import Votes, as_votes

__all__ = ["Aggregator", "DawidSkene", "MajorityVote", "SelectionFrequency"]

_EPS = 1e-10  # floor of a confusion-matrix cell: a worker is never certain to err


class Aggregator(Protocol):
    """What every aggregator offers (``Aggregator`` plug-in point of the design)."""

    def fit(self, votes: Votes | Any) -> Self: ...

    def predict(self) -> NDArray[Any]: ...

    def predict_proba(self) -> NDArray[np.float64]: ...


class _Estimator:
    """Shared ``predict``/``predict_proba``/``fit_predict`` over the fitted attributes."""

    tasks_: NDArray[Any]
    classes_: NDArray[Any]
    probas_: NDArray[np.float64]
    labels_: NDArray[Any]

    def fit(self, votes: Votes | Any) -> Self:
        raise NotImplementedError

    def predict(self) -> NDArray[Any]:
        """The label of each task of ``tasks_``."""
        self._check_fitted()
        return self.labels_

    def predict_proba(self) -> NDArray[np.float64]:
        """``n_tasks × n_classes`` probabilities; columns follow ``classes_``."""
        self._check_fitted()
        return self.probas_

    def fit_predict(self, votes: Votes | Any) -> NDArray[Any]:
        return self.fit(votes).predict()

    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise VerifyError(
                f"{type(self).__name__} is not fitted: call fit(votes) first", code="E_NOT_FITTED"
            )

    def _set(self, votes: Votes, probas: NDArray[np.float64]) -> None:
        self.tasks_, self.classes_, self.probas_ = votes.tasks, votes.classes, probas
        # argmax takes the first maximum: ties go to the smallest label, reproducibly
        self.labels_ = votes.classes[np.argmax(probas, axis=1)]


def _shares(counts: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each row of vote counts as a distribution."""
    result: NDArray[np.float64] = counts / counts.sum(axis=1, keepdims=True)
    return result


@dataclass
class MajorityVote(_Estimator):
    """The label most workers gave; ``probas_`` are the vote shares.

    Ties go to the smallest label (``False`` before ``True``, ``0`` before ``1``),
    so a tied binary image is not accepted.

    Example:
        >>> mv = MajorityVote().fit({"task": [1, 1, 1, 2], "worker": ["a", "b", "c", "a"],
        ...                          "label": [1, 1, 0, 0]})
        >>> mv.labels_.tolist(), mv.probas_[0].round(2).tolist()
        ([1, 0], [0.33, 0.67])
    """

    def fit(self, votes: Votes | Any) -> Self:
        coded = as_votes(votes)
        self._set(coded, _shares(coded.counts()))
        return self


@dataclass
class SelectionFrequency(_Estimator):
    """ImageNetV2's statistic: the share of workers shown an image who selected it.

    Votes are binary: ``positive`` (selected) or ``negative`` (shown, not
    selected). ``frequency_`` holds the selection frequency per task; a task is
    labelled ``positive`` when it reaches ``threshold``.

    Args:
        threshold: the frequency at which an image counts as selected.
        positive, negative: the two label values of the votes.

    Raises:
        VerifyError: ``E_VOTES`` (in ``fit``) if a vote has another label.
    """

    threshold: float = 0.5
    positive: Any = 1
    negative: Any = 0
    frequency_: NDArray[np.float64] = field(init=False, repr=False)

    def fit(self, votes: Votes | Any) -> Self:
        coded = as_votes(votes, classes=[self.negative, self.positive])
        if coded.n_classes != 2:
            raise VerifyError(
                f"selection frequency takes binary votes ({self.negative!r} or "
                f"{self.positive!r}); got labels {coded.classes.tolist()}",
                code="E_VOTES",
            )
        counts = coded.counts()
        self.frequency_ = counts[:, coded.class_index(self.positive)] / counts.sum(axis=1)
        self.tasks_, self.classes_, self.probas_ = coded.tasks, coded.classes, _shares(counts)
        selected = self.frequency_ >= self.threshold
        self.labels_ = np.where(selected, self.positive, self.negative)
        return self


@dataclass
class DawidSkene(_Estimator):
    """Dawid & Skene (1979): each worker's confusion matrix and the true labels, by EM.

    Starts from the majority-vote shares. Each M-step estimates the class
    priors and, per worker, ``P(answer l | true class k)``; each E-step the
    posterior of every task's class. Each step is one sparse matrix product
    over all votes at once, never a Python loop per vote or per worker.
    EM stops when the mean log-likelihood per vote gains less than ``tol``, or
    after ``n_iter`` iterations.

    Attributes:
        priors_: the class priors.
        errors_: ``n_workers × n_classes × n_classes``: ``errors_[w, k, l]`` is
            the probability that worker ``workers_[w]`` answers ``classes_[l]``
            when the truth is ``classes_[k]``.
        workers_: the worker ids, the first axis of ``errors_``.
        log_likelihood_: the mean log-likelihood per vote after each iteration.
        n_iter_: iterations run.

    Example:
        >>> votes = {"task": [1, 1, 1, 2, 2, 2], "worker": ["a", "b", "c"] * 2,
        ...          "label": [1, 1, 0, 0, 0, 0]}
        >>> DawidSkene().fit(votes).labels_.tolist()
        [1, 0]
    """

    n_iter: int = 100
    tol: float = 1e-7
    priors_: NDArray[np.float64] = field(init=False, repr=False)
    errors_: NDArray[np.float64] = field(init=False, repr=False)
    workers_: NDArray[Any] = field(init=False, repr=False)
    log_likelihood_: list[float] = field(init=False, repr=False)
    n_iter_: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.n_iter < 1 or not self.tol >= 0:
            raise VerifyError("n_iter must be >= 1 and tol >= 0", code="E_CONFIG")

    def fit(self, votes: Votes | Any) -> Self:
        coded = as_votes(votes)
        cells = _task_cells(coded)
        probas = _shares(coded.counts())
        history: list[float] = []
        for _ in range(self.n_iter):
            priors, errors = _m_step(cells, probas, coded.n_workers, coded.n_classes)
            probas, log_likelihood = _e_step(cells, priors, errors, len(coded))
            history.append(log_likelihood)
            if len(history) > 1 and history[-1] - history[-2] < self.tol:
                break
        self.priors_, self.errors_, self.workers_ = priors, errors, coded.workers
        self.log_likelihood_, self.n_iter_ = history, len(history)
        self._set(coded, probas)
        return self


def _task_cells(votes: Votes) -> sparse.csr_matrix:
    """Votes per task and (worker, answer) cell: ``n_tasks × (n_workers · n_classes)``, sparse.

    Both EM steps are then one sparse product each: every vote is touched in C,
    and the matrix is built once per fit.
    """
    k = votes.n_classes
    ones = np.ones(len(votes))
    shape = (votes.n_tasks, votes.n_workers * k)
    return sparse.csr_matrix((ones, (votes.task, votes.worker * k + votes.label)), shape=shape)


def _m_step(
    cells: sparse.csr_matrix, probas: NDArray[np.float64], n_workers: int, n_classes: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Class priors and per-worker confusion matrices from the current task posteriors."""
    # (worker, answer) × true class, summed over the votes: T' · posteriors
    by_cell = np.asarray(cells.T @ probas).reshape(n_workers, n_classes, n_classes)
    errors = np.ascontiguousarray(by_cell.transpose(0, 2, 1))  # worker, true, answer
    np.clip(errors, _EPS, None, out=errors)
    errors /= errors.sum(axis=2, keepdims=True)
    priors: NDArray[np.float64] = probas.mean(axis=0)
    return np.clip(priors, _EPS, None), errors


def _e_step(
    cells: sparse.csr_matrix,
    priors: NDArray[np.float64],
    errors: NDArray[np.float64],
    n_votes: int,
) -> tuple[NDArray[np.float64], float]:
    """Task posteriors, and the mean log-likelihood per vote of the observed votes."""
    n_workers, n_classes, _ = errors.shape
    # log P(answer | true) per (worker, answer) cell and true class
    log_cells = np.log(errors).transpose(0, 2, 1).reshape(n_workers * n_classes, n_classes)
    joint = np.asarray(cells @ log_cells) + np.log(priors)
    top = joint.max(axis=1, keepdims=True)
    scaled = np.exp(joint - top)
    total = scaled.sum(axis=1, keepdims=True)
    log_likelihood = float((np.log(total) + top).sum()) / max(n_votes, 1)
    return scaled / total, log_likelihood
