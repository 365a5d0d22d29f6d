"""Benchmark: synsetdb's WebDataset loader vs a torchvision-style ImageFolder and the decode limit.

The same N distinct ImageNet-like JPEGs (5,000 by default; the ingest
benchmark's images: real photographs, mostly 500x375, quality 75-96; see
``_loader_data.py``) become 3x224x224 ``torch.uint8`` tensors (shorter side to
256, centre crop 224), in fresh processes and in the same run:

- (a) synsetdb: ``WebDatasetShards`` over the shards written by synsetdb's
  WebDataset exporter (about 32 MB each, a multiple of the workers), shuffle
  buffer 1,000, decoding with ``DraftResize(224, resize=256)`` (draft decode:
  DCT scaling where the image allows it, which a 500x375 JPEG does not for a
  256 shorter side; then only the crop's pixels are resampled, by torch's
  antialiased uint8 kernel), through a ``DataLoader`` with 2 workers and
  batches of 64; once more with Pillow resampling the crop
  (``DraftResize(..., tensor=False)``), for information;
- (b) the peer: what a torchvision user without draft decoding runs over the
  same files as an ImageFolder tree: ``ImageFolder`` + ``Resize(256)``,
  ``CenterCrop(224)``, ``PILToTensor()`` (reproduced with the same PIL calls:
  torchvision has no CPU build here), shuffled, 2 workers, batches of 64;
- (c) the decode limit: the same ``DraftResize`` as (a) on every file in a
  pool of P processes (P = the cores), no DataLoader, no shards.

Throughput is samples per second over the wall time of one epoch (worker or
pool start-up included, interpreter start and imports not), after every file
was read once so that the page cache holds both copies; with several rounds,
each side's best round counts. CPU seconds of each run's processes are
reported to show where time goes. Correctness is checked on every run: each
side yields exactly N samples, each once, with the label of its class folder
(sorted wnids on both sides), as 3x224x224 uint8 tensors.

Goals (issue 5, 2 workers): (a) >= 2x (b), and (a) >= 0.80x (c).

Usage:
    python bench/loader.py            # full: 5,000 images, 2 rounds; exit 1 on a missed goal
    python bench/loader.py --quick    # 300 images, 1 round; exit 1 only if a check fails
    python bench/loader.py --json     # only the JSON summary on stdout
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _loader_data import LoaderData, prepare, warm
from _measure import Row, check_notes, format_table, log, print_table_and_notes, summary
from taxonomy import machine

BENCH = Path(__file__).resolve().parent
FOLDER_GOAL = 2.0
LIMIT_GOAL = 0.80


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much work each measurement does."""

    images: int
    rounds: int


FULL = Sizes(images=5_000, rounds=2)
QUICK = Sizes(images=300, rounds=1)


@dataclass(frozen=True, slots=True)
class Tuning:
    """The loaders' settings (the same on every side where they apply)."""

    workers: int  # DataLoader workers, (a) and (b)
    batch: int  # DataLoader batch size
    buffer: int  # (a)'s shuffle buffer, samples
    processes: int  # (c)'s pool


# ----------------------------------------------------------------------------- runs


def call(request: dict[str, Any]) -> dict[str, Any]:
    """One measured run in a fresh process (``_loader_work.py``); its JSON result."""
    os.sync()
    proc = subprocess.run(
        [sys.executable, str(BENCH / "_loader_work.py")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=BENCH,
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"_loader_work.py failed (exit {proc.returncode}):\n{proc.stderr[-5000:]}"
        )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def requests(data: LoaderData, tuning: Tuning) -> dict[str, dict[str, Any]]:
    """Each side's request, by name."""
    loader = {"workers": tuning.workers, "batch": tuning.batch}
    shards = {"mode": "shards", "root": str(data.shards), "buffer": tuning.buffer, **loader}
    limit = {"mode": "limit", "root": str(data.folder), "processes": tuning.processes}
    return {
        "limit": limit,
        "shards": {**shards, "resample": "torch"},
        "folder": {"mode": "folder", "root": str(data.folder), **loader},
        "shards_pil": {**shards, "resample": "pil"},
    }


def measure(sizes: Sizes, tuning: Tuning) -> dict[str, Any]:
    """Every side, ``sizes.rounds`` times, and the checks; the raw results."""
    data = prepare(sizes.images, shard_multiple=tuning.workers)
    warm(data)
    load_start = list(os.getloadavg())  # the machine is shared: say how busy it was
    runs: dict[str, list[dict[str, Any]]] = {}
    checks: dict[str, list[str]] = {}
    for r in range(1, sizes.rounds + 1):
        log(f"round {r} of {sizes.rounds}: {sizes.images:,} images")
        for name, request in requests(data, tuning).items():
            result = call(request)
            problems = _problems(result, data)
            checks.setdefault(name, []).extend(f"round {r}: {p}" for p in problems)
            result.pop("labels", None)  # checked; too long for the summary
            runs.setdefault(name, []).append(result)
            rate = f"{result['items_per_s']:.0f}/s"
            log(f"  {name}: {result['items']:,} in {result['wall_s']:.2f} s = {rate}")
    return {
        "sizes": asdict(sizes),
        "tuning": asdict(tuning),
        "machine": machine(),
        "load_average": {"start": load_start, "end": list(os.getloadavg())},
        "images": {
            "count": data.count,
            "mean_kb": data.total_bytes / data.count / 1e3,
            "folder": str(data.folder),
            "shards": str(data.shards),
            "shard_count": data.shard_count,
        },
        "runs": runs,
        "checks": checks,
    }


def _problems(result: dict[str, Any], data: LoaderData) -> list[str]:
    """What a run got wrong: counts, duplicates, labels, tensor shapes."""
    out = []
    if result["items"] != data.count or result["expected_len"] != data.count:
        out.append(
            f"{result['items']} samples (len {result['expected_len']}), expected {data.count}"
        )
    if "decoded" in result and result["decoded"] != data.count:
        out.append(f"{result['decoded']} tensors of the right shape, expected {data.count}")
    if "labels" in result:
        wrong = sum(data.labels.get(k) != v for k, v in result["labels"].items())
        missing = len(data.labels.keys() - result["labels"].keys())
        out += [
            f"{n} {what}"
            for n, what in ((wrong, "wrong labels"), (missing, "samples never seen"))
            if n
        ]
        out += [f"{result[k]} {k}" for k in ("duplicates", "bad_batches") if result[k]]
    return out


# ----------------------------------------------------------------------------- report


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the highest throughput."""
    return max(runs, key=lambda r: r["items_per_s"])


def _rate(r: dict[str, Any]) -> str:
    return f"{r['items_per_s']:.0f} ({r['wall_s']:.1f} s)"


def _cpu(r: dict[str, Any]) -> float:
    """CPU seconds per sample of the run's processes (the measuring one and its children)."""
    return float(r["self_cpu_s"] + r["children_cpu_s"]) / int(r["items"])


def _cpu_ms(r: dict[str, Any]) -> str:
    return f"{_cpu(r) * 1e3:.2f}"


def _goal(key: str, measure: str, ours: dict[str, Any], ref: dict[str, Any], goal: float) -> Row:
    ratio = ours["items_per_s"] / ref["items_per_s"]
    return Row(key, measure, _rate(ours), _rate(ref), ratio, f">= {goal:.2f}x", ratio >= goal)


def _info(key: str, measure: str, ours: dict[str, Any], ref: dict[str, Any]) -> Row:
    ratio = ours["items_per_s"] / ref["items_per_s"]
    return Row(key, measure, _rate(ours), _rate(ref), ratio, "", None)


def build_rows(r: dict[str, Any]) -> list[Row]:
    """The results table, from the raw measurements."""
    b = {name: best(runs) for name, runs in r["runs"].items()}
    n = r["sizes"]["images"]
    cpu = " / ".join(_cpu_ms(b[k]) for k in ("shards", "folder", "limit"))
    rows = [
        _goal(
            "shards_vs_folder",
            f"(a) shards vs (b) ImageFolder peer, samples/s ({n:,})",
            b["shards"],
            b["folder"],
            FOLDER_GOAL,
        ),
        _goal(
            "shards_vs_limit",
            "(a) shards vs (c) decode limit, samples/s",
            b["shards"],
            b["limit"],
            LIMIT_GOAL,
        ),
        _info(
            "pil_vs_folder",
            "(a) with Pillow resampling the crop vs (b), samples/s",
            b["shards_pil"],
            b["folder"],
        ),
        _info("limit_vs_folder", "(c) decode limit vs (b), samples/s", b["limit"], b["folder"]),
        Row(
            "cpu_folder_vs_shards",
            "CPU per sample, all processes: (b) / (a) (less sensitive to other load)",
            f"{_cpu_ms(b['shards'])} ms",
            f"{_cpu_ms(b['folder'])} ms",
            _cpu(b["folder"]) / _cpu(b["shards"]),
            "",
            None,
        ),
        Row(
            "cpu_per_sample",
            "CPU ms per sample, all processes: (a) / (b) / (c)",
            cpu,
            "",
            None,
            "",
            None,
        ),
    ]
    for side, problems in r["checks"].items():
        rows.append(
            Row(
                f"check_{side}",
                f"{side}: {n:,} samples once, labels, 3x224x224 uint8",
                f"{len(problems)} problems" if problems else "all",
                "",
                None,
                "each round",
                not problems,
            )
        )
    return rows


def per_round(runs: dict[str, list[dict[str, Any]]], ours: str, ref: str) -> list[float]:
    """``ours / ref`` throughput in each round: less exposed to load that comes and goes."""
    pairs = zip(runs[ours], runs[ref], strict=True)
    return [a["items_per_s"] / b["items_per_s"] for a, b in pairs]


def notes(r: dict[str, Any], quick: bool) -> list[str]:
    """What the table's numbers mean."""
    t, img = r["tuning"], r["images"]
    out = [
        f"images: {img['count']:,} distinct JPEGs, mean {img['mean_kb']:.0f} kB, mostly 500x375;"
        f" ImageFolder tree {img['folder']}; {img['shard_count']} shards in {img['shards']}.",
        "samples/s over one epoch's wall time (worker or pool start-up included), best of"
        f" {r['sizes']['rounds']} round(s); seconds in brackets. ratio: synsetdb / reference.",
        f"(a), (b): DataLoader num_workers={t['workers']}, batch_size={t['batch']}; (a) shuffle"
        f" buffer {t['buffer']}, (b) shuffle=True. (c): a pool of {t['processes']} processes.",
        f"load average (1 min) at the start and end: {r['load_average']['start'][0]:.2f},"
        f" {r['load_average']['end'][0]:.2f} (other work on the machine shares its cores).",
        "the same ratios within each round (sides measured back to back): (a)/(b) "
        + ", ".join(f"{x:.2f}x" for x in per_round(r["runs"], "shards", "folder"))
        + "; (a)/(c) "
        + ", ".join(f"{x:.2f}x" for x in per_round(r["runs"], "shards", "limit"))
        + ".",
    ]
    if quick:
        out.append("--quick: the speed goals are reported but not enforced.")
    return out + check_notes(r["checks"])


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="300 images, 1 round; enforce only checks")
    p.add_argument("--json", action="store_true", help="print only the JSON summary")
    p.add_argument("--images", type=int, help="N (full: 5,000)")
    p.add_argument("--rounds", type=int, help="repeats of each measurement (full: 2)")
    p.add_argument("--workers", type=int, default=2, help="DataLoader workers (2)")
    p.add_argument("--batch", type=int, default=64, help="DataLoader batch size (64)")
    p.add_argument("--buffer", type=int, default=1000, help="(a)'s shuffle buffer (1,000)")
    p.add_argument(
        "--processes", type=int, default=os.cpu_count() or 1, help="(c)'s pool (all cores)"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when the goals hold (in --quick: when every check passes)."""
    args = parse_args(argv)
    base = QUICK if args.quick else FULL
    sizes = Sizes(images=args.images or base.images, rounds=args.rounds or base.rounds)
    tuning = Tuning(args.workers, args.batch, args.buffer, args.processes)
    results = measure(sizes, tuning)
    rows = build_rows(results)
    report = summary("loader", results, rows, args.quick)
    if not args.json:
        print(
            f"loader: synsetdb WebDatasetShards vs a torchvision-style ImageFolder and the"
            f" decode limit, {report['mode']} run\n"
        )
        print_table_and_notes(format_table(rows), notes(results, args.quick))
    print(json.dumps(report))
    return 0 if (report["correct"] if args.quick else report["passed"]) else 1


if __name__ == "__main__":
    sys.exit(main())
