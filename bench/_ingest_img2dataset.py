"""The ingest benchmark's peer: img2dataset on the same URL list, in its throwaway venv.

Runs on ``bench/.venv-img2dataset``'s interpreter (no synsetdb there), one fresh
process per run. Reads one JSON request on stdin::

    {"url_list": CSV, "output": DIR, "options": {...img2dataset.download keywords}}

and writes one JSON result on stdout: the wall time of ``img2dataset.download``
(its logger process and spawned pool included, as the ingest's pool is), the
successes and failures img2dataset counted in its per-shard ``*_stats.json``,
the image files it wrote, and the same memory and CPU figures as our side.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from _ingest_proc import TreeSampler, children_peak_rss_mb, cpu_since, cpu_times
from _measure import peak_rss_mb, read_request, write_result


def _counts(output: Path) -> dict[str, int]:
    stats = [json.loads(p.read_text()) for p in output.glob("*_stats.json")]
    return {
        "successes": sum(s.get("successes", 0) for s in stats),
        "failed_to_download": sum(s.get("failed_to_download", 0) for s in stats),
        "failed_to_resize": sum(s.get("failed_to_resize", 0) for s in stats),
        "count": sum(s.get("count", 0) for s in stats),
        "image_files": sum(1 for _ in output.glob("*/*.jpg")),
        "shards": len(stats),
    }


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Time one ``img2dataset.download`` call."""
    # img2dataset is installed only in the benchmark's own virtualenv, where this runs.
    from img2dataset import download  # type: ignore[import-not-found]

    output = Path(request["output"])
    with TreeSampler() as tree:
        before, started = cpu_times(), time.perf_counter()
        download(url_list=request["url_list"], output_folder=str(output), **request["options"])
        wall = time.perf_counter() - started
    counts = _counts(output)
    return {
        "items": counts["count"],
        **counts,
        "wall_s": wall,
        "items_per_s": counts["count"] / wall if wall else 0.0,
        "peak_rss_mb": peak_rss_mb(),
        "children_peak_rss_mb": children_peak_rss_mb(),
        "tree_peak_pss_mb": tree.peak_mb,
        **cpu_since(before),
    }


def main() -> int:
    request = read_request()
    result = run(request)
    sys.stdout.flush()  # img2dataset prints progress on stdout: the result must be the last line
    write_result(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
