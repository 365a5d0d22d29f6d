"""A simulated crowd with known ground truth: for tests, benchmarks and ``synsetdb demo``.

Candidates come in synsets of varied difficulty, with a realistic share of
true positives (web image search returned about 10% usable images for
ImageNet). Workers are diligent with Beta-distributed accuracy, or spammers
(random clickers, or always "yes", or always "no"), as on Mechanical Turk.

Every strategy sees the same crowd: the ``j``-th vote on candidate ``c``
always comes from the same worker with the same answer (common random
numbers), so strategies differ only in how many votes they ask for and how
they read them. A worker never votes twice on one candidate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..errors import VerifyError
from .aggregate import DawidSkene
from .consensus import ConfidenceTable, ConsensusConfig, Decision, decide
from .quality import assess_workers
from .votes import Votes

__all__ = [
    "CrowdConfig",
    "Outcome",
    "SimulatedCrowd",
    "SynsetSpec",
    "compare_strategies",
    "default_synsets",
    "pool",
    "run_dynamic",
    "run_oracle",
    "score",
]

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class SynsetSpec:
    """One simulated synset.

    Attributes:
        name: its label in reports ("cat", "Burmese cat").
        candidates: how many candidate images it has.
        difficulty: 0 (anyone tells it apart) to 1 (diligent workers guess at chance).
        positive_share: the share of candidates that truly show it.
    """

    name: str
    candidates: int
    difficulty: float
    positive_share: float = 0.1

    def __post_init__(self) -> None:
        if self.candidates < 1 or not 0.0 <= self.difficulty <= 1.0:
            raise VerifyError(
                "a synset needs candidates >= 1 and difficulty in [0, 1]", code="E_CONFIG"
            )
        if not 0.0 < self.positive_share < 1.0:
            raise VerifyError("positive_share must be in (0, 1)", code="E_CONFIG")


@dataclass(frozen=True, slots=True)
class CrowdConfig:
    """The worker pool.

    Attributes:
        workers: how many workers.
        accuracy_mean, accuracy_concentration: a diligent worker's accuracy on an
            easy synset is Beta-distributed with this mean and concentration (a + b).
        spammer_share: the share of spammers, split evenly between random
            clickers, always-yes and always-no.
        max_votes: the most votes any candidate can receive.
        controls: hidden controls (half positive, half negative, of random
            synsets) each worker answers first; workers that
            :func:`~synsetdb.verify.quality.assess_workers` flags are then kept
            out of the voting pool. 0: no screening.
    """

    workers: int = 500
    accuracy_mean: float = 0.88
    accuracy_concentration: float = 12.0
    spammer_share: float = 0.1
    max_votes: int = 20
    controls: int = 0

    def __post_init__(self) -> None:
        if self.workers < self.max_votes or self.max_votes < 1:
            raise VerifyError(
                "need workers >= max_votes >= 1 (one vote per worker per image)", code="E_CONFIG"
            )
        if not 0.5 < self.accuracy_mean < 1.0 or not 0.0 <= self.spammer_share < 1.0:
            raise VerifyError(
                "need 0.5 < accuracy_mean < 1 and 0 <= spammer_share < 1", code="E_CONFIG"
            )


def default_synsets(scale: int = 1) -> list[SynsetSpec]:
    """Twenty synsets from easy to hard (the 2009 paper's "cat" to "Burmese cat").

    ``scale`` multiplies the 1,000 candidates each has.
    """
    difficulties = np.linspace(0.0, 0.6, 20)
    return [
        SynsetSpec(f"synset-{i:02d} (difficulty {d:.2f})", 1000 * scale, float(d))
        for i, d in enumerate(difficulties)
    ]


class SimulatedCrowd:
    """Candidates with ground truth, workers, and every vote they would cast.

    Attributes:
        truth: per candidate, whether it truly shows its synset.
        synset: per candidate, the index into ``synsets``.
        accuracy: per worker, the accuracy on an easy synset (spammers: NaN).
        kind: per worker: ``diligent``, ``random``, ``always-yes`` or ``always-no``.
    """

    def __init__(
        self, synsets: Sequence[SynsetSpec], config: CrowdConfig | None = None, seed: int = 0
    ) -> None:
        self.config = config or CrowdConfig()
        self.synsets = list(synsets)
        if not self.synsets:
            raise VerifyError("a simulated crowd needs at least one synset", code="E_CONFIG")
        rng = np.random.default_rng(seed)
        sizes = [s.candidates for s in self.synsets]
        self.synset: IntArray = np.repeat(np.arange(len(sizes)), sizes)
        shares = np.array([s.positive_share for s in self.synsets])[self.synset]
        self.truth: BoolArray = rng.random(self.synset.size) < shares
        self.kind, self.accuracy = self._workers(rng)
        self.excluded: BoolArray = self._screen(rng)
        self._pool = np.flatnonzero(~self.excluded)
        if self._pool.size < self.config.max_votes:
            raise VerifyError("screening left fewer workers than max_votes", code="E_CONFIG")
        n, w = self.n_candidates, self._pool.size
        coprime = np.array([s for s in range(1, max(w, 2)) if math.gcd(s, w) == 1])
        self._start, self._step = rng.integers(0, w, size=n), rng.choice(coprime, size=n)
        self._answers = self._all_answers(rng)
        # _yes_before[c, j]: yes votes among the first j votes on candidate c
        self._yes_before = np.zeros((n, self.config.max_votes + 1), dtype=np.int64)
        np.cumsum(self._answers, axis=1, out=self._yes_before[:, 1:])

    @property
    def n_candidates(self) -> int:
        return int(self.truth.size)

    def _workers(self, rng: np.random.Generator) -> tuple[NDArray[np.str_], NDArray[np.float64]]:
        c = self.config
        kinds = np.array(["diligent", "random", "always-yes", "always-no"])
        spam = c.spammer_share / 3.0
        kind = rng.choice(kinds, size=c.workers, p=[1.0 - c.spammer_share, spam, spam, spam])
        a = c.accuracy_mean * c.accuracy_concentration
        accuracy = rng.beta(a, c.accuracy_concentration - a, size=c.workers)
        accuracy = np.where(kind == "diligent", np.maximum(accuracy, 0.5), np.nan)
        return kind, accuracy

    @property
    def control_votes(self) -> int:
        """Votes spent on controls (screening), in all."""
        return self.config.controls * self.config.workers

    def _screen(self, rng: np.random.Generator) -> BoolArray:
        """Who fails the controls (all False without controls)."""
        c, w = self.config.controls, self.config.workers
        if c == 0:
            return np.zeros(w, dtype=bool)
        workers = np.repeat(np.arange(w), c)
        truth = np.tile(np.arange(c) % 2 == 0, w)
        synset = rng.integers(0, len(self.synsets), size=workers.size)
        said_yes = rng.random(workers.size) < self._p_yes(truth, synset, workers)
        controls = np.arange(workers.size)
        quality = assess_workers(
            Votes.from_arrays(controls, workers, said_yes.astype(np.int64), classes=[0, 1]),
            dict(zip(controls.tolist(), truth.tolist(), strict=True)),
        )
        flagged = {worker for worker, record in quality.items() if record.flag is not None}
        return np.isin(np.arange(w), list(flagged))

    def worker_of(self, candidates: IntArray, rank: IntArray) -> IntArray:
        """The worker who casts vote number ``rank`` (0-based) on each candidate.

        Vote ranks walk a per-candidate arithmetic sequence over the pool of
        workers not screened out, modulo its size and with a step coprime to
        it, so ranks below the pool's size never repeat a worker.
        """
        step = self._step[candidates]
        position = (self._start[candidates] + rank * step) % self._pool.size
        return np.asarray(self._pool[position], dtype=np.int64)

    def _all_answers(self, rng: np.random.Generator) -> BoolArray:
        n, k = self.n_candidates, self.config.max_votes
        candidates = np.repeat(np.arange(n), k)
        ranks = np.tile(np.arange(k), n)
        workers = self.worker_of(candidates, ranks)
        p_yes = self._p_yes(self.truth[candidates], self.synset[candidates], workers)
        answers: BoolArray = (rng.random(n * k) < p_yes).reshape(n, k)
        return answers

    def _p_yes(self, truth: BoolArray, synset: IntArray, workers: IntArray) -> NDArray[np.float64]:
        """How likely each worker says yes to an image of this truth in this synset."""
        difficulty = np.array([s.difficulty for s in self.synsets])[synset]
        accuracy = 0.5 + (self.accuracy[workers] - 0.5) * (1.0 - difficulty)
        kind = self.kind[workers]
        return np.select(
            [kind == "random", kind == "always-yes", kind == "always-no"],
            [0.5, 1.0, 0.0],
            default=np.where(truth, accuracy, 1.0 - accuracy),
        )

    def answers(self, candidates: IntArray, rank: IntArray) -> BoolArray:
        """The answer ("yes, it shows the synset") of vote ``rank`` on each candidate."""
        if np.any(rank >= self.config.max_votes):
            raise VerifyError(
                f"at most {self.config.max_votes} votes per candidate", code="E_CONFIG"
            )
        result: BoolArray = self._answers[candidates, rank]
        return result

    def fixed_votes(self, k: int) -> Votes:
        """The first ``k`` votes on every candidate, as vote rows (labels 0/1)."""
        n = self.n_candidates
        candidates = np.repeat(np.arange(n), k)
        ranks = np.tile(np.arange(k), n)
        labels = self.answers(candidates, ranks).astype(np.int64)
        return Votes.from_arrays(
            candidates, self.worker_of(candidates, ranks), labels, classes=[0, 1]
        )

    def yes_counts(self, votes: IntArray) -> IntArray:
        """Yes votes among the first ``votes[c]`` votes of each candidate ``c``."""
        result: IntArray = self._yes_before[np.arange(self.n_candidates), votes]
        return result

    def log_likelihood_ratios(self, k: int) -> tuple[FloatArray, FloatArray]:
        """The evidence of the first ``k`` votes on each candidate, as the truth knows it.

        Returns ``(if_yes, if_no)``, each ``(candidates, k)``: ``log P(answer |
        good) / P(answer | bad)`` for a "yes" and for a "no" from the worker
        who casts that vote. Spammers' votes carry none (constant answerers'
        are clipped to a tiny amount).
        """
        n = self.n_candidates
        candidates, ranks = np.repeat(np.arange(n), k), np.tile(np.arange(k), n)
        workers, synset = self.worker_of(candidates, ranks), self.synset[candidates]
        tiny = 1e-6
        good = np.clip(self._p_yes(np.ones(n * k, dtype=bool), synset, workers), tiny, 1 - tiny)
        bad = np.clip(self._p_yes(np.zeros(n * k, dtype=bool), synset, workers), tiny, 1 - tiny)
        if_yes = np.log(good / bad).reshape(n, k)
        if_no = np.log((1.0 - good) / (1.0 - bad)).reshape(n, k)
        return if_yes, if_no


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a labelling strategy did against the ground truth.

    Attributes:
        strategy: its name.
        votes_per_candidate: votes it asked for, per candidate.
        precision: the share of accepted candidates that truly show their synset.
        recall: the share of true candidates it accepted.
        accepted: how many it accepted.
        undecided: how many it left undecided (dynamic strategies).
        candidates, positives, true_accepted: the counts behind the shares.
    """

    strategy: str
    votes_per_candidate: float
    precision: float
    recall: float
    accepted: int
    undecided: int = 0
    candidates: int = 0
    positives: int = 0
    true_accepted: int = 0


def score(
    crowd: SimulatedCrowd, strategy: str, accepted: BoolArray, votes: int, undecided: int = 0
) -> Outcome:
    """Precision and recall of ``accepted`` against the crowd's ground truth."""
    true_accepted = int((accepted & crowd.truth).sum())
    return _outcome(
        strategy,
        votes,
        crowd.n_candidates,
        int(crowd.truth.sum()),
        int(accepted.sum()),
        true_accepted,
        undecided,
    )


def pool(outcomes: Sequence[Outcome]) -> Outcome:
    """One strategy's outcomes on several crowds, pooled: shares of the summed counts."""
    if not outcomes or len({o.strategy for o in outcomes}) != 1:
        raise VerifyError("pool one strategy's outcomes (at least one)", code="E_CONFIG")
    votes = sum(o.votes_per_candidate * o.candidates for o in outcomes)
    return _outcome(
        outcomes[0].strategy,
        round(votes),
        sum(o.candidates for o in outcomes),
        sum(o.positives for o in outcomes),
        sum(o.accepted for o in outcomes),
        sum(o.true_accepted for o in outcomes),
        sum(o.undecided for o in outcomes),
    )


def _outcome(
    strategy: str,
    votes: int,
    candidates: int,
    positives: int,
    accepted: int,
    true_accepted: int,
    undecided: int,
) -> Outcome:
    return Outcome(
        strategy=strategy,
        votes_per_candidate=votes / candidates,
        precision=true_accepted / accepted if accepted else 1.0,
        recall=true_accepted / positives if positives else 1.0,
        accepted=accepted,
        undecided=undecided,
        candidates=candidates,
        positives=positives,
        true_accepted=true_accepted,
    )


def run_dynamic(
    crowd: SimulatedCrowd, config: ConsensusConfig | None = None, seed: int = 0
) -> tuple[Outcome, dict[str, ConfidenceTable]]:
    """Dynamic consensus on the simulated crowd: per synset, each round one vote per open candidate.

    Returns the outcome and each synset's fitted confidence table.
    """
    config = config or ConsensusConfig()
    if config.max_votes > crowd.config.max_votes:
        raise VerifyError("the consensus vote cap exceeds the crowd's", code="E_CONFIG")
    rng = np.random.default_rng(seed)
    votes = np.zeros(crowd.n_candidates, dtype=np.int64)
    decision = np.full(crowd.n_candidates, Decision.OPEN, dtype=f"<U{len(Decision.UNDECIDED)}")
    tables: dict[str, ConfidenceTable] = {}
    for index, spec in enumerate(crowd.synsets):
        members = np.flatnonzero(crowd.synset == index)
        seed_set = rng.choice(members, size=min(config.seed_size, members.size), replace=False)
        votes[seed_set] = config.seed_votes
        while True:
            # The table is refitted on every vote so far: the seed's at first
            # (the 2009 procedure), then more evidence each round.
            voted = members[votes[members] > 0]
            yes = crowd.yes_counts(votes)
            table = ConfidenceTable.fit(yes[voted], votes[voted] - yes[voted])
            decision[members] = decide(table, yes[members], votes[members] - yes[members], config)
            open_ = members[decision[members] == Decision.OPEN]
            if open_.size == 0:
                break
            votes[open_] += 1
        tables[spec.name] = table
    accepted = decision == Decision.ACCEPT
    undecided = int((decision == Decision.UNDECIDED).sum())
    return score(crowd, "dynamic consensus", accepted, int(votes.sum()), undecided), tables


def run_oracle(crowd: SimulatedCrowd, config: ConsensusConfig | None = None) -> Outcome:
    """The bound on any vote-reading strategy: dynamic consensus told the truth about every vote.

    The same thresholds, cap and early stop as dynamic consensus, but each
    vote counts with its exact likelihood ratio, from the accuracy of the
    worker who cast it on this synset, and the prior is each synset's true
    share of good candidates. No real strategy knows these; what it reaches
    is the most recall and the fewest votes that these votes allow.
    """
    config = config or ConsensusConfig()
    if config.max_votes > crowd.config.max_votes:
        raise VerifyError("the consensus vote cap exceeds the crowd's", code="E_CONFIG")
    k = config.max_votes
    if_yes, if_no = crowd.log_likelihood_ratios(k)
    evidence = np.where(crowd._answers[:, :k], if_yes, if_no)
    shares = np.array([s.positive_share for s in crowd.synsets])[crowd.synset]
    after = np.log(shares / (1.0 - shares))[:, None] + np.cumsum(evidence, axis=1)
    # the most evidence the votes still to come could add: all of them "yes"
    still_possible = np.cumsum(if_yes[:, ::-1], axis=1)[:, ::-1]
    best_case = after + np.concatenate([still_possible[:, 1:], np.zeros((after.shape[0], 1))], 1)
    accept, reject = (float(np.log(p / (1.0 - p))) for p in (config.accept, config.reject))
    stops = (after >= accept) | (after <= reject) | (best_case < accept)
    stopped = stops.any(axis=1)
    last = np.where(stopped, stops.argmax(axis=1), k - 1)
    final = after[np.arange(crowd.n_candidates), last]
    accepted = final >= accept
    undecided = int((~accepted & (final > reject)).sum())
    return score(crowd, "oracle bound", accepted, int((last + 1).sum()), undecided)


def compare_strategies(
    crowd: SimulatedCrowd, config: ConsensusConfig | None = None, seed: int = 0
) -> tuple[list[Outcome], dict[str, ConfidenceTable]]:
    """The issue's labelling strategies on the same votes, and dynamic consensus's tables.

    In order: fixed 10-vote majority (ties rejected); the same 10 votes read
    through each synset's confidence table with dynamic consensus's accept
    threshold (the 2009 table without adaptive stopping: a fixed budget held
    to the same precision); Dawid–Skene on a fixed 5 votes; dynamic consensus
    with ``config``; and the oracle bound (:func:`run_oracle`). The crowd
    needs ``max_votes >= 10``.
    """
    config = config or ConsensusConfig()
    n = crowd.n_candidates
    ten = np.full(n, 10)
    yes = crowd.yes_counts(ten)
    by_table = np.zeros(n, dtype=bool)
    for index in range(len(crowd.synsets)):
        members = crowd.synset == index
        table = ConfidenceTable.fit(yes[members], 10 - yes[members])
        by_table[members] = table.confidence(yes[members], 10 - yes[members]) >= config.accept
    ds = DawidSkene().fit(crowd.fixed_votes(5))
    dynamic, tables = run_dynamic(crowd, config, seed=seed)
    outcomes = [
        score(crowd, "fixed 10-vote majority", yes > 5, 10 * n),
        score(crowd, "fixed 10 votes, confidence table", by_table, 10 * n),
        score(crowd, "Dawid-Skene, fixed 5 votes", ds.labels_ == 1, 5 * n),
        dynamic,
        run_oracle(crowd, config),
    ]
    return outcomes, tables
