"""WebDataset tar shards: ``<split>-<shard:06d>.tar``, plain ustar, samples shuffled across shards.

Each sample is three adjacent members: ``<key>.jpg`` (or ``.png``/``.webp``,
the blob's own format), ``<key>.cls`` (the class index in ASCII) and
``<key>.json`` (wnid, class name, hierarchy path, image sha256, split, blurred,
source, licence), where ``key`` is the item's name with ``.`` replaced by
``_``. Shards are cut at a size target, their number per split rounded up to
a multiple of ``shard_multiple`` by spreading samples evenly; the order of
samples is a deterministic shuffle seeded by the release's sha256, so every
shard holds many classes. ``index.json`` lists classes and shards.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from ..errors import FormatError
from ..release import Manifest, Release, ReleaseItem
from ._images import Rendered, Rendering
from ._names import sample_key
from ._run import (
    Job,
    Run,
    WriteFn,
    cut,
    deterministic_order,
    identity,
    plan_shards,
    provenance_digest,
    select_items,
)
from .base import ExportOptions, ExportReport, ProgressFn, Provenance

__all__ = ["INDEX_FORMAT", "LAYOUT", "WebDatasetExporter", "class_path", "shard_name"]

LAYOUT = "synsetdb-webdataset/1"
INDEX_FORMAT = "synsetdb-webdataset/1"
_MTIME = 0  # fixed: the same export gives the same bytes
_USTAR_NAME = 100  # bytes of a ustar member name (no prefix field without a '/')
# Per sample, besides the image: three 512-byte headers, padding, cls and json.
_SAMPLE_OVERHEAD = 3 * 512 + 3 * 256 + 400
_KEEP = frozenset({"JPEG", "PNG", "WEBP"})


def shard_name(split: str, index: int) -> str:
    return f"{split}-{index:06d}.tar"


class WebDatasetExporter:
    """``--format webdataset``: see the module docstring."""

    name = "webdataset"

    def export(
        self,
        release: Release,
        out: Path,
        options: ExportOptions,
        progress: ProgressFn | None = None,
    ) -> ExportReport:
        chosen = select_items(release, options)
        _check_keys(chosen)
        ordered = {
            s: deterministic_order(items, f"{release.sha256}:{s}") for s, items in chosen.items()
        }
        ident = identity(
            LAYOUT,
            release,
            options,
            list(chosen),
            shard_size=options.shard_size,
            shard_multiple=options.shard_multiple,
            provenance=provenance_digest(
                (i for items in ordered.values() for i in items), options.provenance
            ),
        )
        rendering = Rendering.of(options, _KEEP)
        run = Run(self.name, out, release, options, ident, rendering, progress)
        try:
            plan = plan_shards(run, ordered, _SAMPLE_OVERHEAD)
            run.outdir.begin(plan)
            jobs: dict[str, list[Job]] = {}
            for split, items in ordered.items():
                run.report.splits[split] = len(items)
                jobs[split] = [
                    Job(shard_name(split, i), shard)
                    for i, shard in enumerate(cut(items, plan[split]))
                ]
            writer = _SampleWriter(release.manifest, options.provenance)
            run.write_images([j for js in jobs.values() for j in js], writer.shard_writer(run))
            run.outdir.write_bytes("index.json", _index(run, jobs))
            return run.finish({"shards": plan})
        finally:
            run.close()


def class_path(hierarchy: Mapping[str, Sequence[str]], wnid: str) -> list[str]:
    """wnids from a root down to ``wnid``, along each synset's first parent."""
    path = [wnid]
    while (parents := hierarchy.get(path[-1], ())) and parents[0] not in path:
        path.append(parents[0])
    return path[::-1]


class _SampleWriter:
    """Writes samples into tar shards; the per-class json fields computed once."""

    def __init__(self, manifest: Manifest, provenance: Provenance | None) -> None:
        self._index = manifest.class_to_idx
        self._names = {c.wnid: c.name for c in manifest.classes}
        self._paths = {c.wnid: class_path(manifest.hierarchy, c.wnid) for c in manifest.classes}
        self._provenance = provenance or {}

    def shard_writer(self, run: Run) -> WriteFn:
        def write(job: Job, stream: Iterator[tuple[ReleaseItem, Rendered]]) -> None:
            with (
                run.outdir.create(job.rel) as out,
                tarfile.open(
                    fileobj=out,
                    mode="w",
                    format=tarfile.USTAR_FORMAT,  # type: ignore[call-overload]
                ) as tar,
            ):
                for item, rendered in stream:
                    self._add(tar, item, rendered)

        return write

    def _add(self, tar: tarfile.TarFile, item: ReleaseItem, rendered: Rendered) -> None:
        key = sample_key(item)
        source, licence = self._provenance.get(item.image, (None, None))
        meta = {
            "wnid": item.wnid,
            "name": self._names[item.wnid],
            "path": self._paths[item.wnid],
            "image": item.image,
            "split": item.split,
            "blurred": item.blurred,
            "source": source,
            "licence": licence,
        }
        members = (
            (rendered.extension, rendered.data),
            ("cls", str(self._index[item.wnid]).encode()),
            ("json", json.dumps(meta, ensure_ascii=False, sort_keys=True).encode()),
        )
        for ext, data in members:
            info = tarfile.TarInfo(f"{key}.{ext}")
            info.size, info.mtime, info.mode = len(data), _MTIME, 0o644
            tar.addfile(info, io.BytesIO(data))


def _check_keys(chosen: Mapping[str, Sequence[ReleaseItem]]) -> None:
    """Keys must be unique (``a.b`` and ``a_b`` would merge) and fit a ustar name."""
    seen: dict[str, str] = {}
    for items in chosen.values():
        for item in items:
            key = sample_key(item)
            if len(key.encode()) + len(".json") > _USTAR_NAME:
                raise FormatError(
                    f"item name {item.name!r} is too long for a WebDataset key in a ustar tar "
                    f"({_USTAR_NAME - len('.json')} bytes at most)",
                    code="E_EXPORT_NAME",
                )
            if key in seen:
                raise FormatError(
                    f"items {seen[key]!r} and {item.name!r} would share the WebDataset key {key!r}",
                    code="E_EXPORT_NAME",
                )
            seen[key] = item.name


def _index(run: Run, jobs: Mapping[str, Sequence[Job]]) -> bytes:
    manifest = run.release.manifest
    splits = {}
    for split, split_jobs in jobs.items():
        shards = []
        for job in split_jobs:
            sha, size = run.outdir.done[job.rel]
            shards.append(
                {"file": job.rel, "samples": len(job.items), "bytes": size, "sha256": sha}
            )
        splits[split] = {"samples": sum(len(j.items) for j in split_jobs), "shards": shards}
    index = {
        "format": INDEX_FORMAT,
        "release": {"name": run.release.name, "sha256": run.release.sha256},
        "classes": [[c.index, c.wnid, c.name] for c in manifest.classes],
        "splits": splits,
    }
    return (json.dumps(index, indent=2, ensure_ascii=False) + "\n").encode()
