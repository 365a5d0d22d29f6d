"""Votes coding and the aggregators (synsetdb.verify.votes, synsetdb.verify.aggregate)."""

from __future__ import annotations

import numpy as np
import pytest

from synsetdb.errors import VerifyError
from synsetdb.verify import DawidSkene, MajorityVote, SelectionFrequency, Votes
from synsetdb.verify.simulate import CrowdConfig, SimulatedCrowd, SynsetSpec

ROWS = {
    "task": ["t1", "t1", "t1", "t2", "t2", "t3"],
    "worker": ["a", "b", "c", "a", "b", "c"],
    "label": [1, 1, 0, 0, 1, 0],
}


def test_votes_are_coded_to_sorted_distinct_values() -> None:
    votes = Votes.from_frame(ROWS)
    assert votes.tasks.tolist() == ["t1", "t2", "t3"]
    assert votes.workers.tolist() == ["a", "b", "c"]
    assert votes.classes.tolist() == [0, 1]
    assert votes.counts().tolist() == [[1, 2], [1, 1], [1, 0]]
    assert len(votes) == 6


def test_classes_without_votes_are_kept() -> None:
    votes = Votes.from_arrays([1, 2], ["a", "a"], [1, 1], classes=[0, 1])
    assert votes.classes.tolist() == [0, 1]
    assert votes.counts().tolist() == [[0, 1], [0, 1]]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ({"task": [1], "worker": ["a"]}, r"lack column\(s\) label"),
        ({"task": [1, 2], "worker": ["a"], "label": [1]}, "differ in length"),
        ({"task": [1, None], "worker": ["a", "b"], "label": [1, 0]}, "missing values"),
        ({"task": [1, 2], "worker": ["a", "b"], "label": [1.0, float("nan")]}, "missing values"),
        ({"task": [[1, 2]], "worker": ["a"], "label": [1]}, "one-dimensional"),
    ],
)
def test_malformed_votes_are_refused_with_a_code(
    rows: dict[str, list[object]], message: str
) -> None:
    with pytest.raises(VerifyError, match=message) as info:
        MajorityVote().fit(rows)
    assert info.value.code == "E_VOTES"


def test_majority_vote_shares_and_ties() -> None:
    mv = MajorityVote().fit(ROWS)
    assert mv.tasks_.tolist() == ["t1", "t2", "t3"]
    assert mv.predict().tolist() == [1, 0, 0]  # t2 is tied 1:1: the smaller label wins
    np.testing.assert_allclose(mv.predict_proba(), [[1 / 3, 2 / 3], [0.5, 0.5], [1.0, 0.0]])


def test_an_unfitted_aggregator_says_so() -> None:
    with pytest.raises(VerifyError) as info:
        DawidSkene().predict()
    assert info.value.code == "E_NOT_FITTED"


def test_selection_frequency_is_the_share_of_workers_who_selected() -> None:
    sf = SelectionFrequency(threshold=0.6).fit(ROWS)
    np.testing.assert_allclose(sf.frequency_, [2 / 3, 0.5, 0.0])
    assert sf.labels_.tolist() == [1, 0, 0]
    with pytest.raises(VerifyError, match="binary"):
        SelectionFrequency().fit({"task": [1], "worker": ["a"], "label": [2]})


def _reference_dawid_skene(votes: Votes, n_iter: int) -> np.ndarray:
    """An independent, loop-per-vote statement of the EM updates (slow; small data only)."""
    k = votes.n_classes
    counts = votes.counts()
    t = counts / counts.sum(axis=1, keepdims=True)
    for _ in range(n_iter):
        priors = np.maximum(t.mean(axis=0), 1e-10)
        errors = np.zeros((votes.n_workers, k, k))
        for task, worker, label in zip(votes.task, votes.worker, votes.label, strict=True):
            errors[worker, :, label] += t[task]
        errors = np.maximum(errors, 1e-10)
        errors /= errors.sum(axis=2, keepdims=True)
        log_t = np.tile(np.log(priors), (votes.n_tasks, 1))
        for task, worker, label in zip(votes.task, votes.worker, votes.label, strict=True):
            log_t[task] += np.log(errors[worker, :, label])
        t = np.exp(log_t - log_t.max(axis=1, keepdims=True))
        t /= t.sum(axis=1, keepdims=True)
    return t


def _three_class_votes(seed: int) -> tuple[Votes, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, size=300)
    skill = rng.uniform(0.4, 0.95, size=25)
    task, worker, label = [], [], []
    for t, true in enumerate(truth):
        for w in rng.choice(25, size=5, replace=False):
            wrong = rng.integers(1, 3)
            task.append(t)
            worker.append(w)
            label.append(true if rng.random() < skill[w] else (true + wrong) % 3)
    return Votes.from_arrays(task, worker, label), truth


def test_dawid_skene_matches_a_loop_per_vote_reference() -> None:
    votes, _ = _three_class_votes(seed=3)
    ds = DawidSkene(n_iter=15, tol=0.0).fit(votes)
    assert ds.n_iter_ == 15
    np.testing.assert_allclose(ds.probas_, _reference_dawid_skene(votes, 15), atol=1e-9)
    np.testing.assert_allclose(ds.errors_.sum(axis=2), 1.0)
    assert ds.errors_.shape == (25, 3, 3)


def test_dawid_skene_beats_majority_vote_with_spammers() -> None:
    crowd = SimulatedCrowd(
        [SynsetSpec("easy", 3000, 0.1, positive_share=0.3)],
        CrowdConfig(workers=60, spammer_share=0.3, max_votes=5),
        seed=5,
    )
    votes = crowd.fixed_votes(5)
    truth = crowd.truth.astype(int)
    ds = DawidSkene().fit(votes)
    mv = MajorityVote().fit(votes)
    ds_accuracy = (ds.labels_ == truth).mean()
    assert ds_accuracy > (mv.labels_ == truth).mean() + 0.02
    assert ds.log_likelihood_ == sorted(ds.log_likelihood_)  # EM never loses likelihood
    assert ds.n_iter_ < 100  # converged before the cap


def test_dawid_skene_learns_spammers_confusion() -> None:
    crowd = SimulatedCrowd(
        [SynsetSpec("easy", 2000, 0.0, positive_share=0.5)],
        CrowdConfig(workers=40, spammer_share=0.3, max_votes=8),
        seed=2,
    )
    ds = DawidSkene().fit(crowd.fixed_votes(8))
    always_yes = crowd.kind[ds.workers_] == "always-yes"
    assert always_yes.any()
    # an always-yes worker answers yes whatever the truth: both rows put ~1 on "yes"
    assert (ds.errors_[always_yes][:, :, 1] > 0.95).all()
