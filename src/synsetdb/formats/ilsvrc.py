"""The ILSVRC/ImageFolder layout, with the devkit and Kaggle metadata files.

::

    OUT/train/<wnid>/<name>.JPEG            every split, every image a real JPEG
    OUT/val/<wnid>/<name>.JPEG
    OUT/LOC_synset_mapping.txt              <wnid> <words>, class-index order
    OUT/LOC_val_solution.csv                when a val item has boxes (Kaggle's columns)
    OUT/ILSVRC2012_devkit_t12/data/meta.mat
    OUT/ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt
    OUT/SHA256SUMS, OUT/export.json

torchvision's ``ImageFolder`` reads ``OUT/train`` as it is; code written for
the official devkit files reads ours (see ``_devkit``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from ..release import Release, ReleaseItem
from ._devkit import (
    SynsetText,
    describe,
    ground_truth_bytes,
    meta_mat_bytes,
    solution_bytes,
    synset_mapping_bytes,
)
from ._images import Rendered, Rendering, exported_boxes, read_blob
from ._run import Job, Run, digest, identity, select_items
from .base import ExportOptions, ExportReport, ProgressFn

__all__ = ["LAYOUT", "IlsvrcExporter"]

LAYOUT = "synsetdb-ilsvrc/1"
DEVKIT_DATA = "ILSVRC2012_devkit_t12/data"
_QUALITY = 95  # for images that were not JPEGs, as ILSVRC's own few CMYK/PNG files became


class IlsvrcExporter:
    """``--format ilsvrc``: see the module docstring."""

    name = "ilsvrc"

    def export(
        self,
        release: Release,
        out: Path,
        options: ExportOptions,
        progress: ProgressFn | None = None,
    ) -> ExportReport:
        chosen = select_items(release, options)
        texts = describe(release.manifest, options.taxonomy)
        ident = identity(LAYOUT, release, options, list(chosen), texts=digest(_plain(texts)))
        rendering = Rendering.of(options, frozenset({"JPEG"}), quality=_QUALITY)
        run = Run(self.name, out, release, options, ident, rendering, progress)
        try:
            run.outdir.begin(plan=None)
            jobs = []
            for split, items in chosen.items():
                run.report.splits[split] = len(items)
                jobs += [Job(image_path(item), (item,)) for item in items]
            run.write_images(jobs, lambda job, stream: _write_image(run, job, stream))
            _write_metadata(run, chosen, texts)
            return run.finish({})
        finally:
            run.close()


def image_path(item: ReleaseItem) -> str:
    """``<split>/<wnid>/<name>.JPEG``, relative to the export folder."""
    return f"{item.split}/{item.wnid}/{item.name}.JPEG"


def _write_image(run: Run, job: Job, stream: Iterator[tuple[ReleaseItem, Rendered]]) -> None:
    for _, rendered in stream:
        with run.outdir.create(job.rel) as writer:
            writer.write(rendered.data)


def _write_metadata(
    run: Run, chosen: dict[str, list[ReleaseItem]], texts: Mapping[str, SynsetText]
) -> None:
    manifest = run.release.manifest
    everything = [item for items in chosen.values() for item in items]
    outdir = run.outdir
    outdir.write_bytes("LOC_synset_mapping.txt", synset_mapping_bytes(manifest, texts))
    outdir.write_bytes(f"{DEVKIT_DATA}/meta.mat", meta_mat_bytes(manifest, texts, everything))
    val = chosen.get("val", [])
    if val:
        truth = ground_truth_bytes(manifest, val)
        outdir.write_bytes(f"{DEVKIT_DATA}/ILSVRC2012_validation_ground_truth.txt", truth)
    boxed = [item for item in val if item.boxes]
    if boxed:
        rows = [(item.name, item.wnid, _boxes(run, item)) for item in boxed]
        outdir.write_bytes("LOC_val_solution.csv", solution_bytes(rows))


def _boxes(run: Run, item: ReleaseItem) -> list[tuple[float, ...]]:
    """The item's boxes in the exported image's pixels (turned upright and scaled with it)."""
    if not run.rendering.needs_work(item):
        return [tuple(box) for box in item.boxes]
    data = read_blob(run.release, item, verify=False)
    return [tuple(box) for box in exported_boxes(data, run.rendering, item)]


def _plain(texts: Mapping[str, SynsetText]) -> dict[str, list[str]]:
    return {wnid: [t.words, t.gloss] for wnid, t in texts.items()}
