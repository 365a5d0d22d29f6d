"""Stdlib-only helpers shared by the benchmarks and their worker processes.

The nltk worker runs in a throwaway virtualenv without synsetdb or numpy, so
nothing here may import either.
"""

from __future__ import annotations

import hashlib
import json
import random
import resource
import sys
import textwrap
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ENTITY = "n00001740"


def log(message: str) -> None:
    """Progress goes to stderr, so that stdout holds only results."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def random_pairs(wnids: Sequence[str], count: int, seed: int) -> tuple[list[str], list[str]]:
    """``count`` seeded random (a, b) pairs drawn from ``wnids``, as two lists.

    Draws are interleaved, so the first k pairs do not depend on ``count``: the
    orchestrator asks for 100,000 and gets exactly the first 100,000 of the
    worker's 1,000,000. The lists hold references to the strings in ``wnids``,
    which keeps a million pairs at 16 MB.
    """
    draws = random.Random(seed).choices(wnids, k=2 * count)
    return draws[0::2], draws[1::2]


def digest(wnids: Iterable[str]) -> str:
    """A short fingerprint of a set of wnids, independent of order."""
    return hashlib.sha256("\n".join(sorted(wnids)).encode()).hexdigest()[:16]


def _status_kib(field: str) -> int | None:
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return None


def rss_mb() -> float | None:
    """Current resident set size in MB (10^6 bytes); None where /proc is missing."""
    kib = _status_kib("VmRSS")
    return None if kib is None else kib * 1024 / 1e6


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB (10^6 bytes)."""
    kib = _status_kib("VmHWM")
    if kib is None:  # macOS: ru_maxrss is in bytes there (KiB on Linux, handled above)
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
    return kib * 1024 / 1e6


def read_request() -> dict[str, Any]:
    """The worker's parameters: one JSON object on stdin."""
    request: dict[str, Any] = json.load(sys.stdin)
    return request


def write_result(result: dict[str, Any]) -> None:
    """The worker's answer: one JSON object on stdout."""
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


def verdict(passed: bool | None) -> str:
    """How a goal's outcome is printed."""
    return {True: "PASS", False: "FAIL", None: "info"}[passed]


def text_table(cells: Sequence[Sequence[str]]) -> str:
    """Rows of strings (the first is the header) as a fixed-width table."""
    widths = [max(len(c[i]) for c in cells) for i in range(len(cells[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)) for cell in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def print_table_and_notes(table: str, notes: Sequence[str]) -> None:
    """The human-readable body of a benchmark's report: the table, then notes as bullets."""
    print(table, end="\n\n")
    for note in notes:
        print(textwrap.fill(note, 100, initial_indent="- ", subsequent_indent="  "))
    print()


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a ratio benchmark's results table (``key`` names it in the JSON summary)."""

    key: str
    measure: str
    ours: str
    reference: str
    ratio: float | None
    goal: str
    passed: bool | None  # None: reported for information, no goal


def format_table(rows: Sequence[Row]) -> str:
    """A fixed-width table: measure, synsetdb, reference, ratio, goal, result."""
    header = ("measure", "synsetdb", "reference", "ratio", "goal", "result")
    cells = [header] + [
        (
            row.measure,
            row.ours or "-",
            row.reference or "-",
            "-" if row.ratio is None else f"{row.ratio:.2f}x",
            row.goal or "-",
            verdict(row.passed),
        )
        for row in rows
    ]
    return text_table(cells)


def check_notes(checks: dict[str, list[str]]) -> list[str]:
    """The first few correctness problems of each side, as notes."""
    return [f"check {side}: {p}" for side, problems in checks.items() for p in problems[:5]]


def summary(bench: str, r: dict[str, Any], rows: Sequence[Row], quick: bool) -> dict[str, Any]:
    """The machine-readable result (the last line of output) of a ratio benchmark."""
    goals = {row.key: asdict(row) for row in rows if row.passed is not None}
    return {
        "bench": bench,
        "mode": "quick" if quick else "full",
        "passed": all(g["passed"] for g in goals.values()),
        "correct": not any(r["checks"].values()),
        "ratios": {row.key: row.ratio for row in rows if row.ratio is not None},
        "goals": goals,
        **r,
    }
