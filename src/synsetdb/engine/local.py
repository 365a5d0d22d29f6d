"""Running a function over a stream of items on all cores, with bounded memory."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from itertools import islice
from typing import Protocol, TypeVar

__all__ = ["Engine", "LocalEngine"]

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

T = TypeVar("T")
R = TypeVar("R")


class Engine(Protocol):
    """Maps a picklable function over items, yielding ``(item, result)`` in input order."""

    def imap(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]: ...


def _run_chunk(fn: Callable[[T], R], chunk: list[T]) -> list[R]:
    return [fn(item) for item in chunk]


def _die_with_parent(parent: int) -> None:
    """Worker initializer: exit when the parent dies, even by SIGKILL.

    A pool's workers otherwise outlive a killed parent, blocked forever on a
    queue their siblings keep open. Linux's PR_SET_PDEATHSIG makes the kernel
    kill them; elsewhere this is a no-op.
    """
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


class LocalEngine:
    """A process pool that never holds more than ``max_in_flight`` chunks of items.

    ``ProcessPoolExecutor.map`` submits its whole input at once; this engine
    pulls items lazily, so a source of a million images costs the memory of a
    few chunks. With ``workers=0`` everything runs in this process (debugging,
    and platforms without fork).
    """

    def __init__(
        self, workers: int | None = None, chunk_size: int = 8, max_in_flight: int | None = None
    ):
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.chunk_size = chunk_size
        self.max_in_flight = max_in_flight or max(2, 4 * self.workers)

    def imap(self, fn: Callable[[T], R], items: Iterable[T]) -> Iterator[tuple[T, R]]:
        iterator = iter(items)
        if self.workers == 0:
            for item in iterator:
                yield item, fn(item)
            return
        pending: deque[tuple[list[T], Future[list[R]]]] = deque()
        with ProcessPoolExecutor(
            max_workers=self.workers, initializer=_die_with_parent, initargs=(os.getpid(),)
        ) as pool:
            while True:
                while len(pending) < self.max_in_flight:
                    chunk = list(islice(iterator, self.chunk_size))
                    if not chunk:
                        break
                    pending.append((chunk, pool.submit(_run_chunk, fn, chunk)))
                if not pending:
                    return
                chunk, future = pending.popleft()
                yield from zip(chunk, future.result(), strict=True)
