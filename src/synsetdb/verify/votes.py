"""Crowd votes as integer-coded arrays: what every aggregator fits on.

Votes arrive as rows ``(task, worker, label)``: a DataFrame with those columns
(crowd-kit's convention), any mapping of column name to sequence, or three
arrays. :class:`Votes` codes each column to dense integers once, so the
aggregators can run on ``numpy.bincount`` and sparse products instead of a
Python loop per vote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import VerifyError

__all__ = ["COLUMNS", "Votes", "as_votes"]

COLUMNS = ("task", "worker", "label")

IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Votes:
    """Vote rows, integer-coded.

    Attributes:
        task, worker, label: per vote, the index into ``tasks``, ``workers``
            and ``classes``.
        tasks, workers, classes: the distinct original values, sorted; codes index them.
    """

    task: IntArray
    worker: IntArray
    label: IntArray
    tasks: NDArray[Any]
    workers: NDArray[Any]
    classes: NDArray[Any]

    @classmethod
    def from_arrays(
        cls, task: ArrayLike, worker: ArrayLike, label: ArrayLike, *, classes: ArrayLike = ()
    ) -> Votes:
        """Code three equally long sequences of task, worker and label values.

        Args:
            classes: labels to include even if no vote uses them (binary tasks
                where nobody ever answered "no" still have two classes).

        Raises:
            VerifyError: ``E_VOTES`` if the lengths differ, a value is missing
                (None or NaN), or a column is not one-dimensional.
        """
        columns = [
            _column(name, values)
            for name, values in zip(COLUMNS, (task, worker, label), strict=True)
        ]
        lengths = {len(c) for c in columns}
        if len(lengths) != 1:
            raise VerifyError(
                f"task, worker and label columns differ in length: {sorted(lengths)}",
                code="E_VOTES",
            )
        tasks, t = _code(columns[0])
        workers, w = _code(columns[1])
        labels, y = _code(columns[2], also=np.asarray(classes))
        return cls(t, w, y, tasks, workers, labels)

    @classmethod
    def from_frame(cls, frame: Any, *, classes: ArrayLike = ()) -> Votes:
        """Code a DataFrame (or mapping of columns) with ``task``, ``worker``, ``label`` columns.

        Raises:
            VerifyError: ``E_VOTES`` when a column is missing (the message names it).
        """
        missing = [c for c in COLUMNS if not _has_column(frame, c)]
        if missing:
            raise VerifyError(f"votes lack column(s) {', '.join(missing)}", code="E_VOTES")
        return cls.from_arrays(frame["task"], frame["worker"], frame["label"], classes=classes)

    def __len__(self) -> int:
        return int(self.task.size)

    @property
    def n_tasks(self) -> int:
        return int(self.tasks.size)

    @property
    def n_workers(self) -> int:
        return int(self.workers.size)

    @property
    def n_classes(self) -> int:
        return int(self.classes.size)

    def counts(self) -> NDArray[np.float64]:
        """Votes per task and class: an ``n_tasks × n_classes`` matrix."""
        flat = np.bincount(
            self.task * self.n_classes + self.label, minlength=self.n_tasks * self.n_classes
        )
        return flat.reshape(self.n_tasks, self.n_classes).astype(np.float64)

    def class_index(self, value: Any) -> int:
        """The code of a label value.

        Raises:
            VerifyError: ``E_VOTES`` if no vote (or ``classes``) has that label.
        """
        hits = np.flatnonzero(self.classes == value)
        if hits.size == 0:
            raise VerifyError(
                f"label {value!r} is not among the votes' labels {self.classes.tolist()}",
                code="E_VOTES",
            )
        return int(hits[0])


def as_votes(votes: Votes | Any, *, classes: ArrayLike = ()) -> Votes:
    """Accept ``Votes`` as they are, or code a DataFrame / mapping of columns."""
    if isinstance(votes, Votes):
        return votes
    return Votes.from_frame(votes, classes=classes)


def _code(values: NDArray[Any], also: NDArray[Any] | None = None) -> tuple[NDArray[Any], IntArray]:
    """The sorted distinct values (with ``also``'s) and each value's index among them."""
    if also is not None and also.size:
        uniques = np.unique(np.concatenate([values, also]))
        return uniques, np.searchsorted(uniques, values).astype(np.int64)
    uniques, codes = np.unique(values, return_inverse=True)
    return uniques, codes.astype(np.int64, copy=False)


def _has_column(frame: Any, name: str) -> bool:
    if isinstance(frame, Mapping):
        return name in frame
    columns = getattr(frame, "columns", None)
    return columns is not None and name in list(columns)


def _column(name: str, values: ArrayLike | Sequence[Any]) -> NDArray[Any]:
    array = np.asarray(values)
    if array.ndim != 1:
        raise VerifyError(f"the {name} column must be one-dimensional", code="E_VOTES")
    if array.dtype == object:
        if any(v is None or (isinstance(v, float) and v != v) for v in array):
            raise VerifyError(f"the {name} column has missing values", code="E_VOTES")
        try:
            array = np.asarray(array.tolist())  # mixed int/str fails later in np.unique
        except ValueError as exc:
            raise VerifyError(f"the {name} column: {exc}", code="E_VOTES") from exc
    elif array.dtype.kind == "f" and np.isnan(array).any():
        raise VerifyError(f"the {name} column has missing values", code="E_VOTES")
    return array
