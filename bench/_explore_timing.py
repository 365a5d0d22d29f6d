"""Timing the explorer: served for real (``synsetdb serve`` in its own process), request by
request, and its library calls in process (the side FiftyOne's Python API is compared with)."""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import func, select

from _measure import log
from synsetdb.catalog import Project, schema
from synsetdb.catalog.aggregates import bump_generation
from synsetdb.catalog.browse import GridQuery, grid, synset_counts
from synsetdb.catalog.tallies import tallies

__all__ = ["Timing", "count_timing", "library_timings", "page_timings", "served", "server_rss_mb"]

ANIMAL = "n00015388"
CITY = "n08524735"  # 664 children: WordNet's widest node (shown with empty synsets)
HERB = "n12205694"  # 309 children with images: ImageNet-21k's widest


@dataclass(frozen=True, slots=True)
class Timing:
    """Latencies of one kind of request, in milliseconds."""

    name: str
    requests: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    errors: int

    @classmethod
    def of(cls, name: str, seconds: Sequence[float], errors: int) -> Timing:
        ms = np.asarray(seconds) * 1000
        return cls(
            name,
            len(seconds),
            round(float(np.percentile(ms, 50)), 2),
            round(float(np.percentile(ms, 95)), 2),
            round(float(ms.max()), 2),
            errors,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(project: Path) -> Iterator[tuple[str, int]]:
    """``synsetdb serve --anonymous-browse`` on a free port; yields its URL and process id."""
    port = _free_port()
    command = [sys.executable, "-m", "synsetdb", "--project", str(project), "serve"]
    command += ["--anonymous-browse", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the server stopped: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                if httpx.get(url + "/api/tree", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not answer within two minutes")
            time.sleep(0.2)
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def server_rss_mb(pid: int) -> dict[str, float]:
    """The server's resident memory now and at its peak, in MB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = round(int(rest.split()[0]) * 1024 / 1e6, 1)
    return {"rss_mb": values.get("VmRSS", 0.0), "peak_rss_mb": values.get("VmHWM", 0.0)}


def _samples(
    project: Project, wnids: Sequence[str], n: int, seed: int
) -> tuple[list[str], list[str]]:
    """``n`` classes with images and ``n`` image ids, drawn at random (seeded)."""
    rng = random.Random(seed)
    classes = rng.choices(list(wnids), k=n)
    c = schema.candidate.c
    with project.catalog.engine.connect() as conn:
        top = int(conn.execute(select(func.max(c.id))).scalar_one())
        picks = sorted(rng.randint(1, top) for _ in range(n))
        images = list(conn.execute(select(c.image_id).where(c.id.in_(picks))).scalars())
    while len(images) < n:  # a pick past a gap: reuse the ones found
        images.append(images[len(images) % max(1, len(images))])
    return classes, images


def page_timings(
    url: str, project_root: Path, wnids: Sequence[str], requests: int, seed: int = 0
) -> list[Timing]:
    """``requests`` of each kind of page, each after a few warm-up requests; latencies."""
    project = Project.open(project_root)
    try:
        classes, images = _samples(project, wnids, requests, seed)
    finally:
        project.close()
    kinds: dict[str, Callable[[int], str]] = {
        "tree: top level (/explore)": lambda i: "/explore",
        "tree: open herb (309 children with images)": lambda i: f"/api/tree?wnid={HERB}",
        "tree: open city (664 children, empty too)": lambda i: f"/api/tree?wnid={CITY}&empty=true",
        "synset page with its grid": lambda i: f"/synset/{classes[i]}",
        "grid page (JSON, 3rd page)": lambda i: f"/api/synsets/{classes[i]}/images?offset=120",
        "image page": lambda i: f"/image/{images[i]}",
        "statistics page": lambda i: "/stats",
        "animal's subtree (/api/synsets)": lambda i: f"/api/synsets/{ANIMAL}",
    }
    timings = []
    with httpx.Client(base_url=url, timeout=120) as client:
        timings.append(_stats_after_writes(client, project_root, max(5, requests // 10)))
        for name, path in kinds.items():
            for i in range(3):
                client.get(path(i))
            seconds, errors = [], 0
            for i in range(requests):
                started = time.perf_counter()
                response = client.get(path(i))
                seconds.append(time.perf_counter() - started)
                errors += response.status_code != 200
            timings.append(Timing.of(name, seconds, errors))
            log(f"{name}: p95 {timings[-1].p95_ms} ms")
    return timings


def _stats_after_writes(client: httpx.Client, project_root: Path, requests: int) -> Timing:
    """The statistics page when the counts changed just before (it is computed, not kept)."""
    project = Project.open(project_root)
    seconds, errors = [], 0
    try:
        for _ in range(requests):
            with project.catalog.engine.begin() as conn:
                bump_generation(conn)  # what any write does: the kept statistics are stale
            started = time.perf_counter()
            response = client.get("/stats")
            seconds.append(time.perf_counter() - started)
            errors += response.status_code != 200
    finally:
        project.close()
    timing = Timing.of("statistics page, first after a write", seconds, errors)
    log(f"{timing.name}: p95 {timing.p95_ms} ms")
    return timing


def count_timing(project_root: Path, requests: int) -> Timing:
    """The subtree count of animal through the library call every explorer page makes."""
    project = Project.open(project_root)
    try:
        synset_counts(project.catalog, [ANIMAL])
        seconds = []
        for _ in range(requests):
            started = time.perf_counter()
            counts = synset_counts(project.catalog, [ANIMAL])[ANIMAL]
            seconds.append(time.perf_counter() - started)
        errors = 0 if counts.images > 0 else requests
    finally:
        project.close()
    return Timing.of("subtree count of animal (n00015388)", seconds, errors)


def _timed(name: str, call: Callable[[int], object], requests: int) -> Timing:
    call(0)
    seconds = []
    for i in range(requests):
        started = time.perf_counter()
        call(i)
        seconds.append(time.perf_counter() - started)
    return Timing.of(name, seconds, 0)


def library_timings(
    project_root: Path, wnids: Sequence[str], requests: int, *, labels: int = 500, seed: int = 0
) -> dict[str, Timing]:
    """The queries FiftyOne is timed on, through synsetdb's read API in process.

    ``count_values``: every class's size (the statistics page's read);
    ``label_page``: the first 60 images of a class (the grid's read);
    ``labels_count``: the counts of ``labels`` classes (one query).
    """
    project = Project.open(project_root)
    rng = random.Random(seed)
    chosen = rng.choices(list(wnids), k=requests)
    lists = [rng.sample(list(wnids), labels) for _ in range(requests)]
    try:
        catalog = project.catalog
        return {
            "count_values": _timed("count per label", lambda i: tallies(catalog), requests),
            "label_page": _timed(
                "first page of a label",
                lambda i: grid(catalog, chosen[i], GridQuery(limit=60)),
                requests,
            ),
            "labels_count": _timed(
                f"counts of {labels} labels", lambda i: synset_counts(catalog, lists[i]), requests
            ),
        }
    finally:
        project.close()
