"""Benchmark: the audit's checks, against a peer where one exists.

Part ``labels`` (issue 14): label issues by confident learning,
``synsetdb.audit.confident.find_label_issues`` against cleanlab's
``cleanlab.filter.find_label_issues``, both with ``filter_by=
"prune_by_noise_rate"`` and ranked by self-confidence, on the same simulated
out-of-sample probabilities. The simulation has ImageNet validation's shape
(50,000 images, 50 of each of 1,000 classes; ``--quick``: 2,000 x 50) and a
classifier of ImageNet-like top-1 accuracy (76%): classes are prototypes in a
64-dimensional feature space, in families of 5 confusable classes that lie
close together; an image's features are its class's prototype plus Gaussian
noise of an image-dependent size (log-normal: some images are hard), and its
probabilities are the posterior over classes given them, sharpened by a
softmax temperature to a mean top probability of 0.80 (a mildly over-confident
model, sure of easy images, torn within a family on hard ones). Then 5.83% of
the given labels (the share of errors estimated in ImageNet's validation set)
are moved to another class of the same family. Measured: precision and recall
of each side's flags against the planted errors, agreement (Jaccard of the two
sets of flags; the order of the flags both found; and, as a diagnostic, the
Jaccard when our pruning is given cleanlab's own rounded ``n * Q̂``: rounding
to whole samples has many ties between equal remainders, which each side
breaks its own way), and the wall time of each call (best of three; cleanlab
with its default ``n_jobs``, all cores). Goals: precision and recall at least
cleanlab's, >= 99% the same flags (Jaccard), >= 5x faster. Our other filters
are reported for information.

Part ``registry`` (``_audit_registry.py``): the whole registry of checks, on
the catalog and on a release, on bench/explore.py's synthetic ImageNet-21k
catalog at 100,000 and 1,000,000 images (``--quick``: 2,000 and 20,000), each
run in a fresh process for its own peak RSS. Goals at 1,000,000 images: under
60 s per scope, and peak RSS at most 1.5x the smaller catalog's (memory flat).

cleanlab is never a project dependency: it lives in a throwaway virtualenv
(``bench/.venv-cleanlab``, made by ``--prepare`` or a full run) and runs there
in a subprocess (``_audit_cleanlab.py``) on the same arrays, saved as .npy.

Usage:
    python bench/audit.py                  # every part, full sizes; exit 1 if a goal fails
    python bench/audit.py --part labels    # one part
    python bench/audit.py --quick          # small sizes; exit 1 only if a check fails
    python bench/audit.py --prepare        # only make the cleanlab venv
    python bench/audit.py --json           # only the JSON summary

``--quick`` never installs: without the cleanlab venv it says so and skips the
comparison. Exit status 2 means the set-up failed (a full run without the venv
that could not make it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from _audit_registry import bench_registry, print_registry
from _measure import log, print_table_and_notes, text_table, verdict
from _nltk_env import BenchError
from _peer_venv import PeerVenv
from taxonomy import machine

BENCH = Path(__file__).resolve().parent
CLEANLAB_VERSION = "2.9.0"
PEER = PeerVenv(
    BENCH / ".venv-cleanlab",
    f"cleanlab=={CLEANLAB_VERSION}",
    "cleanlab",
    "python bench/audit.py --prepare",
)
FILTER, RANK = "prune_by_noise_rate", "self_confidence"
REPEATS = 3  # calls timed on each side; the best counts


@dataclass(frozen=True, slots=True)
class Simulation:
    """ImageNet-like out-of-sample predictions and labels with planted errors."""

    images: int
    classes: int
    family: int = 5  # confusable classes per family (the true class among them)
    accuracy: float = 0.76  # top-1 of the simulated classifier
    overconfidence: float = 0.04  # its mean top probability less its accuracy
    error_rate: float = 0.0583  # share of given labels moved to a confusable class
    dims: int = 64  # of the features the classifier sees
    seed: int = 2012


FULL = Simulation(50_000, 1_000)
QUICK = Simulation(2_000, 50)
FIT_ROWS = 10_000  # accuracy and temperature are fitted on this many images


# ----------------------------------------------------------------------------- simulation


@dataclass(frozen=True, slots=True)
class _World:
    """Class prototypes in feature space, and each image's class, noise and hardness."""

    prototypes: NDArray[np.float32]  # (classes, dims): a family's classes lie close together
    families: NDArray[np.int64]  # (families, family): the classes of each family
    truth: NDArray[np.int64]
    noise: NDArray[np.float32]  # (images, dims), standard normal
    hardness: NDArray[np.float32]  # per image, a factor on the noise (blur, clutter)

    def logits(self, scale: float, rows: slice = slice(None)) -> NDArray[np.float32]:
        """Log-posteriors (up to a constant) of each class given each image's features."""
        sigma = scale * self.hardness[rows]
        features = self.prototypes[self.truth[rows]] + sigma[:, None] * self.noise[rows]
        half = (self.prototypes**2).sum(axis=1) / 2
        z: NDArray[np.float32] = (features @ self.prototypes.T - half) / (sigma**2)[:, None]
        return z


def simulate(sim: Simulation) -> tuple[NDArray[np.int64], NDArray[np.float32], NDArray[np.int64]]:
    """Given labels, predicted probabilities (float32, as models give them) and true labels.

    Each image's features are its class's prototype plus Gaussian noise of an
    image-dependent size, and its probabilities are the exact posterior over
    classes given the features: calibrated by construction, sure where the
    image is easy, torn between a family's classes where it is hard. The noise
    is scaled to the wanted accuracy and the posterior then sharpened (a
    softmax temperature below 1) to the wanted over-confidence.
    """
    world = _world(sim)
    fit = slice(0, FIT_ROWS)
    scale = _bisect(lambda s: _top1(world.logits(s, fit), world.truth[fit]), sim.accuracy)
    logits = world.logits(scale)
    confident = sim.accuracy + sim.overconfidence
    temperature = _bisect(lambda t: _softmax(logits[fit], t).max(axis=1).mean(), confident)
    probs = _softmax(logits, temperature)
    return _corrupt(world, sim), probs, world.truth


def _world(sim: Simulation) -> _World:
    rng = np.random.default_rng(sim.seed)
    families = rng.permutation(sim.classes).reshape(-1, sim.family)
    family_of = np.empty(sim.classes, dtype=np.int64)
    family_of[families] = np.arange(len(families))[:, None]
    centres = rng.normal(0.0, 1.0, (len(families), sim.dims))
    spread = rng.normal(0.0, 0.35, (sim.classes, sim.dims))
    return _World(
        prototypes=(centres[family_of] + spread).astype(np.float32),
        families=families,
        truth=rng.permutation(np.repeat(np.arange(sim.classes), sim.images // sim.classes)),
        noise=rng.standard_normal((sim.images, sim.dims), dtype=np.float32),
        hardness=np.exp(rng.normal(0.0, 0.5, sim.images)).astype(np.float32),
    )


def _corrupt(world: _World, sim: Simulation) -> NDArray[np.int64]:
    """The given labels: ``error_rate`` of them moved to another class of the true one's family."""
    rng = np.random.default_rng(sim.seed + 1)
    labels = world.truth.copy()
    family_of = np.empty(sim.classes, dtype=np.int64)
    family_of[world.families] = np.arange(len(world.families))[:, None]
    for i in rng.choice(sim.images, round(sim.error_rate * sim.images), replace=False):
        kin = world.families[family_of[labels[i]]]
        labels[i] = rng.choice(kin[kin != labels[i]])
    return labels


def _top1(logits: NDArray[np.float32], truth: NDArray[np.int64]) -> float:
    return float((logits.argmax(axis=1) == truth).mean())


def _bisect(measure: Callable[[float], float], target: float) -> float:
    """The x in [0.01, 100] where the decreasing ``measure(x)`` crosses ``target``."""
    low, high = 0.01, 100.0
    for _ in range(24):  # to 1e-6 relative
        middle = (low * high) ** 0.5
        low, high = (middle, high) if measure(middle) > target else (low, middle)
    return (low * high) ** 0.5


def _softmax(logits: NDArray[np.float32], temperature: float) -> NDArray[np.float32]:
    z = logits / np.float32(temperature)
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


# ----------------------------------------------------------------------------- part: labels


def _best_time(run: Callable[[], Any]) -> tuple[Any, float, float]:
    """The result, and the best wall and CPU time of ``REPEATS`` calls."""
    walls, cpus, result = [], [], None
    for _ in range(REPEATS):
        started, cpu = time.perf_counter(), time.process_time()
        result = run()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return result, min(walls), min(cpus)


def _scores(flags: NDArray[np.int64], planted: NDArray[np.bool_]) -> dict[str, Any]:
    hits = int(planted[flags].sum())
    return {
        "flags": len(flags),
        "precision": hits / max(len(flags), 1),
        "recall": hits / max(int(planted.sum()), 1),
    }


def _ours(
    labels: NDArray[np.int64], probs: NDArray[np.float32], planted: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], dict[str, float], dict[str, Any], float]:
    """Our flags ranked, the best times, every filter's scores, the estimated noise rate."""
    from synsetdb.audit.confident import FILTERS, find_label_issues

    issues, wall, cpu = _best_time(lambda: find_label_issues(labels, probs, filter_by=FILTER))
    others = {}
    for name in FILTERS:
        started = time.perf_counter()
        flagged = find_label_issues(labels, probs, filter_by=name).ranked  # type: ignore[arg-type]
        others[name] = _scores(flagged, planted) | {"s": time.perf_counter() - started}
    return issues.ranked, {"s": wall, "cpu_s": cpu}, others, issues.noise_rate


def _cleanlab(
    labels: NDArray[np.int64], probs: NDArray[np.float32], python: Path
) -> tuple[dict[str, Any], NDArray[np.int64]]:
    """cleanlab's answer (times, version, its rounded joint) and its flags ranked, from its venv."""
    with tempfile.TemporaryDirectory() as tmp:
        names = ("labels", "pred_probs", "ranked", "joint")
        paths = {name: str(Path(tmp) / f"{name}.npy") for name in names}
        np.save(paths["labels"], labels)
        np.save(paths["pred_probs"], probs)
        request = {
            "labels": paths["labels"],
            "pred_probs": paths["pred_probs"],
            "filter_by": FILTER,
            "rank_by": RANK,
            "repeats": REPEATS,
            "ranked_out": paths["ranked"],
            "joint_out": paths["joint"],
        }
        done = subprocess.run(
            [str(python), str(BENCH / "_audit_cleanlab.py")],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"cleanlab's run failed: {done.stderr.strip()[-2000:]}")
        answer = json.loads(done.stdout) | {"joint": np.load(paths["joint"])}
        return answer, np.load(paths["ranked"])


def _agreement(ours: NDArray[np.int64], theirs: NDArray[np.int64]) -> dict[str, Any]:
    a, b = set(ours.tolist()), set(theirs.tolist())
    both = a & b
    in_ours = [i for i in ours.tolist() if i in both]
    in_theirs = [i for i in theirs.tolist() if i in both]
    same_place = sum(x == y for x, y in zip(in_ours, in_theirs, strict=True))
    return {
        "jaccard": len(both) / max(len(a | b), 1),
        "only_ours": len(a - b),
        "only_cleanlab": len(b - a),
        "same_order": same_place / max(len(both), 1),  # of the flags both found
    }


def bench_labels(quick: bool) -> dict[str, Any]:
    """Part ``labels``: our confident learning against cleanlab's on simulated ImageNet labels."""
    sim = QUICK if quick else FULL
    python = _peer_python(quick)
    log(f"labels: simulating {sim.images:,} x {sim.classes:,} predictions")
    labels, probs, truth = simulate(sim)
    planted = labels != truth
    log("labels: synsetdb")
    ranked, times, others, noise_rate = _ours(labels, probs, planted)
    result: dict[str, Any] = {
        "simulation": _describe(sim, labels, probs, truth, noise_rate),
        "synsetdb": _scores(ranked, planted) | times,
        "synsetdb_filters": others,
        "cleanlab": None,
        "agreement": None,
    }
    if python is not None:
        log("labels: cleanlab (in its venv)")
        answer, theirs = _cleanlab(labels, probs, python)
        result["cleanlab"] = _scores(theirs, planted) | {
            "s": min(answer["walls_s"]),
            "cpu_s": min(answer["cpus_s"]),
            "version": answer["version"],
            "cores": answer["cores"],
        }
        result["agreement"] = _agreement(ranked, theirs) | {
            "jaccard_with_their_counts": _with_their_counts(labels, probs, answer["joint"], theirs)
        }
    result["goals"] = _label_goals(result)
    result["checks"] = _label_checks(result)
    result["checks_ok"] = all(result["checks"].values())
    return result


def _with_their_counts(
    labels: NDArray[np.int64],
    probs: NDArray[np.float32],
    their_joint: NDArray[np.int64],
    theirs: NDArray[np.int64],
) -> float:
    """Jaccard of cleanlab's flags and ours pruned by cleanlab's own rounded ``n * Q̂``.

    A diagnostic (it reaches into the module's private pruning step): it
    separates a difference in pruning from one in rounding the joint, where
    ties between equal remainders are common and each side breaks them its own
    way (cleanlab's fall where NumPy's unstable sort puts them).
    """
    from synsetdb.audit import confident

    cells = their_joint.copy()
    np.fill_diagonal(cells, 0)
    mask = confident._prune_by_noise_rate(labels, probs, cells)
    mask &= probs.argmax(axis=1) != labels
    return _agreement(np.flatnonzero(mask), theirs)["jaccard"]


def _peer_python(quick: bool) -> Path | None:
    """The cleanlab venv's interpreter; in --quick, None (and a message) when it is missing."""
    if not quick:
        return PEER.ensure()
    try:
        return PEER.require()
    except BenchError as e:
        log(f"labels: cleanlab comparison skipped: {e}")
        return None


def _describe(
    sim: Simulation,
    labels: NDArray[np.int64],
    probs: NDArray[np.float32],
    truth: NDArray[np.int64],
    noise_rate: float,
) -> dict[str, Any]:
    top = probs.argmax(axis=1)
    return {
        "images": sim.images,
        "classes": sim.classes,
        "family": sim.family,
        "planted_errors": int((labels != truth).sum()),
        "top1_accuracy": float((top == truth).mean()),
        "top1_vs_given": float((top == labels).mean()),
        "mean_top_probability": float(probs.max(axis=1).mean()),
        "estimated_noise_rate": noise_rate,
        "seed": sim.seed,
    }


def _label_goals(r: dict[str, Any]) -> dict[str, dict[str, Any]]:
    ours, theirs, agree = r["synsetdb"], r["cleanlab"], r["agreement"]
    if theirs is None:
        return {}
    speed = theirs["s"] / ours["s"]
    return {
        "labels_recall": {
            "value": ours["recall"] - theirs["recall"],
            "goal": ">= 0 (vs cleanlab)",
            "passed": ours["recall"] >= theirs["recall"],
        },
        "labels_precision": {
            "value": ours["precision"] - theirs["precision"],
            "goal": ">= 0 (vs cleanlab)",
            "passed": ours["precision"] >= theirs["precision"],
        },
        "labels_same_flags": {
            "value": agree["jaccard"],
            "goal": ">= 0.99 (Jaccard)",
            "passed": agree["jaccard"] >= 0.99,
        },
        "labels_speed": {"value": speed, "goal": ">= 5x", "passed": speed >= 5},
    }


def _label_checks(r: dict[str, Any]) -> dict[str, bool]:
    ours, share = r["synsetdb"], r["simulation"]["planted_errors"] / r["simulation"]["images"]
    checks = {
        "finds half the planted errors": ours["recall"] >= 0.5,
        "precision >= 3x a random pick's": ours["precision"] >= 3 * share,
    }
    if r["agreement"] is not None:
        # raw agreement moves with tie-breaking (see the notes); pruning must match exactly
        checks["cleanlab's flags from cleanlab's counts"] = (
            r["agreement"]["jaccard_with_their_counts"] >= 0.99
        )
    return checks


def print_labels(r: dict[str, Any]) -> None:
    s = r["simulation"]
    print(
        f"audit, labels: confident learning on {s['images']:,} x {s['classes']:,} simulated "
        "predictions, synsetdb and cleanlab\n"
    )
    sides = [("synsetdb", r["synsetdb"])]
    if r["cleanlab"] is not None:
        sides.append((f"cleanlab {r['cleanlab']['version']}", r["cleanlab"]))
    rows = [["prune_by_noise_rate", "flags", "precision", "recall", "wall s", "CPU s"]]
    rows += [
        [
            *(name, f"{x['flags']:,}", f"{x['precision']:.4f}", f"{x['recall']:.4f}"),
            *(f"{x['s']:.3f}", f"{x['cpu_s']:.3f}"),
        ]
        for name, x in sides
    ]
    print(text_table(rows), end="\n\n")
    rows = [["synsetdb filter", "flags", "precision", "recall", "seconds"]]
    rows += [
        [name, f"{x['flags']:,}", f"{x['precision']:.4f}", f"{x['recall']:.4f}", f"{x['s']:.3f}"]
        for name, x in r["synsetdb_filters"].items()
    ]
    print(text_table(rows), end="\n\n")
    rows = [["goal", "value", "goal", "result"]]
    rows += [
        [k, f"{g['value']:.4f}", g["goal"], verdict(g["passed"])] for k, g in r["goals"].items()
    ]
    notes = [
        f"simulation: {s['planted_errors']:,} planted errors; the classifier's top-1 accuracy "
        f"is {s['top1_accuracy']:.2%} (its top-1 is the given label on "
        f"{s['top1_vs_given']:.2%} of images), mean top probability "
        f"{s['mean_top_probability']:.3f}; the estimated noise rate (synsetdb's "
        f"joint) is {s['estimated_noise_rate']:.4f}.",
    ]
    if r["agreement"] is None:
        notes.append(f"cleanlab comparison skipped: no venv (make it with: {PEER.prepare}).")
    else:
        a, c = r["agreement"], r["cleanlab"]
        notes.append(
            f"agreement: Jaccard {a['jaccard']:.4%}; {a['only_ours']} flags only ours, "
            f"{a['only_cleanlab']} only cleanlab's; the flags both found are in the same order "
            f"at {a['same_order']:.2%} of places. Pruned by cleanlab's own rounding of the "
            f"joint, our flags and cleanlab's have Jaccard {a['jaccard_with_their_counts']:.4%} "
            "(100% puts the whole difference in rounding n * Q-hat to whole samples, where "
            "each side breaks ties between equal remainders its own way). Speed: cleanlab "
            f"{c['s'] / r['synsetdb']['s']:.1f}x our time ({c['cores']} cores for cleanlab's "
            f"default n_jobs; ours runs on one); in CPU time (less moved by other load on the "
            f"machine) cleanlab {c['cpu_s']:.3f} s, synsetdb {r['synsetdb']['cpu_s']:.3f} s, "
            f"{c['cpu_s'] / r['synsetdb']['cpu_s']:.1f}x."
        )
    print_table_and_notes(text_table(rows), notes)


# ----------------------------------------------------------------------------- driver


@dataclass(frozen=True)
class Part:
    """One part of the bench: ``run(quick)`` gives results with ``goals`` and ``checks_ok``."""

    run: Callable[[bool], dict[str, Any]]
    show: Callable[[dict[str, Any]], None]


PARTS: dict[str, Part] = {
    "labels": Part(bench_labels, print_labels),
    "registry": Part(bench_registry, print_registry),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=[*PARTS, "all"], default="all", help="which part")
    parser.add_argument("--quick", action="store_true", help="small sizes; enforce only checks")
    parser.add_argument("--prepare", action="store_true", help="only make the cleanlab venv")
    parser.add_argument("--json", action="store_true", help="print only the JSON summary")
    args = parser.parse_args(argv)
    names = list(PARTS) if args.part == "all" else [args.part]
    try:
        if args.prepare:
            print(f"bench/audit: ready: cleanlab at {PEER.ensure()}")
            return 0
        results = {name: PARTS[name].run(args.quick) for name in names}
    except BenchError as e:
        print(f"bench/audit: set-up failed: {e}", file=sys.stderr)
        return 2
    goals = {k: g for r in results.values() for k, g in r["goals"].items()}
    report = {
        "bench": "audit",
        "mode": "quick" if args.quick else "full",
        "date": date.today().isoformat(),
        "passed": all(g["passed"] for g in goals.values()),
        "checks_ok": all(r["checks_ok"] for r in results.values()),
        "goals": goals,
        **results,
        "machine": machine(),
    }
    if not args.json:
        for name, r in results.items():
            PARTS[name].show(r)
        print("machine: {cpus} cores, {memory_gib} GiB, Python {python}".format(**machine()))
    print(json.dumps(report))
    return 0 if (report["checks_ok"] if args.quick else report["passed"]) else 1


if __name__ == "__main__":
    sys.exit(main())
