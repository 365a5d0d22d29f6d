"""Benchmark: building and creating a release from 100,000 catalog rows, against reading them.

A fresh WordNet project (``Project.init`` in a temporary folder) gets N
synthetic accepted candidates, bulk-inserted in one transaction: the 1,000
ILSVRC-2012 classes x 100 images each (``--quick``: 100 x 20), every image
with a random 64-bit pHash, an original file name, a source and a licence;
1% of them are near duplicates of another image (a few pHash bits flipped,
some in another class) and 5% carry a bounding box. No blob is written: a
build never reads pixels (``release verify`` does; it is not measured here).

The spec selects ``ilsvrc2012`` with 10 validation images per class, so the
build runs every step: the candidate query, the counts, the near-duplicate
grouping (multi-index hashing over all N hashes) and the leak-free split, the
export names and boxes, the induced hierarchy, the canonical manifest bytes
and their sha256. Measured in the same run, each in a fresh ``Project.open``
(the taxonomy loaded as a command would):

- (L) the limit: the build's own candidate query alone (``_reads.candidate_queries``:
  the same SELECT, rows fetched into Python), the least any build must do;
- (B) the export-free build: ``build_manifest``, taxonomy load included,
  then the manifest's canonical bytes and sha256;
- (C) release creation: ``create_release`` (the build, then manifest.json,
  report.json, the datasheet and its plots, and the ``release`` and
  ``release_item`` rows in one transaction).

Each is the best of R rounds (3; ``--quick``: 1). Reported: wall seconds,
this process's CPU seconds (the machine is shared: the 1-minute load average
before and after is printed too), the ratios B/L and C/L, and B's stages.
Goal (issue 5): (B) under 10 s for 100,000 rows. Correctness is checked on
every run: the manifest has every class and item, 10 val items per class, no
near-duplicate group across splits, and two builds give the same sha256.

Usage:
    python bench/release.py            # 100,000 rows, 3 rounds; exit 1 if the goal fails
    python bench/release.py --quick    # 2,000 rows, 1 round; exit 1 only if a check fails
    python bench/release.py --json     # only the JSON summary on stdout
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from _measure import log, print_table_and_notes, text_table, verdict
from taxonomy import machine

GOAL_S = 10.0
VAL = 10


@dataclass(frozen=True, slots=True)
class Sizes:
    classes: int
    per_class: int
    rounds: int

    @property
    def rows(self) -> int:
        return self.classes * self.per_class


FULL = Sizes(1_000, 100, 3)
QUICK = Sizes(100, 20, 1)


# ----------------------------------------------------------------------------- the catalog


def _rows(wnids: list[str], per_class: int, seed: int = 2012) -> list[dict[str, Any]]:
    """One dict per candidate: image id, class, pHash (signed), file name, box or not."""
    rng = random.Random(seed)
    rows = []
    for wnid in wnids:
        for i in range(per_class):
            sha = hashlib.sha256(f"{wnid}/{i}".encode()).hexdigest()
            rows.append(
                {
                    "image": sha,
                    "wnid": wnid,
                    "phash": rng.getrandbits(64) - (1 << 63),
                    "file_name": f"{wnid}_{i}.JPEG",
                    "box": rng.random() < 0.05,
                }
            )
    for row in rng.sample(rows, len(rows) // 100):  # near duplicates of random other images
        other = rng.choice(rows)
        phash = cast(int, other["phash"])
        flipped = (phash + (1 << 63)) ^ (1 << rng.randrange(64)) ^ (1 << rng.randrange(64))
        row["phash"] = flipped - (1 << 63)
    return rows


def fill_catalog(project: Any, sizes: Sizes) -> dict[str, int]:
    """Bulk-insert the synthetic rows; returns each image's pHash."""
    from sqlalchemy import insert

    from synsetdb.catalog import schema
    from synsetdb.catalog._bulk import bulk_insert
    from synsetdb.hierarchy import named_set

    wnids = list(named_set("ilsvrc2012", project.taxonomy).wnids)[: sizes.classes]
    rows = _rows(wnids, sizes.per_class)
    ids = project.catalog.synset_ids()
    now = "2024-01-01 00:00:00.000000"
    image_cols = (
        "id",
        "width",
        "height",
        "format",
        "byte_size",
        "phash",
        "blob_key",
        "source",
        "licence",
        "created_at",
    )
    cand_cols = (
        "image_id",
        "synset_id",
        "status",
        "file_name",
        "source",
        "created_at",
        "updated_at",
    )
    with project.catalog.engine.begin() as conn:
        bulk_insert(
            conn,
            schema.image,
            image_cols,
            (
                (
                    r["image"],
                    500,
                    375,
                    "JPEG",
                    110_000,
                    r["phash"],
                    r["image"],
                    "bench:synthetic",
                    "CC-BY-4.0" if i % 3 else "unknown-licence",
                    now,
                )
                for i, r in enumerate(rows)
            ),
        )
        bulk_insert(
            conn,
            schema.candidate,
            cand_cols,
            (
                (
                    r["image"],
                    ids[r["wnid"]],
                    "accepted",
                    r["file_name"],
                    "bench:synthetic",
                    now,
                    now,
                )
                for r in rows
            ),
        )
        boxes = [
            {
                "image_id": r["image"],
                "synset_id": ids[r["wnid"]],
                "x0": 10.0,
                "y0": 20.0,
                "x1": 300.0,
                "y1": 200.0,
                "source": "bench",
            }
            for r in rows
            if r["box"]
        ]
        if boxes:
            conn.execute(insert(schema.box), boxes)
    return {r["image"]: r["phash"] for r in rows}


# ----------------------------------------------------------------------------- the three sides


SPEC = f'seed = 2012\n[selection]\nsets = ["ilsvrc2012"]\n[splits]\nval = {VAL}\n'


def _best(rounds: int, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    results = [run() for _ in range(rounds)]
    return min(results, key=lambda r: r["seconds"])


def measure_limit(root: Path) -> dict[str, Any]:
    """(L): the build's candidate query alone, rows fetched into Python."""
    from synsetdb.catalog import Project
    from synsetdb.hierarchy import named_set
    from synsetdb.release._reads import candidate_queries, synset_ids_of

    project = Project.open(root)
    with project.catalog.engine.connect() as conn:
        ids = synset_ids_of(conn, named_set("ilsvrc2012").wnids)
        queries = candidate_queries(list(ids.values()), ("accepted",), False)
        started, cpu = time.perf_counter(), time.process_time()
        rows = [row for query in queries for row in conn.execute(query).all()]
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    project.close()
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": len(rows)}


def measure_build(root: Path) -> dict[str, Any]:
    """(B): taxonomy load, build_manifest, canonical bytes and sha256, timed by stage."""
    from synsetdb.catalog import Project
    from synsetdb.release import build_manifest, parse_spec

    project = Project.open(root)
    started, cpu = time.perf_counter(), time.process_time()
    taxonomy = project.taxonomy
    loaded = time.perf_counter()
    built = build_manifest(project.catalog, taxonomy, parse_spec(SPEC))
    done = time.perf_counter()
    sha = built.manifest.sha256
    hashed = time.perf_counter()
    cpu = time.process_time() - cpu
    project.close()
    return {
        "seconds": hashed - started,
        "cpu_seconds": cpu,
        "stages": {
            "taxonomy": loaded - started,
            "build": done - loaded,
            "bytes_sha256": hashed - done,
        },
        "sha256": sha,
        "manifest": built.manifest,
        "report": built.report,
    }


def measure_create(root: Path, name: str) -> dict[str, Any]:
    """(C): create_release end to end."""
    from synsetdb.catalog import Project
    from synsetdb.release import create_release, parse_spec

    project = Project.open(root)
    started, cpu = time.perf_counter(), time.process_time()
    release = create_release(project, name, parse_spec(SPEC))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    project.close()
    return {"seconds": seconds, "cpu_seconds": cpu, "sha256": release.sha256}


# ----------------------------------------------------------------------------- checks and report


def checks(
    sizes: Sizes,
    hashes: dict[str, int],
    limit: dict[str, Any],
    build: dict[str, Any],
    again: str,
    created: list[str],
) -> dict[str, bool]:
    from synsetdb.release.splits import SplitEntry, tie_groups

    manifest = build["manifest"]
    items = manifest.items
    entries = [SplitEntry(it.image, it.wnid, hashes[it.image]) for it in items]
    groups = [g for g in tie_groups(entries, 6) if len(g) > 1]
    return {
        "all_rows_read": limit["rows"] == sizes.rows,
        "all_items_released": len(items) == sizes.rows and len(manifest.classes) == sizes.classes,
        "val_per_class": sum(it.split == "val" for it in items) == VAL * sizes.classes,
        "duplicates_grouped": len(groups) == build["report"]["splits"]["duplicate_groups"] > 0,
        "no_group_across_splits": all(len({items[i].split for i in g}) == 1 for g in groups),
        "reproducible": build["sha256"] == again and all(s == again for s in created),
    }


def print_report(result: dict[str, Any]) -> None:
    limit, build, create = result["limit"], result["build"], result["create"]
    print(f"release: building and creating a release of {result['rows']:,} catalog rows\n")
    rows = [["side", "seconds", "CPU seconds", "ratio to (L)"]]
    for label, side, ratio in (
        ("(L) candidate query alone", limit, 1.0),
        ("(B) build_manifest", build, result["build_ratio"]),
        ("(C) create_release", create, result["create_ratio"]),
    ):
        rows.append([label, f"{side['seconds']:.2f}", f"{side['cpu_seconds']:.2f}", f"{ratio:.2f}"])
    print(text_table(rows), end="\n\n")
    goal = result["goal"]
    table = text_table(
        [
            ["goal", "value", "goal", "result"],
            ["build", f"{goal['value']:.2f} s", goal["goal"], verdict(goal["passed"])],
        ]
    )
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in build["stages"].items())
    notes = [
        f"(B) stages: {stages}.",
        f"split report: {json.dumps(result['split_report'])}.",
        "checks: " + ", ".join(f"{k} {verdict(v)}" for k, v in result["checks"].items()) + ".",
        "machine: {cpus} cores, {memory_gib} GiB, Python {python}".format(**result["machine"])
        + "; load average {:.1f} before, {:.1f} after (other work shares the cores: CPU "
        "seconds are this process's own)".format(*result["load_average"]),
    ]
    print_table_and_notes(table, notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 rows; enforce only checks")
    parser.add_argument("--json", action="store_true", help="print only the JSON summary")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    from synsetdb.catalog import Project

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-release-") as tmp:
        root = Path(tmp) / "project"
        log("initialising a WordNet project")
        Project.init(root).close()
        log(f"inserting {sizes.rows:,} candidates")
        project = Project.open(root)
        hashes = fill_catalog(project, sizes)
        project.close()
        log(f"measuring, best of {sizes.rounds} round(s)")
        limit = _best(sizes.rounds, lambda: measure_limit(root))
        build = _best(sizes.rounds, lambda: measure_build(root))
        again = measure_build(root)["sha256"]
        names = iter(range(sizes.rounds))
        creates = [measure_create(root, f"bench-{next(names)}") for _ in range(sizes.rounds)]
        create = min(creates, key=lambda r: r["seconds"])
        checked = checks(sizes, hashes, limit, build, again, [c["sha256"] for c in creates])
    passed = build["seconds"] < GOAL_S
    result = {
        "bench": "release",
        "mode": "quick" if args.quick else "full",
        "rows": sizes.rows,
        "classes": sizes.classes,
        "rounds": sizes.rounds,
        "limit": limit,
        "build": {k: v for k, v in build.items() if k not in ("manifest", "report")},
        "create": create,
        "build_ratio": build["seconds"] / limit["seconds"],
        "create_ratio": create["seconds"] / limit["seconds"],
        "split_report": {k: v for k, v in build["report"]["splits"].items() if k != "shortfalls"},
        "goal": {"value": build["seconds"], "goal": f"< {GOAL_S:.0f} s", "passed": passed},
        "checks": checked,
        "checks_ok": all(checked.values()),
        "passed": passed and all(checked.values()),
        "machine": machine(),
        "load_average": [load_before, os.getloadavg()[0]],
    }
    if not args.json:
        print_report(result)
    print(json.dumps(result))
    return 0 if (result["checks_ok"] if args.quick else result["passed"]) else 1


if __name__ == "__main__":
    sys.exit(main())
