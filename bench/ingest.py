"""Benchmark: synsetdb's ingest against img2dataset and against the bare decode limit.

The same N distinct JPEGs (5,000 by default, ImageNet-sized, made from
scikit-image's bundled photographs and cached under ``bench/.cache/ingest/``;
see ``_ingest_images.py``) go through, in fresh processes and in the same run:

- (d) the decode limit: ``PIL.Image.open(path).load()`` per file in a pool of
  P forked processes (P = the cores), nothing else;
- (a) ``synsetdb ingest folder`` into a fresh project (a copy of a freshly
  initialised one), with synsetdb's default workers (P + 1, as users run it;
  they also wait on file writes): read, sha256, decode (every
  block entropy-decoded; synsetdb may decode a JPEG at a reduced DCT scale),
  256-px thumbnail, perceptual hash, original and thumbnail written to the
  blob store, catalog rows in batches;
- (b) ``synsetdb ingest urls --allow-private`` on a ``url,wnid`` CSV of the same
  files, served by a static asyncio HTTP server on 127.0.0.1 that runs in its
  own process with every file in memory (``_ingest_server.py``): the download,
  then the same work as (a);
- (c) img2dataset (in the throwaway venv ``bench/.venv-img2dataset``) on the same
  CSV with comparable work: download, sha256, decode, resize to 256 px on the
  longest side (``keep_ratio_largest``, never upscaling, as our thumbnail),
  JPEG encode at quality 85, one file per image (``output_format=files``);
  ``processes_count`` = P and ``thread_count`` tuned on this machine.

Before the rounds, a load generator fetches every URL once over keep-alive
connections to show the server's own capacity, and the server reports its CPU
time during each download run, so it can be seen not to be the bottleneck.

Throughput is images per second over the wall time of the measured call (the
command, the pool or ``img2dataset.download``: pool start-up included on every
side, interpreter start and imports excluded), each run starting after an
``os.sync()`` so that none pays for the previous one's write-back. With several
rounds, each side's best round counts. Ratios are ours / the reference. CPU
seconds of each run's processes (user and kernel) are reported too, to show
where a shortfall comes from. Memory is the peak RSS of the ingest process
itself (the one that reads the source, downloads and writes the catalog; its
worker processes are reported apart), at N and at a smaller size, for folder
and URL ingest. ``--profile`` adds a per-stage split of one process's time
(``_ingest_profile.py``).

Goals (issue 3, on 2 cores): folder ingest >= 0.70x the decode limit, URL
ingest >= 1.5x img2dataset, and memory bounded regardless of input size: the
ingest process's peak at N within 1.25x of its peak at the smaller size.
Correctness is checked on every run: each ingest adds exactly N images (no
duplicates, no rejects, N images in the catalog, N requests served), and
img2dataset reports N successes.

Usage:
    python bench/ingest.py --prepare    # make the img2dataset venv and the image cache; no timing
    python bench/ingest.py --prepare --quick  # the same, only the images --quick needs
    python bench/ingest.py              # full: 5,000 and 1,000 images, 2 rounds; exit 1 on a miss
    python bench/ingest.py --quick      # 300 and 100 images, 1 round; exit 1 only if a check fails
    python bench/ingest.py --profile    # also split one process's time per image by stage
    python bench/ingest.py --json       # only the JSON summary on stdout

Exit status 2 means the set-up failed (no img2dataset venv in --quick: run
``python bench/ingest.py --prepare``; pip could not install it; no photos).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

from _ingest_env import IMG2DATASET_VERSION, ensure_template, ensure_venv, fresh_project
from _ingest_env import require_venv as require_img2dataset
from _ingest_images import CACHE, ImageSet, image_set, warm_page_cache
from _measure import Row, check_notes, format_table, log, print_table_and_notes, summary
from _nltk_env import BenchError
from taxonomy import machine

BENCH = Path(__file__).resolve().parent
RUNS = CACHE / "runs" / str(os.getpid())  # private: a test may run beside a full run
_RUN_NUMBERS = itertools.count(1)

FOLDER_GOAL = 0.70
URLS_GOAL = 1.5
MEMORY_GOAL = 1.25


@dataclass(frozen=True, slots=True)
class Sizes:
    """How much work each measurement does."""

    images: int  # N: the throughput runs, and the larger memory run
    small: int  # the smaller memory run
    rounds: int  # each throughput measurement is repeated; the best counts


FULL = Sizes(images=5_000, small=1_000, rounds=2)
QUICK = Sizes(images=300, small=100, rounds=1)


@dataclass(frozen=True, slots=True)
class Tuning:
    """Process counts and concurrency, the same or tuned per side."""

    processes: int  # decode pool and img2dataset processes_count (ingest uses its default)
    concurrency: int  # ingest urls --concurrency
    per_host: int  # ingest urls --per-host (everything comes from one host here)
    i2d_threads: int  # img2dataset thread_count
    i2d_shard: int  # img2dataset number_sample_per_shard (0: N / (4 P), rounded up)
    load_connections: int  # the server load test's keep-alive connections


# ----------------------------------------------------------------------------- processes


def call(
    python: Path | str, script: str, request: dict[str, Any], env: dict[str, str] | None = None
) -> dict[str, Any]:
    """Run a worker script in a fresh process with a JSON request; return its JSON result.

    ``os.sync()`` first: the previous run's writes and deletions are flushed
    before this one starts, so no run pays for another's write-back.
    """
    os.sync()
    proc = subprocess.run(
        [str(python), str(BENCH / script)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=RUNS,
        env=None if env is None else {**os.environ, **env},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{script} failed (exit {proc.returncode}):\n{proc.stderr[-5000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


class Server:
    """``_ingest_server.py serve ROOT`` in a process of its own, for a ``with`` block."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc: subprocess.Popen[str] | None = None
        self.base = ""

    def __enter__(self) -> Server:
        script = str(BENCH / "_ingest_server.py")
        self.proc = subprocess.Popen(
            [sys.executable, script, "serve", str(self.root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        ready = json.loads(self.proc.stdout.readline() or "{}")
        if "port" not in ready:
            raise RuntimeError("the benchmark's HTTP server did not start")
        self.base = f"http://127.0.0.1:{ready['port']}"
        log(f"serving {ready['files']:,} files at {self.base}")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.close()  # the server stops when its stdin closes
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def stats(self) -> dict[str, float]:
        """Requests and bytes served so far, and the server's CPU seconds."""
        with urllib.request.urlopen(f"{self.base}/__stats", timeout=10) as response:
            stats: dict[str, float] = json.loads(response.read())
        return stats

    def load_test(self, url_list: Path, connections: int) -> dict[str, Any]:
        """The server's own throughput, against a minimal client in another process."""
        script = str(BENCH / "_ingest_server.py")
        cmd = [sys.executable, script, "load", self.base, str(url_list), str(connections)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        result: dict[str, Any] = json.loads(proc.stdout)
        return result


def with_server(server: Server, run: Any) -> dict[str, Any]:
    """Run ``run()`` and add what the server did meanwhile (requests, bytes, CPU)."""
    before = server.stats()
    result: dict[str, Any] = run()
    after = server.stats()
    cpu = after["cpu_s"] - before["cpu_s"]
    result["server"] = {
        "requests": int(after["requests"] - before["requests"]),
        "bytes": int(after["bytes"] - before["bytes"]),
        "cpu_s": cpu,
        "cpu_share": cpu / result["wall_s"],
    }
    return result


# ----------------------------------------------------------------------------- the sides


def run_decode(images: ImageSet, tuning: Tuning) -> dict[str, Any]:
    """(d) the bare decode loop over the set's folder."""
    request = {"mode": "decode", "root": str(images.root), "processes": tuning.processes}
    return call(sys.executable, "_ingest_work.py", request)


def run_ingest(template: Path, args: list[str], name: str) -> dict[str, Any]:
    """``synsetdb ingest …`` into a fresh project (kept until the bench ends: see ``scratch``)."""
    project = fresh_project(template, scratch(name))
    request = {"mode": "ingest", "project": str(project), "args": args}
    return call(sys.executable, "_ingest_work.py", request)


def scratch(name: str) -> Path:
    """A new folder name under RUNS for one run's output; all are deleted when the bench ends.

    Not between runs: deleting thousands of files makes the next file creations
    on ext4 markedly slower for minutes (its inode allocator skips recently
    deleted inodes: creating a blob cost 0.04 ms of kernel time on a quiet
    disk and 0.85 ms just after a 10,000-file delete), which would penalise
    whichever run came next.
    """
    return RUNS / f"{name}-{next(_RUN_NUMBERS)}"


def folder_args(images: ImageSet, tuning: Tuning) -> list[str]:
    """(a) ``synsetdb ingest folder`` arguments."""
    return ["ingest", "folder", str(images.root)]  # synsetdb's default workers (cores + 1)


def urls_args(url_list: Path, tuning: Tuning) -> list[str]:
    """(b) ``synsetdb ingest urls`` arguments."""
    return [
        *("ingest", "urls", str(url_list), "--allow-private"),
        *("--concurrency", str(tuning.concurrency), "--per-host", str(tuning.per_host)),
    ]


def img2dataset_options(count: int, tuning: Tuning) -> dict[str, Any]:
    """(c) keyword arguments of ``img2dataset.download``: work comparable to our ingest."""
    shard = tuning.i2d_shard or math.ceil(count / (4 * tuning.processes))
    return {
        "input_format": "csv",
        "url_col": "url",
        "save_additional_columns": ["wnid"],
        "output_format": "files",
        "image_size": 256,
        "resize_mode": "keep_ratio_largest",
        "resize_only_if_bigger": True,
        "encode_format": "jpg",
        "encode_quality": 85,
        "processes_count": tuning.processes,
        "thread_count": tuning.i2d_threads,
        "number_sample_per_shard": shard,
        "timeout": 10,
        "retries": 0,
        "compute_hash": "sha256",
        "enable_wandb": False,
        "distributor": "multiprocessing",
    }


def img2dataset_command(options: dict[str, Any]) -> str:
    """The equivalent ``img2dataset`` command line, for the record."""
    flags = " ".join(
        f"--{k}={json.dumps(v) if isinstance(v, list) else v}" for k, v in options.items()
    )
    return f"img2dataset --url_list=URLS.csv --output_folder=OUT {flags}"


def run_img2dataset(python: Path, url_list: Path, count: int, tuning: Tuning) -> dict[str, Any]:
    """(c) one ``img2dataset.download`` into a fresh output folder (kept until the bench ends)."""
    output = scratch("img2dataset-out")
    request = {
        "url_list": str(url_list),
        "output": str(output),
        "options": img2dataset_options(count, tuning),
    }
    quiet = {"NO_ALBUMENTATIONS_UPDATE": "1"}  # else albumentations asks PyPI on import
    return call(python, "_ingest_img2dataset.py", request, quiet)


# ----------------------------------------------------------------------------- measure


def measure(sizes: Sizes, tuning: Tuning, i2d_python: Path, profile: bool) -> dict[str, Any]:
    """Every side, ``sizes.rounds`` times, and the checks; the raw results."""
    images, small = image_set(sizes.images), image_set(sizes.small)
    template = ensure_template()
    _clean_runs()
    load_start = list(os.getloadavg())  # the machine is shared: say how busy it was
    warm_page_cache(images)
    runs: dict[str, list[dict[str, Any]]] = {}
    results_profile: dict[str, Any] = {}

    def record(name: str, result: dict[str, Any]) -> None:
        runs.setdefault(name, []).append(result)
        items, wall, rate = result["items"], result["wall_s"], result["items_per_s"]
        log(f"  {name}: {items:,} in {wall:.2f} s = {rate:.0f}/s, {result['peak_rss_mb']:.0f} MB")

    with Server(images.root) as server:
        url_list, small_list = images.url_list(server.base, RUNS), small.url_list(server.base, RUNS)
        log(f"server alone: {sizes.images:,} requests over {tuning.load_connections} connections")
        load = server.load_test(url_list, tuning.load_connections)
        for r in range(1, sizes.rounds + 1):
            log(f"round {r} of {sizes.rounds}: {sizes.images:,} images")
            record("decode", run_decode(images, tuning))
            record("folder", run_ingest(template, folder_args(images, tuning), "folder"))
            urls = partial(run_ingest, template, urls_args(url_list, tuning), "urls")
            record("urls", with_server(server, urls))
            i2d = partial(run_img2dataset, i2d_python, url_list, sizes.images, tuning)
            record("img2dataset", with_server(server, i2d))
            log(f"round {r}: memory at {sizes.small:,} images")
            record("folder_small", run_ingest(template, folder_args(small, tuning), "folder"))
            urls = partial(run_ingest, template, urls_args(small_list, tuning), "urls")
            record("urls_small", with_server(server, urls))
        if profile:
            log(f"profile: stages of one process over {small.count:,} images")
            request = {
                "root": str(small.root),
                "url_list": str(small_list),
                "template": str(template),
                "concurrency": tuning.concurrency,
                "per_host": tuning.per_host,
            }
            results_profile = call(sys.executable, "_ingest_profile.py", request)
    shutil.rmtree(RUNS, ignore_errors=True)
    return {
        "sizes": asdict(sizes),
        "tuning": asdict(tuning),
        "machine": machine(),
        "load_average": {"start": load_start, "end": list(os.getloadavg())},
        "versions": {"synsetdb": _our_version(), "img2dataset": IMG2DATASET_VERSION},
        "images": {
            "count": images.count,
            "mean_kb": images.total_bytes / images.count / 1e3,
            "folder": str(images.root),
        },
        "img2dataset_command": img2dataset_command(img2dataset_options(sizes.images, tuning)),
        "server_load": load,
        "runs": runs,
        "checks": checks(runs, sizes),
        **({"profile": results_profile} if profile else {}),
    }


def _clean_runs() -> None:
    """A fresh private work folder; those of runs that died are removed."""
    for folder in RUNS.parent.glob("*"):
        if folder == RUNS or not Path(f"/proc/{folder.name}").exists():
            shutil.rmtree(folder, ignore_errors=True)
    RUNS.mkdir(parents=True)


def _our_version() -> str:
    import synsetdb

    return str(synsetdb.__version__)


def checks(runs: dict[str, list[dict[str, Any]]], sizes: Sizes) -> dict[str, list[str]]:
    """Every correctness problem of every run, by side (empty lists: all correct)."""
    out: dict[str, list[str]] = {}
    for name, results in runs.items():
        want = sizes.small if name.endswith("_small") else sizes.images
        out[name] = [p for i, r in enumerate(results) for p in _problems(name, i + 1, r, want)]
    return out


def _problems(name: str, round_: int, r: dict[str, Any], want: int) -> list[str]:
    expect: dict[str, tuple[Any, Any]] = {}  # what -> (got, expected)
    if name == "decode":
        expect["files decoded"] = (r["decoded"], want)
    elif name == "img2dataset":
        expect["successes"] = (r["successes"], want)
        expect["image files"] = (r["image_files"], want)
    else:
        report = r["report"]
        expect |= {k: (report[k], want) for k in ("seen", "added")}
        expect |= {k: (report[k], 0) for k in ("duplicate", "rejected", "skipped")}
        expect["reject codes"] = (report["codes"], {})
        expect["images in catalog"] = (r["images_in_catalog"], want)
    if "server" in r:
        expect["server requests"] = (r["server"]["requests"], want)
    return [f"round {round_}: {k} = {g}, expected {w}" for k, (g, w) in expect.items() if g != w]


# ----------------------------------------------------------------------------- report


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the highest throughput."""
    return max(runs, key=lambda r: r["items_per_s"])


def peak(runs: list[dict[str, Any]], key: str = "peak_rss_mb") -> float:
    """The highest memory figure over the runs (0 where it was not measured)."""
    return max((r[key] or 0.0) for r in runs)


def _rate(r: dict[str, Any]) -> str:
    return f"{r['items_per_s']:.0f} ({r['wall_s']:.1f} s)"


def _busy(r: dict[str, Any], who: str) -> str:
    return f"{r[f'{who}_cpu_s'] / r['wall_s']:.2f}"


def _cpu_ms(r: dict[str, Any]) -> str:
    """CPU per image over the run's processes, the server's share included; kernel time apart."""
    server = r.get("server", {}).get("cpu_s", 0.0)
    total = r["self_cpu_s"] + r["children_cpu_s"] + server
    kernel = r["self_sys_s"] + r["children_sys_s"]
    return f"{total / r['items'] * 1e3:.2f} ({kernel / r['items'] * 1e3:.2f})"


def _info(key: str, measure: str, ours: str, reference: str, ratio: float | None = None) -> Row:
    return Row(key, measure, ours, reference, ratio, "", None)


def speed_rows(r: dict[str, Any]) -> list[Row]:
    """Throughput against the decode limit and img2dataset, and where the CPU went."""
    runs, n = r["runs"], r["sizes"]["images"]
    dec, fol, url, i2d = (best(runs[k]) for k in ("decode", "folder", "urls", "img2dataset"))
    folder_ratio = fol["items_per_s"] / dec["items_per_s"]
    urls_ratio = url["items_per_s"] / i2d["items_per_s"]
    load = r["server_load"]
    return [
        Row(
            "folder_vs_decode",
            f"ingest folder vs decode limit, img/s ({n:,} images)",
            _rate(fol),
            _rate(dec),
            folder_ratio,
            f">= {FOLDER_GOAL:.2f}x",
            folder_ratio >= FOLDER_GOAL,
        ),
        Row(
            "urls_vs_img2dataset",
            f"ingest urls vs img2dataset, img/s ({n:,} images)",
            _rate(url),
            _rate(i2d),
            urls_ratio,
            f">= {URLS_GOAL:g}x",
            urls_ratio >= URLS_GOAL,
        ),
        _info(
            "folder_vs_img2dataset",
            "ingest folder vs img2dataset, img/s",
            _rate(fol),
            _rate(i2d),
            fol["items_per_s"] / i2d["items_per_s"],
        ),
        _info(
            "urls_vs_folder",
            "ingest urls vs ingest folder, img/s",
            _rate(url),
            _rate(fol),
            url["items_per_s"] / fol["items_per_s"],
        ),
        _info(
            "server_headroom",
            f"server alone ({load['connections']} connections) vs ingest urls, req/s",
            f"{url['items_per_s']:.0f}",
            f"{load['requests_per_s']:.0f} ({load['mb_per_s']:.0f} MB/s)",
            load["requests_per_s"] / url["items_per_s"],
        ),
        _info(
            "server_cpu",
            "server's CPU share while downloading: ingest urls / img2dataset",
            f"{url['server']['cpu_share']:.0%}",
            f"{i2d['server']['cpu_share']:.0%}",
        ),
        _info(
            "ingest_process_cpu",
            "cores busy in the main process (CPU s / wall s): ingest folder / urls",
            f"{_busy(fol, 'self')} / {_busy(url, 'self')}",
            f"img2dataset {_busy(i2d, 'self')}",
        ),
        _info(
            "cpu_per_image",
            "CPU ms per image, all processes (of which kernel): ingest folder / urls",
            f"{_cpu_ms(fol)} / {_cpu_ms(url)}",
            f"decode {_cpu_ms(dec)}; img2dataset {_cpu_ms(i2d)}",
        ),
        _info(
            "workers_cpu",
            "cores busy in the worker processes: ingest folder / urls",
            f"{_busy(fol, 'children')} / {_busy(url, 'children')}",
            f"decode {_busy(dec, 'children')}; img2dataset {_busy(i2d, 'children')}",
        ),
    ]


def memory_rows(r: dict[str, Any]) -> list[Row]:
    """Peak memory of the ingest process at two sizes; workers and whole trees for context."""
    runs, n, small = r["runs"], r["sizes"]["images"], r["sizes"]["small"]
    rows = []
    for side in ("folder", "urls"):
        big, little = peak(runs[side]), peak(runs[f"{side}_small"])
        rows.append(
            Row(
                f"memory_{side}",
                f"ingest {side}: peak RSS of the ingest process, MB ({small:,} -> {n:,} images)",
                f"{little:.0f} -> {big:.0f}",
                "",
                big / little,
                f"<= {MEMORY_GOAL:g}x",
                big / little <= MEMORY_GOAL,
            )
        )
    for side in ("folder", "urls"):
        worker = "children_peak_rss_mb"
        big, little = peak(runs[side], worker), peak(runs[f"{side}_small"], worker)
        tree = peak(runs[side], "tree_peak_pss_mb")
        rows.append(
            _info(
                f"worker_memory_{side}",
                f"ingest {side}: largest worker's peak RSS ({small:,} -> {n:,});"
                f" whole tree's peak PSS at {n:,}, MB",
                f"{little:.0f} -> {big:.0f}; tree {tree:.0f}",
                "",
                big / little,
            )
        )
    i2d = runs["img2dataset"]
    rows.append(
        _info(
            "img2dataset_memory",
            f"img2dataset: main process's peak RSS; whole tree's peak PSS at {n:,}, MB",
            "",
            f"{peak(i2d):.0f}; tree {peak(i2d, 'tree_peak_pss_mb'):.0f}",
        )
    )
    return rows


def check_rows(r: dict[str, Any]) -> list[Row]:
    """One row per side: did every run do exactly the work asked?"""
    n, small = r["sizes"]["images"], r["sizes"]["small"]
    return [
        Row(
            f"check_{side}",
            f"{side}: {_CHECKED[side.removesuffix('_small')]}",
            f"{len(problems)} problems" if problems else "all",
            "",
            None,
            f"{small if side.endswith('_small') else n:,} each round",
            not problems,
        )
        for side, problems in r["checks"].items()
    ]


def build_rows(r: dict[str, Any]) -> list[Row]:
    """The results table, from the raw measurements."""
    return [*speed_rows(r), *memory_rows(r), *check_rows(r)]


_CHECKED = {
    "decode": "files decoded",
    "folder": "seen, added, in catalog; no duplicate or reject",
    "urls": "seen, added, in catalog, requests; no duplicate or reject",
    "img2dataset": "successes, files written, requests",
}


def notes(r: dict[str, Any], quick: bool) -> list[str]:
    """What the table's numbers mean."""
    t, s, img = r["tuning"], r["sizes"], r["images"]
    out = [
        f"images: {img['count']:,} distinct JPEGs, mean {img['mean_kb']:.0f} kB, mostly 500x375,"
        f" in {img['folder']}.",
        "img/s: images per second over the measured call's wall time (pool start-up included,"
        f" interpreter start and imports not), best of {s['rounds']} round(s); the time in"
        " seconds follows. ratio: ours / reference.",
        f"processes: decode pool {t['processes']}, ingest with synsetdb's default workers"
        f" ({t['processes'] + 1}, plus the ingest process itself), img2dataset"
        f" processes_count {t['processes']}.",
        f"ingest urls: --allow-private --concurrency {t['concurrency']} --per-host"
        f" {t['per_host']}; img2dataset: {r['img2dataset_command']}",
        "memory: peak RSS (VmHWM) of the ingest process itself, MB = 10^6 bytes; the"
        " largest worker's peak and the whole tree's peak summed PSS are shown apart.",
        "server: a static asyncio server in its own process, files in memory; 'server alone'"
        " is a lower bound (a Python client on the same 2 cores).",
        f"load average (1 min) at the start and end: {r['load_average']['start'][0]:.2f},"
        f" {r['load_average']['end'][0]:.2f} (other work on the machine shares its cores).",
    ]
    if quick:
        out.append("--quick: timing and memory goals are reported but not enforced.")
    return out + check_notes(r["checks"])


def print_report(results: dict[str, Any], rows: list[Row], report: dict[str, Any]) -> None:
    """The human-readable part: title, table and notes."""
    versions = report["versions"]
    print(
        f"ingest: synsetdb {versions['synsetdb']} vs img2dataset {versions['img2dataset']}"
        f" and the PIL decode limit, {report['mode']} run\n"
    )
    print_table_and_notes(format_table(rows), notes(results, report["mode"] == "quick"))


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes; enforce only checks")
    p.add_argument(
        "--prepare",
        action="store_true",
        help="only make the img2dataset venv and the images (with --quick: its images), then exit",
    )
    p.add_argument("--json", action="store_true", help="print only the JSON summary")
    p.add_argument("--profile", action="store_true", help="also split the time per stage")
    p.add_argument("--images", type=int, help="N (full: 5,000)")
    p.add_argument("--small", type=int, help="the smaller memory run (full: 1,000)")
    p.add_argument("--rounds", type=int, help="repeats of each measurement (full: 2)")
    p.add_argument("--processes", type=int, default=os.cpu_count() or 1, help="P (all cores)")
    p.add_argument("--concurrency", type=int, default=32, help="ingest urls --concurrency")
    p.add_argument("--per-host", type=int, default=4, help="ingest urls --per-host")
    p.add_argument("--i2d-threads", type=int, default=32, help="img2dataset thread_count")
    p.add_argument("--i2d-shard", type=int, default=0, help="img2dataset samples per shard")
    return p.parse_args(argv)


def sizes_from(args: argparse.Namespace) -> Sizes:
    """The preset sizes, with any explicit overrides."""
    base = QUICK if args.quick else FULL
    return Sizes(
        images=args.images or base.images,
        small=args.small or base.small,
        rounds=args.rounds or base.rounds,
    )


def tuning_from(args: argparse.Namespace) -> Tuning:
    """Process counts and concurrency from the options."""
    return Tuning(
        processes=args.processes,
        concurrency=args.concurrency,
        per_host=args.per_host,
        i2d_threads=args.i2d_threads,
        i2d_shard=args.i2d_shard,
        load_connections=16,
    )


def prepare(sizes: Sizes) -> None:
    """--prepare: the img2dataset venv and the images these sizes need, nothing else."""
    python = ensure_venv()
    for count in sorted({sizes.images, sizes.small, QUICK.images, QUICK.small}):
        image_set(count)
    print(f"bench/ingest: ready: img2dataset at {python}, images under {CACHE}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when the goals hold (in --quick: when every check passes)."""
    args = parse_args(argv)
    sizes = sizes_from(args)
    try:
        if args.prepare:
            prepare(sizes)
            return 0
        i2d_python = require_img2dataset() if args.quick else ensure_venv()
        results = measure(sizes, tuning_from(args), i2d_python, args.profile)
    except BenchError as e:
        print(f"bench/ingest: set-up failed: {e}", file=sys.stderr)
        return 2
    rows = build_rows(results)
    report = summary("ingest", results, rows, args.quick)
    if not args.json:
        print_report(results, rows, report)
        if "profile" in results:
            from _ingest_profile import format_profile

            print(format_profile(results["profile"]), end="\n\n")
    print(json.dumps(report))
    ok = report["correct"] if args.quick else report["passed"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
