"""ImageNet's dynamic consensus (Deng et al., CVPR 2009, section 3.2).

Per synset, a random seed subset of candidates gets at least ten votes each.
From those votes a confidence table ``P(good | #yes, #no)`` is estimated; every
other candidate keeps getting votes until its confidence crosses the accept or
the reject threshold, or a vote cap leaves it undecided. Hard synsets (a
"Burmese cat" against a "cat") get a flatter table, so their candidates need
more votes; a synset whose candidates never reach agreement is flagged.

The seed subset has no ground truth, so the table is smoothed through a
latent-class model: each candidate is good with probability ``prior``; a vote
on a good one is "yes" with probability ``sensitivity``, on a bad one with
probability ``false_positive``. EM fits the three numbers to the seed's vote
counts (a two-component binomial mixture, with a weak Beta prior so no cell of
the table is ever exactly 0 or 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import VerifyError
from .aggregate import _Estimator
from .votes import Votes, as_votes

__all__ = ["ConfidenceTable", "ConsensusConfig", "Decision", "DynamicConsensus", "decide"]

FloatArray = NDArray[np.float64]


class Decision:
    """The state of a candidate under dynamic consensus (strings, for storage and JSON)."""

    ACCEPT = "accept"
    REJECT = "reject"
    OPEN = "open"  # wants more votes
    UNDECIDED = "undecided"  # cannot be accepted within the vote cap, nor was rejected


@dataclass(frozen=True, slots=True)
class ConsensusConfig:
    """Thresholds and budgets of dynamic consensus.

    Attributes:
        seed_votes: votes each seed candidate gets before the table is fitted (2009: 10).
        seed_size: seed candidates per synset (fewer if the synset has fewer).
        accept: accept a candidate once ``P(good)`` reaches this.
        reject: reject it once ``P(good)`` falls to this.
        max_votes: stop asking at this many votes: the candidate stays undecided.

    The defaults reach 99.7% precision on ``bench/verify.py``'s simulated crowd
    (recorded in ``bench/RESULTS.md``).
    """

    seed_votes: int = 10
    seed_size: int = 50
    accept: float = 0.998
    reject: float = 0.02
    max_votes: int = 20

    def __post_init__(self) -> None:
        if not 0.0 < self.reject < self.accept < 1.0:
            raise VerifyError("thresholds need 0 < reject < accept < 1", code="E_CONFIG")
        if not 1 <= self.seed_votes <= self.max_votes or self.seed_size < 1:
            raise VerifyError(
                "need 1 <= seed_votes <= max_votes and seed_size >= 1", code="E_CONFIG"
            )


@dataclass(frozen=True, slots=True)
class ConfidenceTable:
    """``P(good | yes, no)`` for one synset, from its latent-class fit.

    Attributes:
        prior: the share of good candidates.
        sensitivity: ``P(yes | good)``.
        false_positive: ``P(yes | bad)``.
        seed: how many candidates the fit saw.
    """

    prior: float
    sensitivity: float
    false_positive: float
    seed: int

    @classmethod
    def fit(
        cls, yes: ArrayLike, no: ArrayLike, *, n_iter: int = 200, tol: float = 1e-9
    ) -> ConfidenceTable:
        """Fit the latent-class model to the seed candidates' vote counts.

        Raises:
            VerifyError: ``E_VOTES`` without any vote.
        """
        y, n = np.asarray(yes, dtype=np.float64), np.asarray(no, dtype=np.float64)
        if y.shape != n.shape or y.size == 0 or (y + n).sum() == 0:
            raise VerifyError("a confidence table needs seed votes", code="E_VOTES")
        prior = float(np.clip((y > n).mean(), 0.05, 0.95))  # start from majority vote
        sensitivity, false_positive = 0.8, 0.2  # sensitivity > false_positive names the classes
        for _ in range(n_iter):
            good = _posterior(y, n, prior, sensitivity, false_positive)
            bad = 1.0 - good
            # M-step with a Beta(2, 2) prior on each rate: never exactly 0 or 1
            new = (
                (good.sum() + 1.0) / (y.size + 2.0),
                ((good * y).sum() + 1.0) / ((good * (y + n)).sum() + 2.0),
                ((bad * y).sum() + 1.0) / ((bad * (y + n)).sum() + 2.0),
            )
            change = max(
                abs(a - b) for a, b in zip(new, (prior, sensitivity, false_positive), strict=True)
            )
            prior, sensitivity, false_positive = (float(v) for v in new)
            if change < tol:
                break
        if sensitivity < false_positive:  # EM swapped the classes: "good" is the yes-voted one
            prior, sensitivity, false_positive = 1.0 - prior, false_positive, sensitivity
        return cls(prior, sensitivity, false_positive, int(y.size))

    def confidence(self, yes: ArrayLike, no: ArrayLike) -> FloatArray:
        """``P(good)`` after ``yes`` and ``no`` votes (arrays broadcast)."""
        y, n = np.asarray(yes, dtype=np.float64), np.asarray(no, dtype=np.float64)
        return _posterior(y, n, self.prior, self.sensitivity, self.false_positive)

    def table(self, max_votes: int) -> FloatArray:
        """The table itself: entry ``[yes, no]`` for every count up to ``max_votes`` each."""
        counts = np.arange(max_votes + 1, dtype=np.float64)
        return self.confidence(counts[:, None], counts[None, :])

    @property
    def informative(self) -> bool:
        """Whether votes tell good from bad at all (a yes is likelier on good candidates)."""
        return self.sensitivity - self.false_positive > 0.1


def _posterior(
    y: FloatArray, n: FloatArray, prior: float, sensitivity: float, false_positive: float
) -> FloatArray:
    log_good = np.log(prior) + y * np.log(sensitivity) + n * np.log1p(-sensitivity)
    log_bad = np.log1p(-prior) + y * np.log(false_positive) + n * np.log1p(-false_positive)
    result: FloatArray = 1.0 / (1.0 + np.exp(np.clip(log_bad - log_good, -700.0, 700.0)))
    return result


def decide(
    table: ConfidenceTable, yes: ArrayLike, no: ArrayLike, config: ConsensusConfig
) -> NDArray[np.str_]:
    """The decision for candidates with these vote counts (see :class:`Decision`).

    A candidate is undecided at the vote cap, and also as soon as it could not
    reach the accept threshold even if every vote left under the cap said yes:
    asking further could only end in a rejection or the cap, so the votes are
    saved (acceptance, hence precision and recall, is unchanged).
    """
    y, n = np.asarray(yes), np.asarray(no)
    confidence = table.confidence(y, n)
    # Even if every vote left under the cap said yes, could it still be accepted?
    best_case = table.confidence(np.maximum(config.max_votes - n, y), n)
    return np.select(
        [confidence >= config.accept, confidence <= config.reject, best_case < config.accept],
        [Decision.ACCEPT, Decision.REJECT, Decision.UNDECIDED],
        default=Decision.OPEN,
    )


@dataclass
class DynamicConsensus(_Estimator):
    """Dynamic consensus over a finished set of binary votes, synset by synset.

    ``fit(votes, groups)`` fits one confidence table per group (synset) from
    all its tasks' votes, then decides every task. Candidates that stopped
    early (adaptive stopping) do not bias the fit: the stopping rule depends
    only on votes already seen, so the likelihood is the same as if their
    number had been fixed in advance.

    Attributes:
        confidence_: ``P(good)`` per task.
        decisions_: a :class:`Decision` per task.
        tables_: the confidence table of each group.
        hard_groups_: groups where no candidate was decided, or whose table
            cannot tell good from bad: synsets that are hard to illustrate.
    """

    config: ConsensusConfig = field(default_factory=ConsensusConfig)
    positive: Any = 1
    negative: Any = 0
    confidence_: FloatArray = field(init=False, repr=False)
    decisions_: NDArray[np.str_] = field(init=False, repr=False)
    tables_: dict[Any, ConfidenceTable] = field(init=False, repr=False)
    hard_groups_: list[Any] = field(init=False, repr=False)

    def fit(self, votes: Votes | Any, groups: Mapping[Any, Any] | None = None) -> Self:
        """Fit on binary votes; ``groups`` maps each task to its synset (default: one group).

        Raises:
            VerifyError: ``E_VOTES`` for labels other than ``positive``/``negative``
                or a task missing from ``groups``.
        """
        coded = as_votes(votes, classes=[self.negative, self.positive])
        if coded.n_classes != 2:
            raise VerifyError(
                f"dynamic consensus takes binary votes; got labels {coded.classes.tolist()}",
                code="E_VOTES",
            )
        counts = coded.counts()
        yes, no = (
            counts[:, coded.class_index(self.positive)],
            counts[:, coded.class_index(self.negative)],
        )
        group_of = _group_codes(coded.tasks, groups)
        self.confidence_ = np.empty(coded.n_tasks)
        self.decisions_ = np.empty(coded.n_tasks, dtype=f"<U{len(Decision.UNDECIDED)}")
        self.tables_, self.hard_groups_ = {}, []
        for group, members in _members(group_of):
            table = ConfidenceTable.fit(yes[members], no[members])
            self.tables_[group] = table
            self.confidence_[members] = table.confidence(yes[members], no[members])
            decided = decide(table, yes[members], no[members], self.config)
            self.decisions_[members] = decided
            settled = np.isin(decided, (Decision.ACCEPT, Decision.REJECT))
            if not table.informative or not settled.any():
                self.hard_groups_.append(group)
        self.tasks_, self.classes_ = coded.tasks, coded.classes
        self.probas_ = np.empty((coded.n_tasks, 2))
        self.probas_[:, coded.class_index(self.positive)] = self.confidence_
        self.probas_[:, coded.class_index(self.negative)] = 1.0 - self.confidence_
        accepted = self.decisions_ == Decision.ACCEPT
        self.labels_ = np.where(accepted, self.positive, self.negative)
        return self


def _group_codes(tasks: NDArray[Any], groups: Mapping[Any, Any] | None) -> list[Any]:
    if groups is None:
        return [None] * tasks.size
    missing = [t for t in tasks.tolist() if t not in groups]
    if missing:
        raise VerifyError(
            f"{len(missing)} task(s) have no group, e.g. {missing[0]!r}", code="E_VOTES"
        )
    return [groups[t] for t in tasks.tolist()]


def _members(group_of: list[Any]) -> list[tuple[Any, NDArray[np.int64]]]:
    """Each group and the indices of its tasks, in first-seen order."""
    index: dict[Any, list[int]] = {}
    for i, group in enumerate(group_of):
        index.setdefault(group, []).append(i)
    return [(group, np.asarray(members, dtype=np.int64)) for group, members in index.items()]
