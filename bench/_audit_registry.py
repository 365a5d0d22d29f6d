"""Part 2 of bench/audit.py: the whole audit registry on a large catalog with a release.

The catalog is bench/explore.py's synthetic ImageNet-21k catalog (real schema,
ImageNet-like class sizes, sources and licences, 2 % of images proposed for a
second class, no pixels), built once per size and cached. A copy gets one
release made the way ``release create`` stores one (a ``release`` row with a
real spec, its items, ``aggregates.store_release_counts``): every accepted
image, split train / val / test by the first hex digit of its id (14:1:1).

Each run of the registry happens in a fresh process (``python -c``) so its
peak RSS is its own; the catalog audit and the release audit are timed apart.
There are no blobs: the checks that read pixels or blobs (a bounded sample)
find them missing, which costs what reading them would at most.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _explore_data import build_catalog
from _measure import log

__all__ = ["bench_registry", "prepared_catalog", "print_registry", "registry_run"]

SPEC = """seed = 2012

[selection]
subtrees = ["n00001740"]
min_images = 1

[splits]
val = 0.0625
test = 0.0625
"""
RELEASE = "bench-v1"
_RUN = """
import json, resource, sys, time
from synsetdb.audit import AuditConfig, run_audit
from synsetdb.catalog import Project
project = Project.open(sys.argv[1])
release = sys.argv[2] or None
started = time.perf_counter()
# A licence policy, so that LIC002 runs too.
policy = {"LIC002": {"allowed": ["CC-BY-2.0", "CC-BY-SA-2.0", "CC0-1.0"]}}
report = run_audit(project, AuditConfig(release=release, options=policy))
seconds = time.perf_counter() - started
rows = report.summary()
print(json.dumps({
    "seconds": seconds,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "checks": rows,
}))
"""


def prepared_catalog(images: int, cache: Path) -> Path:
    """A project of ``images`` synthetic images with one release, built once under ``cache``."""
    folder = cache / str(images)
    marker = folder / "ready.json"
    if marker.exists():
        return folder / "project"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    log(f"building a {images:,}-image catalog in {folder}")
    built = build_catalog(folder / "project", images)
    _add_release(folder / "project")
    marker.write_text(json.dumps({"images": images, "build_s": time.perf_counter() - started}))
    log(f"built in {time.perf_counter() - started:.0f} s ({built.candidates:,} candidates)")
    return folder / "project"


def _add_release(root: Path) -> None:
    from sqlalchemy import insert, text

    from synsetdb.catalog import Project, aggregates, schema
    from synsetdb.release import parse_spec

    project = Project.open(root)
    try:
        spec = parse_spec(SPEC)
        with project.catalog.engine.begin() as conn:
            release_id = conn.execute(
                insert(schema.release)
                .values(
                    name=RELEASE,
                    config=spec.to_dict(),
                    manifest_sha256="0" * 64,
                    created_at=datetime.now(UTC),
                )
                .returning(schema.release.c.id)
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO release_item (release_id, image_id, synset_id, split) "
                    "SELECT :rid, image_id, synset_id, CASE substr(image_id, 1, 1) "
                    "WHEN '0' THEN 'val' WHEN '1' THEN 'test' ELSE 'train' END "
                    "FROM candidate WHERE status = 'accepted'"
                ),
                {"rid": release_id},
            )
            aggregates.store_release_counts(conn, release_id)
    finally:
        project.close()


def _audit(root: Path, release: str | None) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _RUN, str(root), release or ""],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def registry_run(sizes: tuple[int, ...], cache: Path) -> list[dict[str, Any]]:
    """Per catalog size: the registry's time and peak RSS on the catalog and on the release."""
    runs = []
    for images in sizes:
        root = prepared_catalog(images, cache)
        for release in (None, RELEASE):
            log(f"{images:,} images: auditing {'release ' + release if release else 'the catalog'}")
            result = _audit(root, release)
            slowest = sorted(result["checks"], key=lambda row: -row["seconds"])[:3]
            runs.append(
                {
                    "images": images,
                    "scope": release or "catalog",
                    "seconds": round(result["seconds"], 1),
                    "peak_rss_mb": round(result["peak_rss_mb"]),
                    "ran": [row["code"] for row in result["checks"] if not row["skipped"]],
                    "skipped": {
                        row["code"]: row["skipped"] for row in result["checks"] if row["skipped"]
                    },
                    "found": {
                        row["code"]: row["found"] for row in result["checks"] if row["found"]
                    },
                    "slowest": [(row["code"], row["seconds"]) for row in slowest],
                }
            )
    return runs


TIME_GOAL_S = 60.0  # the whole registry at 1,000,000 images, per scope
MEMORY_GOAL = 1.5  # peak RSS at the largest size over the smallest: "memory flat"
FULL_SIZES = (100_000, 1_000_000)
QUICK_SIZES = (2_000, 20_000)


def bench_registry(quick: bool) -> dict[str, Any]:
    """Part ``registry`` of bench/audit.py: every check, catalog and release, two sizes."""
    import tempfile

    sizes = QUICK_SIZES if quick else FULL_SIZES
    if quick:
        with tempfile.TemporaryDirectory(prefix="audit-registry-") as scratch:
            runs = registry_run(sizes, Path(scratch))
    else:
        runs = registry_run(sizes, Path(__file__).resolve().parent / ".cache" / "audit")
    largest, smallest = max(sizes), min(sizes)
    goals: dict[str, dict[str, Any]] = {}
    for scope in ("catalog", RELEASE):
        big = next(r for r in runs if r["images"] == largest and r["scope"] == scope)
        small = next(r for r in runs if r["images"] == smallest and r["scope"] == scope)
        ratio = big["peak_rss_mb"] / small["peak_rss_mb"]
        if not quick:
            goals[f"registry_{scope}_seconds"] = {
                "value": big["seconds"],
                "goal": f"< {TIME_GOAL_S:.0f} s at {largest:,} images",
                "passed": big["seconds"] < TIME_GOAL_S,
            }
            goals[f"registry_{scope}_memory_ratio"] = {
                "value": round(ratio, 2),
                "goal": f"peak RSS at {largest:,} <= {MEMORY_GOAL}x at {smallest:,}",
                "passed": ratio <= MEMORY_GOAL,
            }
    every = {row for r in runs for row in r["ran"] + list(r["skipped"])}
    return {
        "sizes": list(sizes),
        "runs": runs,
        "goals": goals,
        # Each run finished and accounted for every check (ran, or skipped with a reason).
        "checks_ok": all(len(r["ran"]) + len(r["skipped"]) == len(every) for r in runs),
    }


def print_registry(r: dict[str, Any]) -> None:
    from _measure import print_table_and_notes, text_table, verdict

    rows = [["images", "scope", "seconds", "peak RSS MB", "ran", "skipped", "slowest checks (s)"]]
    rows += [
        [
            f"{run['images']:,}",
            run["scope"],
            f"{run['seconds']:.1f}",
            str(run["peak_rss_mb"]),
            str(len(run["ran"])),
            str(len(run["skipped"])),
            ", ".join(f"{code} {s:.1f}" for code, s in run["slowest"]),
        ]
        for run in r["runs"]
    ]
    print(text_table(rows), end="\n\n")
    goal_rows = [["goal", "value", "goal", "result"]]
    goal_rows += [
        [k, str(g["value"]), g["goal"], verdict(g["passed"])] for k, g in r["goals"].items()
    ]
    notes = [
        f"{run['images']:,} {run['scope']}: skipped {', '.join(sorted(run['skipped'])) or 'none'}; "
        f"found {', '.join(f'{c} {n:,}' for c, n in run['found'].items()) or 'nothing'}"
        for run in r["runs"]
    ]
    print_table_and_notes(text_table(goal_rows), notes)
