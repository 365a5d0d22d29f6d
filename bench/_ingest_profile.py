"""Where an ingest's time goes, per image, measured on synsetdb's own code in one process.

Run by ``bench/ingest.py --profile`` (a fresh process; JSON request on stdin
with ``root``, ``url_list``, ``template``, ``concurrency`` and ``per_host``).
Nothing here re-implements a stage, so the split follows the code as it changes:

- worker side: ``synsetdb.ingest.pipeline.process_item`` (what each pool
  process runs per image: read, ``inspect_image``, blob writes) on every file
  under ``root``, timed as a whole and under cProfile. The result lists the
  cumulative time of the pipeline's own steps that exist (``inspect_image``,
  ``thumbnail``, ``phash``, ``_store``, ``put``…) and the functions with the
  most time of their own (decode, resize, encode, fsync…), in ms per image.
- IPC: pickling each ``SourceItem`` and the record that comes back (unpickling
  costs about as much again).
- ingest-process side: ``Catalog.record_ingest`` on those records in batches
  of 256, as the pipeline's writer does, and for URL ingest the downloader
  alone (``synsetdb.ingest.download.download`` over the URL list, with the
  bench's concurrency): its wall time and the CPU it costs the ingest process.

``worker_ms_per_image`` is the wall time of ``process_item`` per image (without
the profiler); P processes could at best do P / that many images per second,
if nothing else waited.
"""

from __future__ import annotations

import cProfile
import os
import pickle
import pstats
import sys
import time
from pathlib import Path
from typing import Any

from _measure import read_request, write_result

BATCH = 256
TOP = 12
# The pipeline's own steps, reported by cumulative time when present.
STEPS = (
    "process_item",
    "read",
    "inspect_image",
    "draft_for",
    "upright",
    "to_rgb",
    "thumbnail",
    "phash",
    "_store",
    "put",
    "_write_atomic",
)
OURS = f"{os.sep}synsetdb{os.sep}"


def _items(root: str) -> list[Any]:
    from synsetdb.ingest.sources.folder import FolderSource

    return list(FolderSource(root).items())


def worker_side(items: list[Any], blob_url: str) -> tuple[list[Any], dict[str, Any]]:
    """``process_item`` on every item: once under cProfile, once timed plainly.

    Each pass writes into a blob store of its own, so both pay for every write.
    """
    from functools import partial

    from synsetdb.ingest.pipeline import process_item
    from synsetdb.ingest.validate import ValidationConfig

    config = ValidationConfig()
    work = partial(process_item, blob_url=blob_url, config=config)
    profile = cProfile.Profile()
    profile.enable()
    results = [work(item) for item in items]
    profile.disable()
    plain = partial(process_item, blob_url=f"{blob_url}-plain", config=config)
    started = time.perf_counter()
    for item in items:
        plain(item)
    wall = time.perf_counter() - started
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    n = len(items)
    return results, {
        "process_item_ms": wall / n * 1e3,
        "steps_ms": _steps(stats, n),
        "top_own_ms": _top(stats, n),
    }


def _name(func: tuple[str, int, str]) -> str:
    file, _, name = func
    if file == "~":  # a builtin: "<method 'decode' of 'ImagingDecoder' objects>"
        return name.removeprefix("<").removesuffix(">")
    return f"{Path(file).stem}.{name}"


def _steps(stats: dict[Any, Any], n: int) -> dict[str, float]:
    """Cumulative ms per image of the pipeline's own functions (synsetdb's files only)."""
    out: dict[str, float] = {}
    for func, (_, _, _, cumulative, _) in stats.items():
        if OURS in func[0] and func[2] in STEPS:
            key = _name(func)
            out[key] = out.get(key, 0.0) + cumulative / n * 1e3
    return dict(sorted(out.items(), key=lambda kv: -kv[1]))


def _top(stats: dict[Any, Any], n: int) -> dict[str, float]:
    """The functions with the most time of their own, ms per image."""
    own = sorted(stats.items(), key=lambda kv: -kv[1][2])[:TOP]
    return {_name(func): tottime / n * 1e3 for func, (_, _, tottime, _, _) in own}


def ipc_ms(items: list[Any], results: list[Any]) -> float:
    """Pickling what the pool moves per image, ms."""
    started = time.perf_counter()
    for pair in zip(items, results, strict=True):
        pickle.dumps(pair)
    return (time.perf_counter() - started) / len(items) * 1e3


def catalog_side(project: Path, items: list[Any], results: list[Any]) -> float:
    """``record_ingest`` in batches of 256, ms per image."""
    from synsetdb.catalog import IngestEntry
    from synsetdb.catalog.project import Project

    opened = Project.open(project)
    try:
        ids = opened.catalog.synset_ids()
        entries = [
            IngestEntry(
                source="folder:profile",
                key=item.key,
                image=record,
                wnid=item.wnid,
                synset_id=ids[item.wnid],
                file_name=item.name,
            )
            for item, record in zip(items, results, strict=True)
        ]
        started = time.perf_counter()
        for start in range(0, len(entries), BATCH):
            opened.catalog.record_ingest(entries[start : start + BATCH])
        return (time.perf_counter() - started) / len(entries) * 1e3
    finally:
        opened.close()


def download_side(url_list: str, concurrency: int, per_host: int) -> dict[str, float]:
    """The downloader alone over the URL list: wall time and this process's CPU."""
    from synsetdb.ingest.download import DownloadConfig, download
    from synsetdb.ingest.sources.urls import UrlListSource

    config = DownloadConfig(concurrency=concurrency, per_host=per_host, allow_private=True)
    urls = [row.url for row in UrlListSource(url_list).rows()]
    cpu, started = time.process_time(), time.perf_counter()
    count = sum(1 for d in download(urls, config) if d.data is not None)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "urls": len(urls),
        "downloaded": count,
        "ms_per_image": wall / len(urls) * 1e3,
        "cpu_ms_per_image": cpu / len(urls) * 1e3,
    }


def main() -> int:
    from _ingest_env import fresh_project

    request = read_request()
    project = fresh_project(Path(request["template"]), Path.cwd() / "profile-project")
    blob_url = str(project / "blobs")
    items = _items(request["root"])
    results, worker = worker_side(items, blob_url)
    write_result(
        {
            "images": len(items),
            "processes": os.cpu_count(),
            "worker": worker,
            "ipc_pickle_ms": ipc_ms(items, results),
            "catalog_write_ms": catalog_side(project, items, results),
            "download": download_side(
                request["url_list"], request["concurrency"], request["per_host"]
            ),
        }
    )
    return 0


def format_profile(p: dict[str, Any]) -> str:
    """The profile as text: ms per image by step, own time and the ingest process's share."""
    w, n, procs = p["worker"], p["images"], p["processes"] or 1
    lines = [
        f"profile: one process, {n:,} images, ms per image",
        f"  worker: process_item, whole (no profiler)  {w['process_item_ms']:8.3f}"
        f"  -> at most {procs / w['process_item_ms'] * 1e3:.0f} img/s on {procs} processes",
        "  worker: pipeline steps, cumulative (cProfile):",
        *(f"    {name:<40} {ms:8.3f}" for name, ms in w["steps_ms"].items()),
        "  worker: most time of their own (cProfile, same pass):",
        *(f"    {name:<40} {ms:8.3f}" for name, ms in w["top_own_ms"].items()),
        f"  IPC: pickle item + record                     {p['ipc_pickle_ms']:8.3f}",
        f"  ingest process: catalog write (batches of {BATCH})  {p['catalog_write_ms']:8.3f}",
    ]
    d = p["download"]
    lines.append(
        f"  ingest process: downloader alone, wall {d['ms_per_image']:.3f},"
        f" CPU {d['cpu_ms_per_image']:.3f} ({d['downloaded']:,} of {d['urls']:,} URLs)"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
