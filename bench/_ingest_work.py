"""The ingest benchmark's measured side on this interpreter, one fresh process per run.

Reads one JSON request on stdin, writes one JSON result on stdout:

- ``{"mode": "decode", "root": DIR, "processes": N}``: the physical limit.
  Every file under DIR (hidden ones skipped, as the folder source does) is
  opened and fully decoded with ``PIL.Image.open(path).load()`` in a pool of N
  forked processes; the time covers the pool's start, the reads and decodes.
- ``{"mode": "ingest", "project": DIR, "args": [...]}``: synsetdb's CLI,
  ``synsetdb --project DIR <args> --json``, run in this process through click
  (the same code path as the console script) so that this process's peak RSS
  is the ingest process's. The time covers the whole command. Afterwards, and
  untimed, the catalog is opened to count the images really stored.

Both report the wall time, this process's peak RSS, the largest peak RSS of
any child, the peak PSS summed over the whole process tree and CPU seconds.
"""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os
import sys
import time
from typing import Any

from _ingest_proc import TreeSampler, children_peak_rss_mb, cpu_since, cpu_times
from _measure import peak_rss_mb, read_request, write_result


def _decode(path: str) -> int:
    from PIL import Image

    with Image.open(path) as image:
        image.load()
        return image.size[0] * image.size[1]


def _files(root: str) -> list[str]:
    found = []
    for top, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [os.path.join(top, n) for n in sorted(names) if not n.startswith(".")]  # noqa: PTH118
    return found


def decode(request: dict[str, Any]) -> dict[str, Any]:
    """Decode every file with a process pool: the throughput no ingest can beat."""
    import PIL.Image  # noqa: F401  (imported before timing, like synsetdb is for the ingest)

    files = _files(request["root"])
    context = multiprocessing.get_context("fork")
    with TreeSampler() as tree:
        before, started = cpu_times(), time.perf_counter()
        with context.Pool(request["processes"]) as pool:
            pixels = sum(pool.imap_unordered(_decode, files, chunksize=8))
        wall = time.perf_counter() - started
    return {
        "items": len(files),
        "decoded": len(files),
        "megapixels": pixels / 1e6,
        "wall_s": wall,
        "items_per_s": len(files) / wall,
        **_memory(tree),
        **cpu_since(before),
    }


def ingest(request: dict[str, Any]) -> dict[str, Any]:
    """Run ``synsetdb ingest …`` in this process; its JSON report and what it cost."""
    from synsetdb.catalog.project import Project
    from synsetdb.cli import cli

    argv = ["--project", request["project"], *request["args"], "--json"]
    out = io.StringIO()
    with TreeSampler() as tree, contextlib.redirect_stdout(out):
        before, started = cpu_times(), time.perf_counter()
        code = cli.main(args=argv, prog_name="synsetdb", standalone_mode=False)
        wall = time.perf_counter() - started
    if code not in (None, 0):
        raise RuntimeError(f"synsetdb {' '.join(argv)} exited {code}:\n{out.getvalue()}")
    report = json.loads(out.getvalue())
    memory, cpu = _memory(tree), cpu_since(before)
    project = Project.open(request["project"])
    try:
        images = project.catalog.stats().images
    finally:
        project.close()
    return {
        "items": report["seen"],
        "report": report,
        "images_in_catalog": images,
        "wall_s": wall,
        "items_per_s": report["seen"] / wall,
        **memory,
        **cpu,
    }


def _memory(tree: TreeSampler) -> dict[str, float | None]:
    return {
        "peak_rss_mb": peak_rss_mb(),
        "children_peak_rss_mb": children_peak_rss_mb(),
        "tree_peak_pss_mb": tree.peak_mb,
    }


def main() -> int:
    request = read_request()
    modes = {"decode": decode, "ingest": ingest}
    write_result(modes[request["mode"]](request))
    return 0


if __name__ == "__main__":
    sys.exit(main())
