"""Process measurements for the ingest benchmark's workers: memory and CPU of a process tree.

Stdlib only: imported both by the workers on this interpreter and by the
img2dataset worker in its throwaway venv (which has no synsetdb).

- ``peak_rss_mb()`` (from ``_measure``): the peak RSS of the calling process itself.
- ``children_peak_rss_mb()``: the largest peak RSS of any child it has reaped.
- ``TreeSampler``: the peak of the summed PSS (proportional set size, so pages
  that forked workers share with their parent count once) of the process and
  all its descendants, sampled every 0.25 s in a thread. Reads
  ``/proc/*/stat`` and ``/proc/<pid>/smaps_rollup``; None where those are missing.
- ``cpu_times()``: CPU seconds of this process and of its reaped children;
  ``cpu_since(before)`` the difference, to leave imports out.
"""

from __future__ import annotations

import os
import resource
import threading
from pathlib import Path
from types import TracebackType

from _measure import peak_rss_mb

__all__ = ["TreeSampler", "children_peak_rss_mb", "cpu_since", "cpu_times", "peak_rss_mb"]

PROC = Path("/proc")


def children_peak_rss_mb() -> float:
    """The largest peak RSS among reaped children, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e6


def cpu_times() -> dict[str, float]:
    """CPU seconds (user + system, and system alone) of this process and its reaped children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "self_cpu_s": me.ru_utime + me.ru_stime,
        "self_sys_s": me.ru_stime,
        "children_cpu_s": kids.ru_utime + kids.ru_stime,
        "children_sys_s": kids.ru_stime,
    }


def cpu_since(before: dict[str, float]) -> dict[str, float]:
    """``cpu_times()`` now minus ``before``: the CPU of the measured call alone."""
    return {key: value - before[key] for key, value in cpu_times().items()}


def _descendants(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # exited meanwhile
            continue
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, ()))
    return found


def _pss_kib(pid: int) -> int:
    try:
        text = (PROC / str(pid) / "smaps_rollup").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


class TreeSampler:
    """Context manager: the peak summed PSS of this process and its descendants, in MB."""

    def __init__(self, interval_s: float = 0.25) -> None:
        self.interval_s = interval_s
        self.peak_mb: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-sampler", daemon=True)
        self._available = (PROC / "self" / "smaps_rollup").exists()

    def __enter__(self) -> TreeSampler:
        if self._available:
            self.peak_mb = 0.0
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._available:
            self._stop.set()
            self._thread.join()

    def sample(self) -> float:
        """The summed PSS of the tree now, in MB."""
        return sum(_pss_kib(pid) for pid in _descendants(os.getpid())) * 1024 / 1e6

    def _run(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb or 0.0, self.sample())
            if self._stop.wait(self.interval_s):
                return
