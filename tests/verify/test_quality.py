"""Worker quality from hidden controls (synsetdb.verify.quality)."""

from __future__ import annotations

import numpy as np
import pytest

from synsetdb.errors import VerifyError
from synsetdb.verify.quality import QualityConfig, assess_workers, exclude_workers
from synsetdb.verify.simulate import CrowdConfig, SimulatedCrowd, SynsetSpec

CONTROLS = {f"c{i}": i % 2 == 0 for i in range(20)}  # ten positive, ten negative


def _answers(worker: str, answer) -> dict[str, list[object]]:
    rows: dict[str, list[object]] = {"task": [], "worker": [], "label": []}
    for control, truth in CONTROLS.items():
        rows["task"].append(control)
        rows["worker"].append(worker)
        rows["label"].append(int(answer(truth)))
    return rows


def _merge(*parts: dict[str, list[object]]) -> dict[str, list[object]]:
    return {k: [v for p in parts for v in p[k]] for k in ("task", "worker", "label")}


def test_flags_constant_random_and_inaccurate_workers() -> None:
    rng = np.random.default_rng(0)
    always_right = iter([True] * 20)
    mostly_right = iter([True, True, True, False] * 5)  # 75% right
    votes = _merge(
        _answers("good", lambda truth: truth if next(always_right) else not truth),
        _answers("yes-man", lambda truth: True),
        _answers("coin", lambda truth: rng.random() < 0.5),
        _answers("sloppy", lambda truth: truth if next(mostly_right) else not truth),
    )
    quality = assess_workers(votes, CONTROLS)
    assert quality["good"].flag is None and quality["good"].balanced_accuracy == 1.0
    assert quality["yes-man"].flag == "constant" and quality["yes-man"].sensitivity == 1.0
    assert quality["yes-man"].specificity == 0.0
    assert quality["coin"].flag == "random"
    assert quality["sloppy"].flag is None  # 75% right: better than chance, above 0.7
    strict = assess_workers(votes, CONTROLS, QualityConfig(min_accuracy=0.8))
    assert strict["sloppy"].flag == "inaccurate"


def test_workers_with_too_few_controls_are_not_judged() -> None:
    few = {"task": ["c0", "c1"], "worker": ["new", "new"], "label": [1, 1]}
    assert assess_workers(few, CONTROLS)["new"].flag is None


def test_votes_on_unknown_controls_are_refused() -> None:
    with pytest.raises(VerifyError) as info:
        assess_workers({"task": ["x"], "worker": ["w"], "label": [1]}, CONTROLS)
    assert info.value.code == "E_VOTES"


def test_exclude_workers_drops_only_their_votes() -> None:
    votes = {"task": [1, 1, 2, 2], "worker": ["a", "spam-bot", "a", "b"], "label": [1, 0, 0, 1]}
    kept = exclude_workers(votes, ["spam-bot", "never-voted"])
    assert len(kept) == 3 and "spam-bot" not in kept.workers.tolist()
    assert kept.classes.tolist() == [0, 1]


def test_screening_keeps_spammers_out_of_the_simulated_pool() -> None:
    synsets = [SynsetSpec("easy", 500, 0.0)]
    crowd = SimulatedCrowd(
        synsets, CrowdConfig(workers=200, spammer_share=0.3, controls=30), seed=6
    )
    spammers = crowd.kind != "diligent"
    assert (crowd.excluded[spammers]).mean() > 0.9
    assert (crowd.excluded[~spammers]).mean() < 0.2
    voters = crowd.fixed_votes(10).workers
    assert not crowd.excluded[voters].any()
    assert crowd.control_votes == 200 * 30
