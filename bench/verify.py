"""Benchmark: crowd verification on a simulated crowd, and Dawid–Skene against crowd-kit.

1. Labelling cost. Five ``synsetdb.verify.simulate.SimulatedCrowd``s with
   their defaults (20 synsets from easy to hard, 1,000 candidates each, 10%
   true positives, 500 workers of Beta-distributed accuracy, 10% spammers),
   whose workers first answer 20 hidden controls each: those
   ``synsetdb.verify.quality.assess_workers`` flags are kept out of the pool
   for every strategy alike. Every strategy reads the same votes (the j-th
   vote on a candidate is always the same worker's same answer); the rows
   pool the five crowds:
   - fixed 10-vote majority (ties rejected);
   - the same fixed 10 votes read through each synset's confidence table,
     accepted at dynamic consensus's threshold: a fixed budget held to the
     same precision;
   - Dawid–Skene on a fixed 5 votes per candidate;
   - ImageNet's dynamic consensus with ``ConsensusConfig()``'s defaults;
   - the oracle bound: dynamic consensus told each vote's true likelihood
     ratio, the best any strategy could read from these votes.
   Goal (issue 4): dynamic consensus at <= 50% of the fixed-10 cost, with
   precision >= 99.7% and recall no worse than fixed-10's at that precision.
2. Dawid–Skene speed: ``synsetdb.verify.DawidSkene`` against crowd-kit's
   ``DawidSkene`` on the same 1,000,000 binary votes (100,000 tasks, 1,000
   workers, 10 votes each), both with at most 100 EM iterations and their own
   default tolerance. Goal: >= 10x faster, the same label on >= 99.9% of tasks.
3. Load: 50 simulated workers sign in and label through the real app
   (``synsetdb verify serve`` in its own process on 127.0.0.1) for 60 s, on
   SQLite and on a PostgreSQL server started for the run (``_verify_load.py``).
   Reported: requests/s and p95 latency. Goal: 0 lost votes, 0 server errors.

crowd-kit is never a project dependency: it lives in a throwaway virtualenv
(``bench/.venv-crowdkit``, made by ``--prepare`` or a full run) and runs there
in a subprocess (``_verify_crowdkit.py``).

Usage:
    python bench/verify.py             # full run; exit 1 if a goal fails
    python bench/verify.py --quick     # small sizes; exit 1 only if a check fails
    python bench/verify.py --prepare   # only make the crowd-kit venv
    python bench/verify.py --json      # only the JSON summary

Exit status 2 means the set-up failed (no venv and it could not be made).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from _measure import log, print_table_and_notes, text_table, verdict
from _nltk_env import BenchError
from _peer_venv import PeerVenv
from taxonomy import machine

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-crowdkit"
CROWDKIT_VERSION = "1.4.1"
PREPARE = "python bench/verify.py --prepare"
CONTROLS = 20  # hidden controls each simulated worker answers before voting
CROWD_SEEDS = (2009, 2010, 2011, 2012, 2013)  # part 1 pools five simulated crowds
# part 1's strategies, in compare_strategies' order
MAJORITY, FIXED_TABLE, DAWID_SKENE, DYNAMIC, ORACLE = range(5)


@dataclass(frozen=True, slots=True)
class Sizes:
    synset_scale: int  # part 1: candidates per synset, in thousands
    ds_tasks: int  # part 2
    ds_workers: int
    ds_votes_per_task: int
    load_workers: int  # part 3
    load_seconds: float
    load_candidates: int  # per synset, ten synsets
    load_backends: tuple[str, ...]


FULL = Sizes(1, 100_000, 1_000, 10, 50, 60.0, 2_000, ("sqlite", "postgres"))
QUICK = Sizes(0, 2_000, 100, 10, 5, 3.0, 200, ("sqlite",))


PEER = PeerVenv(VENV, f"crowd-kit=={CROWDKIT_VERSION}", "crowdkit", PREPARE)
require_venv = PEER.require
ensure_venv = PEER.ensure


# ----------------------------------------------------------------------------- part 1


def labelling_cost(scale: int) -> dict[str, Any]:
    """The strategies on simulated crowds, pooled (``scale`` 0: one small crowd for --quick)."""
    from synsetdb.verify import ConfidenceTable
    from synsetdb.verify.simulate import (
        CrowdConfig,
        SimulatedCrowd,
        SynsetSpec,
        compare_strategies,
        default_synsets,
        pool,
    )

    seeds: tuple[int, ...] = CROWD_SEEDS
    if scale:
        synsets = default_synsets(scale)
    else:
        synsets, seeds = [SynsetSpec("easy", 500, 0.0), SynsetSpec("hard", 500, 0.4)], (2009,)
    per_seed, crowds = [], []
    tables: dict[str, ConfidenceTable] = {}
    for seed in seeds:
        crowd = SimulatedCrowd(synsets, CrowdConfig(controls=CONTROLS), seed=seed)
        outcomes, fitted = compare_strategies(crowd, seed=seed)
        per_seed.append(outcomes)
        tables = tables or fitted  # the first crowd's tables, as an example
        crowds.append(
            {
                "seed": seed,
                "true_share": float(crowd.truth.mean()),
                "spammers": int((crowd.kind != "diligent").sum()),
                "excluded": int(crowd.excluded.sum()),
                "excluded_spammers": int((crowd.excluded & (crowd.kind != "diligent")).sum()),
                "dynamic": asdict(outcomes[DYNAMIC]),
            }
        )
    pooled = [pool([outcomes[i] for outcomes in per_seed]) for i in range(len(per_seed[0]))]
    n = pooled[0].candidates
    return {
        "candidates": n,
        "crowds": crowds,
        "synsets": len(synsets),
        "workers": CrowdConfig().workers,
        "control_votes_per_candidate": CONTROLS * CrowdConfig().workers * len(seeds) / n,
        "outcomes": [asdict(o) for o in pooled],
        "tables": {name: asdict(t) for name, t in tables.items()},
    }


# ----------------------------------------------------------------------------- part 2


def ds_speed(sizes: Sizes, python: Path) -> dict[str, Any]:
    """Ours and crowd-kit's Dawid–Skene on the same votes: time and agreement."""
    from synsetdb.verify import DawidSkene
    from synsetdb.verify.simulate import CrowdConfig, SimulatedCrowd, SynsetSpec

    per_synset = sizes.ds_tasks // 20
    synsets = [SynsetSpec(f"s{i}", per_synset, d) for i, d in enumerate(np.linspace(0, 0.5, 20))]
    config = CrowdConfig(workers=sizes.ds_workers, max_votes=sizes.ds_votes_per_task)
    votes = SimulatedCrowd(synsets, config, seed=1979).fixed_votes(sizes.ds_votes_per_task)
    started = time.perf_counter()
    ours = DawidSkene().fit(votes)
    our_wall = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        npz, labels_out = Path(tmp) / "votes.npz", Path(tmp) / "labels.npy"
        np.savez(npz, task=votes.task, worker=votes.worker, label=votes.label)
        request = {"votes": str(npz), "n_iter": 100, "tol": 1e-5, "labels_out": str(labels_out)}
        done = subprocess.run(
            [str(python), str(BENCH / "_verify_crowdkit.py")],
            input=json.dumps(request),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"crowd-kit's run failed: {done.stderr.strip()[-2000:]}")
        theirs = json.loads(done.stdout)
        their_labels = np.load(labels_out)
    agreement = float((ours.labels_ == their_labels).mean())
    return {
        "votes": len(votes),
        "tasks": votes.n_tasks,
        "workers": votes.n_workers,
        "ours_s": our_wall,
        "ours_iterations": ours.n_iter_,
        "crowdkit_s": theirs["wall_s"],
        "crowdkit_iterations": theirs["iterations"],
        "crowdkit_version": theirs["version"],
        "agreement": agreement,
    }


# ----------------------------------------------------------------------------- report


def load(sizes: Sizes) -> list[dict[str, Any]]:
    """Part 3 on each backend."""
    from _verify_load import run_load

    return [
        run_load(backend, sizes.load_workers, sizes.load_seconds, sizes.load_candidates)
        for backend in sizes.load_backends
    ]


def goals(
    cost: dict[str, Any], speed: dict[str, Any], loads: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    outcomes = cost["outcomes"]
    fixed, dynamic = outcomes[FIXED_TABLE], outcomes[DYNAMIC]
    cost_ratio = dynamic["votes_per_candidate"] / fixed["votes_per_candidate"]
    load_goals = {
        f"load_{r['backend']}": {
            "value": r["lost_votes"] + r["server_errors"],
            "goal": "0 lost votes, 0 server errors",
            "passed": r["lost_votes"] == 0 and r["server_errors"] == 0 and r["batches"] > 0,
        }
        for r in loads
    }
    judged = {
        "dynamic_cost": {"value": cost_ratio, "goal": "<= 0.50", "passed": cost_ratio <= 0.5},
        "dynamic_precision": {
            "value": dynamic["precision"],
            "goal": ">= 0.997",
            "passed": dynamic["precision"] >= 0.997,
        },
        "dynamic_recall": {
            "value": dynamic["recall"] - fixed["recall"],
            "goal": ">= 0 (vs fixed 10 at the same precision)",
            "passed": dynamic["recall"] >= fixed["recall"],
        },
        "ds_speed": {
            "value": speed["crowdkit_s"] / speed["ours_s"],
            "goal": ">= 10x",
            "passed": speed["crowdkit_s"] / speed["ours_s"] >= 10,
        },
        "ds_agreement": {
            "value": speed["agreement"],
            "goal": ">= 0.999",
            "passed": speed["agreement"] >= 0.999,
        },
    }
    return judged | load_goals


def print_report(
    cost: dict[str, Any], speed: dict[str, Any], loads: list[dict[str, Any]], judged: dict[str, Any]
) -> None:
    print("verify: labelling cost on a simulated crowd, and Dawid-Skene against crowd-kit\n")
    rows = [["strategy", "votes/candidate", "precision", "recall", "accepted", "undecided"]]
    for o in cost["outcomes"]:
        rows.append(
            [
                o["strategy"],
                f"{o['votes_per_candidate']:.2f}",
                f"{o['precision']:.4f}",
                f"{o['recall']:.4f}",
                f"{o['accepted']:,}",
                f"{o['undecided']:,}",
            ]
        )
    print(text_table(rows), end="\n\n")
    rows = [
        [
            "load",
            "workers",
            "seconds",
            "requests/s",
            "p95 ms",
            "median ms",
            "batches",
            "votes stored",
            "lost",
            "5xx",
        ]
    ]
    for r in loads:
        rows.append(
            [
                r["backend"],
                str(r["workers"]),
                f"{r['seconds']:.0f}",
                f"{r['requests_per_s']:.0f}",
                f"{r['p95_ms']:.0f}",
                f"{r['median_ms']:.0f}",
                f"{r['batches']:,}",
                f"{r['votes_stored']:,}",
                str(r["lost_votes"]),
                str(r["server_errors"]),
            ]
        )
    print(text_table(rows), end="\n\n")
    rows = [["goal", "value", "goal", "result"]]
    for key, g in judged.items():
        rows.append([key, f"{g['value']:.4f}", g["goal"], verdict(g["passed"])])
    notes = [
        f"crowds: {len(cost['crowds'])} x {cost['candidates'] // len(cost['crowds']):,} "
        f"candidates in {cost['synsets']} synsets, {cost['workers']} workers each; "
        f"{CONTROLS} controls per worker screened out "
        + ", ".join(
            f"{c['excluded']} ({c['excluded_spammers']} of {c['spammers']} spammers)"
            for c in cost["crowds"]
        )
        + f" workers, costing {cost['control_votes_per_candidate']:.2f} votes per candidate "
        "on top of each strategy's (not counted in the table); rows pool the crowds.",
        "dynamic consensus per crowd (votes/candidate, precision, recall): "
        + "; ".join(
            f"{c['dynamic']['votes_per_candidate']:.2f}, {c['dynamic']['precision']:.4f}, "
            f"{c['dynamic']['recall']:.3f}"
            for c in cost["crowds"]
        ),
        "recall against plain fixed-10 majority (which does not reach the precision): "
        f"{cost['outcomes'][DYNAMIC]['recall'] - cost['outcomes'][MAJORITY]['recall']:+.3f}; "
        f"the oracle bound's recall: {cost['outcomes'][ORACLE]['recall']:.4f}.",
        f"Dawid-Skene: {speed['votes']:,} votes on {speed['tasks']:,} tasks by "
        f"{speed['workers']:,} workers; synsetdb {speed['ours_s']:.2f} s "
        f"({speed['ours_iterations']} iterations), crowd-kit {speed['crowdkit_version']} "
        f"{speed['crowdkit_s']:.2f} s ({speed['crowdkit_iterations']} iterations); "
        f"same label on {speed['agreement']:.4%} of tasks.",
        "machine: {cpus} cores, {memory_gib} GiB, Python {python}".format(**machine()),
    ]
    print_table_and_notes(text_table(rows), notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes; enforce only checks")
    parser.add_argument("--prepare", action="store_true", help="only make the crowd-kit venv")
    parser.add_argument("--json", action="store_true", help="print only the JSON summary")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    try:
        if args.prepare:
            print(f"bench/verify: ready: crowd-kit at {ensure_venv()}")
            return 0
        python = require_venv() if args.quick else ensure_venv()  # --quick never installs
        log("part 1: labelling cost on the simulated crowd")
        cost = labelling_cost(sizes.synset_scale)
        log("part 2: Dawid-Skene, synsetdb and crowd-kit")
        speed = ds_speed(sizes, python)
        log(f"part 3: {sizes.load_workers} workers on the app, {sizes.load_seconds:.0f} s each")
        loads = load(sizes)
    except BenchError as e:
        print(f"bench/verify: set-up failed: {e}", file=sys.stderr)
        return 2
    judged = goals(cost, speed, loads)
    checks_ok = (
        speed["agreement"] >= 0.99
        and all(o["accepted"] > 0 for o in cost["outcomes"])
        and all(g["passed"] for k, g in judged.items() if k.startswith("load_"))
    )
    report = {
        "bench": "verify",
        "mode": "quick" if args.quick else "full",
        "passed": all(g["passed"] for g in judged.values()),
        "checks_ok": checks_ok,
        "goals": judged,
        "labelling": cost,
        "dawid_skene": speed,
        "load": loads,
        "machine": machine(),
    }
    if not args.json:
        print_report(cost, speed, loads, judged)
    print(json.dumps(report))
    return 0 if (checks_ok if args.quick else report["passed"]) else 1


if __name__ == "__main__":
    sys.exit(main())
