"""Worker quality from hidden controls, and spammer flags.

ImageNetV2's tasks mixed known-good images of the synset (positive controls)
and known-good images of a confusable sibling (negative controls) into each
batch. A worker's answers on them measure how often it finds the synset when
it is there, and how often it refuses it when it is not. A worker is flagged:

- ``constant`` when nearly all of its answers are the same (always "yes" or always "no");
- ``random`` when its control answers give no evidence of skill (a one-sided
  binomial test against coin flipping does not reject at ``alpha``);
- ``inaccurate`` when it is better than chance but its balanced accuracy is
  under ``min_accuracy``.

Flagged workers' votes can then be left out (:func:`exclude_workers`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import binomtest

from ..errors import VerifyError
from .votes import Votes, as_votes

__all__ = ["QualityConfig", "WorkerQuality", "assess_workers", "exclude_workers"]


@dataclass(frozen=True, slots=True)
class QualityConfig:
    """When a worker is judged, and how strictly.

    Attributes:
        min_controls: workers with fewer control answers are not judged (flag None).
        min_accuracy: balanced accuracy on controls below this flags ``inaccurate``.
        constant_share: a share of identical answers at or above this flags ``constant``.
        alpha: significance level of the "better than chance" test.
    """

    min_controls: int = 10
    min_accuracy: float = 0.7
    constant_share: float = 0.95
    alpha: float = 0.05

    def __post_init__(self) -> None:
        if self.min_controls < 1 or not 0.5 <= self.min_accuracy <= 1.0:
            raise VerifyError(
                "need min_controls >= 1 and 0.5 <= min_accuracy <= 1", code="E_CONFIG"
            )
        if not 0.5 < self.constant_share <= 1.0 or not 0.0 < self.alpha < 1.0:
            raise VerifyError("need 0.5 < constant_share <= 1 and 0 < alpha < 1", code="E_CONFIG")


@dataclass(frozen=True, slots=True)
class WorkerQuality:
    """One worker's control record and flag."""

    worker: Any
    positives: int  # positive controls answered
    positives_found: int  # ... answered "yes"
    negatives: int  # negative controls answered
    negatives_refused: int  # ... answered "no"
    flag: str | None  # None, "constant", "random" or "inaccurate"

    @property
    def controls(self) -> int:
        return self.positives + self.negatives

    @property
    def sensitivity(self) -> float:
        """Share of positive controls found (NaN without any)."""
        return self.positives_found / self.positives if self.positives else float("nan")

    @property
    def specificity(self) -> float:
        """Share of negative controls refused (NaN without any)."""
        return self.negatives_refused / self.negatives if self.negatives else float("nan")

    @property
    def balanced_accuracy(self) -> float:
        """The mean of sensitivity and specificity, over the kinds of control seen."""
        rates = [r for r in (self.sensitivity, self.specificity) if r == r]
        return float(np.mean(rates)) if rates else float("nan")

    @property
    def yes_share(self) -> float:
        yes = self.positives_found + (self.negatives - self.negatives_refused)
        return yes / self.controls if self.controls else float("nan")


def assess_workers(
    control_votes: Votes | Any,
    truth: Mapping[Any, bool],
    config: QualityConfig | None = None,
    *,
    positive: Any = 1,
) -> dict[Any, WorkerQuality]:
    """Each worker's record on controls, flagged per ``config``.

    Args:
        control_votes: votes on control tasks only (``task`` is the control's id).
        truth: each control's truth: True for a positive control, False for a negative one.
        positive: the label value that means "yes, it shows the synset".

    Raises:
        VerifyError: ``E_VOTES`` if a voted task is not in ``truth``.
    """
    config = config or QualityConfig()
    votes = as_votes(control_votes)
    unknown = [t for t in votes.tasks.tolist() if t not in truth]
    if unknown:
        raise VerifyError(
            f"{len(unknown)} voted task(s) are not controls, e.g. {unknown[0]!r}", code="E_VOTES"
        )
    is_positive = np.array([bool(truth[t]) for t in votes.tasks.tolist()])[votes.task]
    said_yes = votes.classes[votes.label] == positive
    n = votes.n_workers

    def per_worker(mask: np.ndarray) -> np.ndarray:
        return np.bincount(votes.worker[mask], minlength=n)

    positives, found = per_worker(is_positive), per_worker(is_positive & said_yes)
    negatives, refused = per_worker(~is_positive), per_worker(~is_positive & ~said_yes)
    result = {}
    for i, worker in enumerate(votes.workers.tolist()):
        record = WorkerQuality(
            worker, int(positives[i]), int(found[i]), int(negatives[i]), int(refused[i]), None
        )
        result[worker] = _flagged(record, config)
    return result


def _flagged(record: WorkerQuality, config: QualityConfig) -> WorkerQuality:
    if record.controls < config.min_controls:
        return record
    flag = None
    if max(record.yes_share, 1.0 - record.yes_share) >= config.constant_share:
        flag = "constant"
    else:
        right = record.positives_found + record.negatives_refused
        test = binomtest(right, record.controls, 0.5, alternative="greater")
        if test.pvalue > config.alpha:
            flag = "random"
        elif record.balanced_accuracy < config.min_accuracy:
            flag = "inaccurate"
    return WorkerQuality(
        record.worker,
        record.positives,
        record.positives_found,
        record.negatives,
        record.negatives_refused,
        flag,
    )


def exclude_workers(votes: Votes | Any, workers: Iterable[Any]) -> Votes:
    """The votes without those of ``workers`` (e.g. the flagged ones); classes are kept."""
    coded = as_votes(votes)
    drop = np.isin(coded.workers, list(workers))
    keep = ~drop[coded.worker]
    return Votes.from_arrays(
        coded.tasks[coded.task[keep]],
        coded.workers[coded.worker[keep]],
        coded.classes[coded.label[keep]],
        classes=coded.classes,
    )
