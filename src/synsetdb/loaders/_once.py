"""A flag a dataset shares with the DataLoader workers of every epoch, so a warning is said once.

A ``DataLoader`` starts its workers anew each epoch (unless
``persistent_workers``) from the dataset object in the main process: forked,
they inherit its memory; spawned, it is pickled to them. Whatever a worker
sets on its copy is lost when it exits, so "warn once" needs memory shared
with the main process: one byte of ``multiprocessing`` shared memory, which
forked workers inherit and spawned ones receive with the dataset.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.context import get_spawning_popen
from typing import Any

__all__ = ["SharedFlag"]


class SharedFlag:
    """A flag set once and seen by every process the object reached as a worker's dataset.

    Pickled other than to a worker being started (a copy, a checkpoint), the
    copy gets a flag of its own, clear: it is another dataset.
    """

    __slots__ = ("_cell",)

    def __init__(self) -> None:
        self._cell: Any = multiprocessing.RawValue("b", 0)

    def is_set(self) -> bool:
        """Whether :meth:`claim` has been called by any process sharing the flag."""
        return bool(self._cell.value)

    def claim(self) -> bool:
        """Set the flag; True for the caller that found it clear.

        Not atomic: two processes claiming at the same instant may both win,
        which for a warning means saying it twice, not losing it.
        """
        if self._cell.value:
            return False
        self._cell.value = 1
        return True

    def __getstate__(self) -> tuple[Any]:
        # Only while a process is being spawned may shared memory be pickled (it
        # travels as a file descriptor); any other pickle starts a fresh flag.
        return (self._cell if get_spawning_popen() is not None else None,)

    def __setstate__(self, state: tuple[Any]) -> None:
        self._cell = state[0] if state[0] is not None else multiprocessing.RawValue("b", 0)

    def __repr__(self) -> str:
        return f"SharedFlag({'set' if self.is_set() else 'clear'})"
