"""What every exporter shares: choosing items, identity, shard plans, the image pipeline."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import FormatError
from ..release import Release, ReleaseItem
from ._images import Rendered, Rendering, read_blob, render, render_stream
from ._names import check_manifest_names
from ._outdir import ExportDir
from .base import ExportOptions, ExportReport, ProgressFn, Provenance

__all__ = [
    "Job",
    "Run",
    "WriteFn",
    "cut",
    "deterministic_order",
    "digest",
    "estimate_bytes",
    "identity",
    "plan_shards",
    "provenance_digest",
    "select_items",
    "shard_counts",
]

_SAMPLE = 64  # items rendered to estimate a split's bytes


@dataclass(frozen=True, slots=True)
class Job:
    """One output file made of images, in the order they go into it."""

    rel: str
    items: tuple[ReleaseItem, ...]


# Writes one job's file from its (item, rendered image) stream, through ExportDir.create*.
WriteFn = Callable[[Job, Iterator[tuple[ReleaseItem, Rendered]]], None]


def select_items(release: Release, options: ExportOptions) -> dict[str, list[ReleaseItem]]:
    """The items of each split to export, in manifest order; names checked.

    Raises:
        FormatError: ``E_NO_SPLIT`` for a split the release lacks, ``E_EXPORT_NAME``.
    """
    manifest = release.manifest
    wanted = list(dict.fromkeys(options.splits)) or list(manifest.splits)
    missing = [s for s in wanted if s not in manifest.splits]
    if missing:
        raise FormatError(
            f"release {release.name} has no split {missing[0]!r} "
            f"(it has {', '.join(manifest.splits) or 'none'})",
            code="E_NO_SPLIT",
        )
    chosen: dict[str, list[ReleaseItem]] = {split: [] for split in wanted}
    for item in manifest.items:
        if item.split in chosen:
            chosen[item.split].append(item)
    check_manifest_names(manifest, (i for items in chosen.values() for i in items))
    return chosen


def digest(data: Any) -> str:
    """sha256 of canonical JSON."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def deterministic_order(items: Sequence[ReleaseItem], seed: str) -> list[ReleaseItem]:
    """``items`` shuffled by a keyed hash of their names: the same seed, the same order."""
    return sorted(items, key=lambda it: hashlib.sha256(f"{seed}\0{it.name}".encode()).digest())


def estimate_bytes(release: Release, items: Sequence[ReleaseItem], rendering: Rendering) -> float:
    """Mean output bytes per image, from up to 64 evenly spaced items rendered for real."""
    if not items:
        return 0.0
    step = max(1, len(items) // _SAMPLE)
    sample = list(items[::step][:_SAMPLE])
    sizes = []
    for item in sample:
        rendered = render(release.blobs, rendering, item)
        data = rendered.data if rendered else read_blob(release, item, verify=rendering.verify)
        sizes.append(len(data))
    return sum(sizes) / len(sizes)


def shard_counts(
    split: str, samples: int, total_bytes: float, shard_size: int, multiple: int
) -> list[int]:
    """Samples per shard: enough shards for ``shard_size``, a multiple of ``multiple``, even.

    Raises:
        FormatError: ``E_EXPORT_SHARDS`` when the split has fewer samples than
            ``multiple`` (a shard would be empty).
    """
    if samples < multiple:
        raise FormatError(
            f"split {split!r} has {samples} samples, fewer than --shard-multiple {multiple}: "
            "some shard would be empty",
            code="E_EXPORT_SHARDS",
        )
    count = max(1, math.ceil(total_bytes / shard_size))
    count = math.ceil(count / multiple) * multiple
    count = min(count, samples // multiple * multiple)  # never an empty shard
    return [samples * (i + 1) // count - samples * i // count for i in range(count)]


def cut(items: Sequence[ReleaseItem], counts: Sequence[int]) -> list[tuple[ReleaseItem, ...]]:
    """``items`` cut into consecutive runs of ``counts``."""
    it = iter(items)
    return [tuple(islice(it, n)) for n in counts]


def identity(
    layout: str, release: Release, options: ExportOptions, splits: Sequence[str], **extra: Any
) -> dict[str, Any]:
    """What makes two exports the same: layout, release, splits, resizing and ``extra``."""
    return {
        "format": layout,
        "release": {"name": release.name, "sha256": release.sha256},
        "splits": list(splits),
        "resize_side": options.resize_side,
        "resize_quality": options.resize_quality if options.resize_side is not None else None,
        **extra,
    }


class Run:
    """One export run: its folder, report, rendering and progress, from open to finish."""

    def __init__(
        self,
        name: str,
        out: Path,
        release: Release,
        options: ExportOptions,
        ident: dict[str, Any],
        rendering: Rendering,
        progress: ProgressFn | None,
    ) -> None:
        self.release = release
        self.options = options
        self.rendering = rendering
        self.progress = progress
        self.identity = ident
        self.started = time.monotonic()
        self.name = name
        self.report = ExportReport(name, str(out), release.name, release.sha256)
        self.outdir = ExportDir.open(out, ident, self.report, overwrite=options.overwrite)

    def write_images(self, jobs: Sequence[Job], write: WriteFn) -> None:
        """Write every job not already done, images rendered by one pool in job order."""
        self.report.total += sum(len(job.items) for job in jobs)
        todo = []
        for job in jobs:
            if self.outdir.is_done(job.rel):
                self.report.skipped += len(job.items)
                self._tick()
            else:
                todo.append(job)
        items = [item for job in todo for item in job.items]
        rendered = render_stream(self.release, items, self.rendering, self.options.workers)
        try:
            stream = self._counted(rendered)
            for job in todo:
                write(job, islice(stream, len(job.items)))
        finally:
            rendered.close()  # a failed write stops the pool now, not at garbage collection

    def finish(self, extra: dict[str, Any]) -> ExportReport:
        """Write ``SHA256SUMS`` and (last) ``export.json``; return the report."""
        ident = self.identity
        summary = {
            "format": self.name,
            "layout": ident["format"],
            "release": ident["release"],
            "counts": {
                "images": self.report.total,
                "splits": dict(self.report.splits),
                "files": len(self.outdir.done),
                "bytes": sum(size for _, size in self.outdir.done.values()),
            },
            "options": {k: v for k, v in ident.items() if k not in ("format", "release")},
            **extra,
            "synsetdb_version": __version__,
        }
        self.outdir.finish(list(self.outdir.done), summary)
        self._tick()
        return self.report

    def close(self) -> None:
        self.outdir.close()

    def _counted(
        self, stream: Iterable[tuple[ReleaseItem, Rendered]]
    ) -> Iterator[tuple[ReleaseItem, Rendered]]:
        for item, rendered in stream:
            self.report.images += 1
            self.report.reencoded += rendered.reencoded
            self._tick()
            yield item, rendered

    def _tick(self) -> None:
        self.report.elapsed_s = time.monotonic() - self.started
        if self.progress is not None:
            self.progress(self.report)


def plan_shards(
    run: Run,
    ordered: Mapping[str, Sequence[ReleaseItem]],
    overhead: int,
) -> dict[str, list[int]]:
    """Samples per shard for each split: the earlier run's plan when resuming, else a new one.

    A new plan sizes each split from a rendered sample (see :func:`estimate_bytes`)
    plus ``overhead`` bytes per sample (tar headers and the like). Resuming reuses
    the recorded plan, so a file keeps its samples whatever an estimate would say now.
    """
    stored = run.outdir.plan
    if isinstance(stored, dict) and _plan_fits(stored, ordered):
        return {split: list(stored[split]) for split in ordered}
    options = run.options
    plan = {}
    for split, items in ordered.items():
        per_item = estimate_bytes(run.release, items, run.rendering) + overhead
        plan[split] = shard_counts(
            split, len(items), per_item * len(items), options.shard_size, options.shard_multiple
        )
    return plan


def _plan_fits(stored: Mapping[str, Any], ordered: Mapping[str, Sequence[ReleaseItem]]) -> bool:
    return set(stored) == set(ordered) and all(
        isinstance(stored[s], list) and sum(stored[s]) == len(items) and all(stored[s])
        for s, items in ordered.items()
    )


def provenance_digest(items: Iterable[ReleaseItem], provenance: Provenance | None) -> str | None:
    """sha256 over the (source, licence) of ``items``: part of a WebDataset export's identity."""
    if provenance is None:
        return None
    hasher = hashlib.sha256()
    for item in items:
        source, licence = provenance.get(item.image, (None, None))
        hasher.update(json.dumps([item.image, source, licence]).encode())
    return hasher.hexdigest()
