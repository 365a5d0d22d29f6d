"""Confident learning: joints worked out by hand, each filter on a planted error, and
agreement with a slow reference written in plain loops from the paper's definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from synsetdb.audit import confident
from synsetdb.audit.confident import (
    FILTERS,
    THRESHOLD_SLACK,
    calibrate,
    confident_joint,
    find_label_issues,
)
from synsetdb.errors import EvaluationError

# Three classes, eight samples; sample 2 is given class 0 but is plainly a 1.
PLANTED_LABELS = [0, 0, 0, 1, 1, 1, 2, 2]
PLANTED_PROBS = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.5, 0.3, 0.2],
        [0.1, 0.8, 0.1],  # the planted error
        [0.2, 0.7, 0.1],
        [0.1, 0.6, 0.3],
        [0.3, 0.4, 0.3],
        [0.1, 0.1, 0.8],
        [0.2, 0.2, 0.6],
    ]
)

# Four classes, two samples each: two classes above threshold at once (sample 5),
# and an argmax below its threshold while another class is above it (sample 7).
MIXED_LABELS = [0, 0, 1, 1, 2, 2, 3, 3]
MIXED_PROBS = np.array(
    [
        [0.6, 0.2, 0.1, 0.1],
        [0.2, 0.5, 0.2, 0.1],
        [0.1, 0.8, 0.1, 0.0],
        [0.3, 0.6, 0.0, 0.1],
        [0.0, 0.0, 0.3, 0.7],
        [0.45, 0.0, 0.55, 0.0],
        [0.1, 0.1, 0.1, 0.7],
        [0.0, 0.0, 0.45, 0.55],
    ]
)


# ----------------------------------------------------------------------------- by hand


def test_confident_joint_by_hand_three_classes() -> None:
    joint, thresholds = confident_joint(PLANTED_LABELS, PLANTED_PROBS)
    # t0 = (.7 + .5 + .1) / 3 = .4333, t1 = (.7 + .6 + .4) / 3 = .5667, t2 = (.8 + .6) / 2 = .7
    assert thresholds == pytest.approx([1.3 / 3, 1.7 / 3, 0.7])
    # s0 .7 >= t0 -> 0; s1 .5 >= t0 -> 0; s2 .8 >= t1 -> 1 (given 0: off the diagonal);
    # s3 .7, s4 .6 >= t1 -> 1; s5 (.3, .4, .3) is above no threshold; s6 .8 >= t2 -> 2;
    # s7 (.2, .2, .6) is above none.
    expected = [
        [2, 1, 0],
        [0, 2, 0],
        [0, 0, 1],
    ]
    assert joint.tolist() == expected


def test_confident_joint_by_hand_four_classes() -> None:
    joint, thresholds = confident_joint(MIXED_LABELS, MIXED_PROBS)
    # t0 = (.6 + .2) / 2 = .4, t1 = (.8 + .6) / 2 = .7, t2 = (.3 + .55) / 2 = .425,
    # t3 = (.7 + .55) / 2 = .625
    assert thresholds == pytest.approx([0.4, 0.7, 0.425, 0.625])
    # s0 -> 0; s1 (.2 .5 .2 .1) none; s2 -> 1; s3 (.3 .6 0 .1) none;
    # s4 (given 2): only .7 >= t3 -> 3; s5 (given 2): .45 >= t0 and .55 >= t2, the larger -> 2;
    # s6 -> 3; s7 (given 3): argmax .55 < t3 but .45 >= t2 -> 2.
    expected = [
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 1],
        [0, 0, 1, 1],
    ]
    assert joint.tolist() == expected


def test_calibration_rescales_rows_to_the_given_counts() -> None:
    # rows of the three-class joint hold 3, 2, 1 confident samples of 3, 3, 2 given:
    # row 1 doubles to [0, 3, 0] only after scaling by 3/2, row 2 to [0, 0, 2]; n = 8.
    q = calibrate([[2, 1, 0], [0, 2, 0], [0, 0, 1]], [3, 3, 2])
    assert q * 8 == pytest.approx(np.array([[2, 1, 0], [0, 3, 0], [0, 0, 2]]))
    # a row with no confident sample is taken as noise-free
    q = calibrate([[0, 0], [1, 1]], [3, 2])
    assert q * 5 == pytest.approx(np.array([[3, 0], [1, 1]]))


@pytest.mark.parametrize("filter_by", FILTERS)
def test_every_filter_finds_the_planted_error(filter_by: str) -> None:
    issues = find_label_issues(PLANTED_LABELS, PLANTED_PROBS, filter_by=filter_by)  # type: ignore[arg-type]
    assert issues.ranked.tolist() == [2]
    assert issues.issue_mask.tolist() == [i == 2 for i in range(8)]
    assert issues.suggested[2] == 1
    assert issues.confident_joint.tolist() == [[2, 1, 0], [0, 2, 0], [0, 0, 1]]
    assert issues.noise_rate == pytest.approx(1 / 8)  # n * Q̂[0][1] = 1 of 8


@pytest.mark.parametrize(
    ("filter_by", "flagged"),
    [
        # n * Q̂ asks for one (2 -> 3) and one (3 -> 2) error. Among class 2, s4 has the
        # largest p3 - p2 and the lowest self-confidence; among class 3, s7 has the largest
        # p2 - p3 and the lowest self-confidence, but its argmax is its given label: kept.
        ("prune_by_noise_rate", [4]),
        ("prune_by_class", [4]),
        ("both", [4]),
        ("confident_learning", [4, 7]),  # the off-diagonal samples of the joint
        ("predicted_neq_given", [1, 4]),  # s1's argmax is 1, s4's is 3
    ],
)
def test_filters_differ_on_the_four_class_case(filter_by: str, flagged: list[int]) -> None:
    issues = find_label_issues(MIXED_LABELS, MIXED_PROBS, filter_by=filter_by)  # type: ignore[arg-type]
    assert sorted(issues.ranked.tolist()) == flagged


def test_rankings_order_the_flags() -> None:
    # s1: self-confidence .2, margin .2 - .5 = -.3; s4: .3, .3 - .7 = -.4
    by_conf = find_label_issues(MIXED_LABELS, MIXED_PROBS, filter_by="predicted_neq_given")
    assert by_conf.ranked.tolist() == [1, 4]
    by_margin = find_label_issues(
        MIXED_LABELS, MIXED_PROBS, filter_by="predicted_neq_given", rank_by="normalized_margin"
    )
    assert by_margin.ranked.tolist() == [4, 1]
    assert by_margin.normalized_margin[[1, 4]] == pytest.approx([-0.3, -0.4])
    assert by_margin.self_confidence[[1, 4]] == pytest.approx([0.2, 0.3])


def test_frac_noise_and_min_examples_hold_flags_back() -> None:
    # half of one estimated error rounds down to none
    assert find_label_issues(PLANTED_LABELS, PLANTED_PROBS, frac_noise=0.5).count == 0
    # class 0 has 3 samples; keeping 3 leaves nothing to flag
    held = find_label_issues(PLANTED_LABELS, PLANTED_PROBS, min_examples_per_class=3)
    assert held.count == 0
    assert find_label_issues(PLANTED_LABELS, PLANTED_PROBS, min_examples_per_class=2).count == 1


def test_a_class_no_sample_was_given_is_never_a_confident_class() -> None:
    labels = [0, 0, 1, 1]
    probs = np.array([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1], [0.2, 0.7, 0.1]])
    joint, thresholds = confident_joint(labels, probs)
    # t0 = (.8 + .1) / 2 = .45, t1 = (.8 + .7) / 2 = .75, t2 = inf: s0 -> 0, s1 none
    # (its .8 is class 2's), s2 -> 1, s3's .7 < t1 none
    assert thresholds[:2] == pytest.approx([0.45, 0.75]) and math.isinf(thresholds[2])
    assert joint.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 0]]
    issues = find_label_issues(labels, probs, filter_by="predicted_neq_given")
    assert issues.ranked.tolist() == [1] and issues.suggested[1] == 2


# ----------------------------------------------------------------------------- reference


def _round_keeping_total(values: list[float], total: int) -> list[int]:
    """Floors, then +1 for the largest remainders (lower index first) until the total is met."""
    whole = [math.floor(v) for v in values]
    by_remainder = sorted(range(len(values)), key=lambda j: (whole[j] - values[j], j))
    for j in by_remainder[: total - sum(whole)]:
        whole[j] += 1
    return whole


def _reference_prune_counts(
    joint: list[list[int]], counts: list[int], frac_noise: float, min_examples: int
) -> list[list[int]]:
    """n * Q̂ (eq. 3) as whole samples per row, diagonal zeroed, scaled, capped."""
    n, k = sum(counts), len(counts)
    cells = []
    for i in range(k):
        total = sum(joint[i])
        if total:
            values = [c * (counts[i] / total) / n * n for c in joint[i]]
        else:  # no confident sample: no noise
            values = [counts[i] / n * n if j == i else 0.0 for j in range(k)]
        whole = _round_keeping_total(values, counts[i])
        whole[i] = 0
        whole = [math.floor(w * frac_noise) for w in whole]
        cap = max(counts[i] - min_examples, 0)
        if sum(whole) > cap:
            whole = _round_keeping_total([w * (cap / sum(whole)) for w in whole], cap)
        cells.append(whole)
    return cells


def _reference(
    labels: list[int], rows: list[list[float]], filter_by: str, frac_noise: float, min_ex: int
) -> tuple[list[list[int]], list[int]]:
    """The confident joint and the flagged samples, with plain loops from the paper."""
    n, k = len(rows), len(rows[0])
    thresholds = []
    for j in range(k):
        own = [rows[i][j] for i in range(n) if labels[i] == j]
        thresholds.append(sum(own) / len(own) if own else math.inf)
    joint = [[0] * k for _ in range(k)]
    confident: list[int | None] = [None] * n
    for i in range(n):
        above = [j for j in range(k) if rows[i][j] >= thresholds[j] - THRESHOLD_SLACK]
        if above:
            confident[i] = max(above, key=lambda j: rows[i][j])
            joint[labels[i]][confident[i]] += 1
    argmax = [max(range(k), key=lambda j: rows[i][j]) for i in range(n)]
    if filter_by == "confident_learning":
        return joint, [i for i in range(n) if confident[i] not in (None, labels[i])]
    if filter_by == "predicted_neq_given":
        return joint, [i for i in range(n) if argmax[i] != labels[i]]
    counts = [labels.count(c) for c in range(k)]
    prune = _reference_prune_counts(joint, counts, frac_noise, min_ex)
    by_rate: set[int] = set()
    by_class: set[int] = set()
    for c in range(k):
        members = [i for i in range(n) if labels[i] == c]
        for j in range(k):
            by_margin = sorted(members, key=lambda i: (-(rows[i][j] - rows[i][c]), i))
            by_rate.update(by_margin[: prune[c][j]])
        by_class.update(sorted(members, key=lambda i: (rows[i][c], i))[: sum(prune[c])])
    chosen = {"prune_by_noise_rate": by_rate, "prune_by_class": by_class}
    flagged = chosen.get(filter_by, by_rate & by_class)
    return joint, sorted(i for i in flagged if argmax[i] != labels[i])


def _noisy_problem(seed: int, n: int = 300, k: int = 5) -> tuple[NDArray[np.int64], NDArray]:
    """Predictions that mostly know the truth, and labels with about 20% flipped at random."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    logits = rng.normal(0.0, 1.0, (n, k))
    logits[np.arange(n), truth] += rng.uniform(0.0, 3.0, n)
    probs = np.exp(logits)
    probs /= probs.sum(axis=1, keepdims=True)
    labels = truth.copy()
    flip = rng.random(n) < 0.2
    labels[flip] = rng.integers(0, k, int(flip.sum()))
    return labels, probs


@pytest.mark.parametrize("filter_by", FILTERS)
@pytest.mark.parametrize(("frac_noise", "min_examples"), [(1.0, 1), (0.6, 1), (1.0, 55)])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_agrees_with_the_reference(
    filter_by: str, frac_noise: float, min_examples: int, seed: int
) -> None:
    labels, probs = _noisy_problem(seed)
    joint, flagged = _reference(
        labels.tolist(), probs.tolist(), filter_by, frac_noise, min_examples
    )
    issues = find_label_issues(
        labels,
        probs,
        filter_by=filter_by,  # type: ignore[arg-type]
        frac_noise=frac_noise,
        min_examples_per_class=min_examples,
    )
    assert issues.confident_joint.tolist() == joint
    assert sorted(issues.ranked.tolist()) == flagged
    self_conf = probs[np.arange(len(labels)), labels]
    assert issues.ranked.tolist() == sorted(flagged, key=lambda i: (self_conf[i], i))


def test_min_examples_binds_in_the_reference_cases() -> None:
    # the (1.0, 55) cases above really cap classes of about 60 samples
    labels, probs = _noisy_problem(1)
    joint, _ = confident_joint(labels, probs)
    counts = np.bincount(labels).tolist()
    free = _reference_prune_counts(joint.tolist(), counts, 1.0, 1)
    capped = _reference_prune_counts(joint.tolist(), counts, 1.0, 55)
    assert sum(map(sum, capped)) < sum(map(sum, free))


def test_normalized_margin_matches_its_definition() -> None:
    labels, probs = _noisy_problem(4)
    issues = find_label_issues(labels, probs, rank_by="normalized_margin")
    for i in range(len(labels)):
        others = [p for j, p in enumerate(probs[i]) if j != labels[i]]
        assert issues.normalized_margin[i] == probs[i, labels[i]] - max(others)
    ranked = sorted(np.flatnonzero(issues.issue_mask), key=lambda i: issues.normalized_margin[i])
    assert issues.ranked.tolist() == ranked


def test_blocks_of_rows_do_not_change_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    labels, probs = _noisy_problem(5, n=1000, k=7)
    whole = find_label_issues(labels, probs)
    monkeypatch.setattr(confident, "_BLOCK_ELEMENTS", 7 * 3)  # three rows a block, one over
    blocked = find_label_issues(labels, probs)
    assert np.array_equal(whole.issue_mask, blocked.issue_mask)
    assert np.array_equal(whole.normalized_margin, blocked.normalized_margin)
    assert np.array_equal(whole.confident_joint, blocked.confident_joint)


def test_float32_is_read_as_is_and_agrees() -> None:
    labels, probs = _noisy_problem(6)
    narrow = find_label_issues(labels, probs.astype(np.float32))
    assert narrow.self_confidence.dtype == np.float32
    assert np.array_equal(narrow.issue_mask, find_label_issues(labels, probs).issue_mask)


def test_inputs_are_left_untouched() -> None:
    labels, probs = _noisy_problem(7)
    before = probs.copy(), labels.copy()
    find_label_issues(labels, probs, rank_by="normalized_margin")
    assert np.array_equal(probs, before[0]) and np.array_equal(labels, before[1])


# ----------------------------------------------------------------------------- bad inputs


GOOD = np.array([[0.9, 0.1], [0.2, 0.8]])


@pytest.mark.parametrize(
    ("labels", "probs", "code", "words"),
    [
        ([0, 1], np.array([0.9, 0.1]), "E_PREDICTIONS", "(samples, classes)"),
        ([0, 1], np.array([["a", "b"], ["c", "d"]]), "E_PREDICTIONS", "floats"),
        ([0, 0], np.ones((2, 1)), "E_PREDICTIONS", "2 classes"),
        ([], np.zeros((0, 2)), "E_PREDICTIONS", "2 classes"),
        ([0, 1], np.array([[0.9, 0.3], [0.2, 0.8]]), "E_PREDICTIONS", "row 0 sums to 1.2"),
        ([0, 1], np.array([[2.0, 5.0], [0.2, 0.8]]), "E_PREDICTIONS", "sums to 7"),
        ([0, 1], np.array([[0.9, 0.1], [np.nan, 0.8]]), "E_PREDICTIONS", "row 1 holds NaN"),
        ([0, 1], np.array([[0.9, 0.1], [np.inf, 0.8]]), "E_PREDICTIONS", "NaN or infinity"),
        ([0, 1], np.array([[1.2, -0.2], [0.2, 0.8]]), "E_PREDICTIONS", "negative"),
        ([0, 1, 1], GOOD, "E_LABELS", "one label per row"),
        ([0, 2], GOOD, "E_LABELS", "[0, 2)"),
        ([-1, 1], GOOD, "E_LABELS", "[0, 2)"),
        ([0.0, 1.0], GOOD, "E_LABELS", "integer"),
    ],
)
def test_bad_inputs_are_refused_with_a_code(
    labels: list[float], probs: NDArray, code: str, words: str
) -> None:
    for call in (find_label_issues, confident_joint):
        with pytest.raises(EvaluationError) as caught:
            call(labels, probs)
        assert caught.value.code == code
        assert words in str(caught.value)


@pytest.mark.parametrize(
    "options",
    [
        {"filter_by": "prune_by_magic"},
        {"rank_by": "loudness"},
        {"frac_noise": 1.5},
        {"frac_noise": -0.1},
        {"min_examples_per_class": -1},
    ],
)
def test_bad_options_are_refused(options: dict[str, object]) -> None:
    with pytest.raises(EvaluationError) as caught:
        find_label_issues([0, 1], GOOD, **options)  # type: ignore[arg-type]
    assert caught.value.code == "E_OPTIONS"
    assert isinstance(caught.value, ValueError)
