"""ImageNet's dynamic consensus (synsetdb.verify.consensus) and the simulated crowd."""

from __future__ import annotations

import numpy as np
import pytest

from synsetdb.errors import VerifyError
from synsetdb.verify import ConfidenceTable, ConsensusConfig, Decision, DynamicConsensus, decide
from synsetdb.verify.simulate import (
    CrowdConfig,
    SimulatedCrowd,
    SynsetSpec,
    pool,
    run_dynamic,
    run_oracle,
    score,
)


def _binomial_mixture(prior: float, sensitivity: float, false_positive: float, n: int, votes: int):
    rng = np.random.default_rng(7)
    good = rng.random(n) < prior
    yes = rng.binomial(votes, np.where(good, sensitivity, false_positive))
    return yes, votes - yes


def test_confidence_table_recovers_the_latent_class_model() -> None:
    yes, no = _binomial_mixture(0.2, 0.9, 0.1, n=3000, votes=10)
    table = ConfidenceTable.fit(yes, no)
    assert table.prior == pytest.approx(0.2, abs=0.02)
    assert table.sensitivity == pytest.approx(0.9, abs=0.02)
    assert table.false_positive == pytest.approx(0.1, abs=0.02)
    grid = table.table(10)
    assert grid.shape == (11, 11)
    assert (np.diff(grid, axis=0) > 0).all()  # more yes votes: more confident
    assert (np.diff(grid, axis=1) < 0).all()  # more no votes: less
    assert grid.min() > 0.0 and grid.max() < 1.0  # smoothed: never certain


def test_confidence_table_names_the_classes_by_their_yes_rate() -> None:
    yes, no = _binomial_mixture(0.8, 0.9, 0.1, n=2000, votes=10)  # mostly good candidates
    table = ConfidenceTable.fit(yes, no)
    assert table.sensitivity > table.false_positive
    assert table.prior == pytest.approx(0.8, abs=0.03)


def test_confidence_table_needs_votes() -> None:
    with pytest.raises(VerifyError) as info:
        ConfidenceTable.fit([], [])
    assert info.value.code == "E_VOTES"


def test_decide_applies_thresholds_and_the_vote_cap() -> None:
    table = ConfidenceTable(prior=0.1, sensitivity=0.9, false_positive=0.1, seed=100)
    config = ConsensusConfig(accept=0.99, reject=0.01, max_votes=6, seed_votes=5)
    decided = decide(table, [4, 0, 1, 3], [0, 2, 1, 3], config)
    assert decided.tolist() == [Decision.ACCEPT, Decision.REJECT, Decision.OPEN, Decision.UNDECIDED]


@pytest.mark.parametrize(
    "kwargs",
    [{"accept": 0.5, "reject": 0.6}, {"seed_votes": 30, "max_votes": 20}, {"seed_size": 0}],
)
def test_consensus_config_is_checked(kwargs: dict[str, float]) -> None:
    with pytest.raises(VerifyError) as info:
        ConsensusConfig(**kwargs)  # type: ignore[arg-type]
    assert info.value.code == "E_CONFIG"


def test_dynamic_consensus_flags_a_synset_nobody_can_judge() -> None:
    rng = np.random.default_rng(1)
    task, worker, label, groups = [], [], [], {}
    for group, (sensitivity, false_positive) in {"cat": (0.95, 0.05), "blur": (0.5, 0.5)}.items():
        for t in range(200):
            good = t % 5 == 0
            name = f"{group}-{t}"
            groups[name] = group
            for w in range(12):
                task.append(name)
                worker.append(f"w{w}")
                label.append(int(rng.random() < (sensitivity if good else false_positive)))
    dc = DynamicConsensus().fit({"task": task, "worker": worker, "label": label}, groups)
    assert dc.hard_groups_ == ["blur"]
    is_cat = np.array([groups[t] == "cat" for t in dc.tasks_])
    cat_good = np.array([int(t.split("-")[1]) % 5 == 0 for t in dc.tasks_])
    accepted = dc.decisions_ == Decision.ACCEPT
    assert (accepted[is_cat] == cat_good[is_cat]).mean() > 0.97
    assert not accepted[~is_cat].any()
    np.testing.assert_allclose(dc.predict_proba().sum(axis=1), 1.0)
    with pytest.raises(VerifyError, match="no group"):
        DynamicConsensus().fit({"task": task, "worker": worker, "label": label}, {"cat-0": "cat"})


def test_the_crowd_never_asks_a_worker_twice_and_repeats_itself() -> None:
    synsets = [SynsetSpec("a", 300, 0.0), SynsetSpec("b", 200, 0.5)]
    crowd = SimulatedCrowd(synsets, CrowdConfig(workers=50, max_votes=20), seed=4)
    votes = crowd.fixed_votes(20)
    pairs = votes.task * 1000 + votes.workers[votes.worker].astype(np.int64)
    assert np.unique(pairs).size == len(votes)  # 20 distinct workers per candidate
    again = SimulatedCrowd(synsets, CrowdConfig(workers=50, max_votes=20), seed=4)
    assert (again.fixed_votes(5).label == crowd.fixed_votes(5).label).all()
    assert crowd.truth.mean() == pytest.approx(0.1, abs=0.04)


def test_harder_synsets_get_noisier_votes() -> None:
    synsets = [SynsetSpec("cat", 2000, 0.0), SynsetSpec("Burmese cat", 2000, 0.6)]
    crowd = SimulatedCrowd(synsets, CrowdConfig(spammer_share=0.0, max_votes=10), seed=8)
    yes = crowd.yes_counts(np.full(crowd.n_candidates, 10))
    agree = np.where(crowd.truth, yes, 10 - yes) / 10
    assert agree[crowd.synset == 0].mean() > agree[crowd.synset == 1].mean() + 0.15


def test_dynamic_consensus_on_an_easy_crowd_is_precise_and_cheap() -> None:
    synsets = [SynsetSpec(f"s{i}", 1000, 0.1) for i in range(3)]
    crowd = SimulatedCrowd(synsets, CrowdConfig(spammer_share=0.0, accuracy_mean=0.93), seed=3)
    outcome, tables = run_dynamic(crowd, ConsensusConfig(seed_size=50))
    assert set(tables) == {"s0", "s1", "s2"}
    assert outcome.precision >= 0.997
    assert outcome.votes_per_candidate < 10
    fixed = score(crowd, "fixed-10", crowd.yes_counts(np.full(crowd.n_candidates, 10)) > 5, 10)
    assert outcome.precision > fixed.precision


def test_the_oracle_bound_reads_votes_better_than_counts() -> None:
    # Workers of very different skill: counting votes wastes what the oracle knows.
    synsets = [SynsetSpec("mixed", 3000, 0.2)]
    config = CrowdConfig(accuracy_concentration=4.0, spammer_share=0.0)
    crowd = SimulatedCrowd(synsets, config, seed=11)
    oracle = run_oracle(crowd)
    dynamic, _ = run_dynamic(crowd, seed=11)
    assert oracle.precision >= 0.99 and oracle.accepted > 0
    assert oracle.votes_per_candidate < dynamic.votes_per_candidate


def test_the_oracle_bound_stops_within_the_cap() -> None:
    crowd = SimulatedCrowd([SynsetSpec("hard", 500, 0.9)], seed=2)
    oracle = run_oracle(crowd, ConsensusConfig(max_votes=12))
    assert 1 <= oracle.votes_per_candidate <= 12
    assert oracle.accepted + oracle.undecided <= crowd.n_candidates
    with pytest.raises(VerifyError) as e:
        run_oracle(crowd, ConsensusConfig(max_votes=21))
    assert e.value.code == "E_CONFIG"


def test_pooled_outcomes_are_shares_of_summed_counts() -> None:
    crowds = [SimulatedCrowd([SynsetSpec("s", 400 * (i + 1), 0.1)], seed=i) for i in range(2)]
    outcomes = [run_dynamic(crowd, seed=0)[0] for crowd in crowds]
    pooled = pool(outcomes)
    assert pooled.candidates == 1200 and pooled.accepted == sum(o.accepted for o in outcomes)
    assert pooled.recall == pytest.approx(
        sum(o.true_accepted for o in outcomes) / sum(o.positives for o in outcomes)
    )
    votes = sum(o.votes_per_candidate * o.candidates for o in outcomes)
    assert pooled.votes_per_candidate == pytest.approx(votes / 1200)
    with pytest.raises(VerifyError):
        pool([outcomes[0], score(crowds[0], "other", crowds[0].truth, 10)])


def test_a_candidate_that_can_no_longer_be_accepted_stops_early() -> None:
    table = ConfidenceTable(prior=0.1, sensitivity=0.8, false_positive=0.2, seed=100)
    config = ConsensusConfig(accept=0.99, reject=0.001, max_votes=6, seed_votes=5)
    yes, no = 1, 3  # two votes left: even two more yes cannot reach 0.99
    assert config.reject < table.confidence(yes, no) < config.accept
    assert table.confidence(yes + 2, no) < config.accept
    assert decide(table, [yes], [no], config).tolist() == [Decision.UNDECIDED]
    assert decide(table, [3], [0], config).tolist() == [Decision.OPEN]  # still reachable
