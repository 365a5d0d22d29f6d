"""Simulated workers who label the demo's candidates through the real task routing.

Each simulated worker asks :func:`~synsetdb.verify.tasks.next_task` for a batch,
answers every image from the bundle's ground truth with its own accuracy, and
submits; dynamic consensus decides candidates as votes arrive, exactly as it
does for people using the labelling web app. A worker's answer on an image is
a pure function of the seed, the worker and the image, so a second run of the
demo (or a run interrupted and resumed) gives the same votes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from ..catalog import Catalog
from ..verify.accounts import ensure_worker
from ..verify.tasks import Task, TaskConfig, next_task, submit

__all__ = ["CrowdResult", "SimulatedWorker", "default_workers", "label_candidates"]


@dataclass(frozen=True, slots=True)
class SimulatedWorker:
    """A worker: ``accuracy`` is the chance of a right answer on any image."""

    name: str
    accuracy: float


def default_workers(count: int = 24) -> list[SimulatedWorker]:
    """Mostly diligent workers (accuracy 0.80–0.97) and one in eight a random clicker."""
    workers = []
    for i in range(count):
        accuracy = 0.5 if i % 8 == 7 else 0.80 + 0.17 * ((i * 37) % 23) / 22
        workers.append(SimulatedWorker(f"demo-worker-{i:02d}", round(accuracy, 3)))
    return workers


@dataclass(frozen=True, slots=True)
class CrowdResult:
    """What the simulated crowd did in this run (nothing, when everything was decided)."""

    workers: int
    tasks: int
    votes: int


def label_candidates(
    catalog: Catalog,
    truth: Mapping[tuple[str, str], bool],
    workers: list[SimulatedWorker],
    *,
    seed: int,
    config: TaskConfig | None = None,
) -> CrowdResult:
    """Let every worker take batches until no candidate is left for any of them.

    Args:
        catalog: the catalog whose open candidates are labelled.
        truth: ``(image sha256, wnid) -> shows it``; images not in it are answered "no".
        workers: who labels (created as passwordless accounts when missing).
        seed: makes the answers reproducible.
        config: batch size, controls and consensus thresholds.
    """
    config = config or TaskConfig()
    accounts = {ensure_worker(catalog, w.name).id: w for w in workers}
    tasks = votes = 0
    active = set(accounts)
    while active:
        for worker_id in sorted(active):
            task = next_task(catalog, worker_id, config)
            if task is None:
                active.discard(worker_id)
                continue
            selected = _answers(task, truth, accounts[worker_id], seed)
            votes += submit(catalog, task.id, worker_id, selected, config).votes
            tasks += 1
    return CrowdResult(len(accounts), tasks, votes)


def _answers(
    task: Task, truth: Mapping[tuple[str, str], bool], worker: SimulatedWorker, seed: int
) -> list[int]:
    """The candidate ids this worker says show the task's synset."""
    selected = []
    for item in task.items:
        right = truth.get((item.image_id, task.wnid), False)
        if _is_correct(worker, item.image_id, task.wnid, seed) == right:
            selected.append(item.candidate_id)
    return selected


def _is_correct(worker: SimulatedWorker, image_id: str, wnid: str, seed: int) -> bool:
    """Whether the worker answers this image right: a fixed coin for (seed, worker, image)."""
    digest = hashlib.sha256(f"{seed}:{worker.name}:{image_id}:{wnid}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < worker.accuracy
