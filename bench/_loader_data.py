"""The loader benchmark's data: the same JPEGs as an ImageFolder tree and as WebDataset shards.

The images are the ingest benchmark's (``_ingest_images.py``: distinct
ImageNet-like JPEGs made from scikit-image's photographs, mostly 500×375,
quality 75–96, cached under ``bench/.cache/ingest/``); its ``set-v2-N/<wnid>/``
folder is already an ImageFolder tree. For the shards they are stored in a
blob store, described by a one-split release manifest (classes in wnid order,
so that the labels of both sides agree) and exported by synsetdb's real
WebDataset exporter (``synsetdb.formats``), under ``bench/.cache/loader/``
(gitignored). Everything is reused by later runs: blobs are content-addressed
and the export is resumable (a rerun checks the shards and rewrites nothing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from _ingest_images import CACHE as INGEST_CACHE
from _ingest_images import VERSION, ImageSet, image_set
from _measure import log
from synsetdb.catalog.blobs import LocalBlobStore
from synsetdb.formats import ExportOptions, get_exporter
from synsetdb.hierarchy import Taxonomy
from synsetdb.release import Manifest, Release, ReleaseClass, ReleaseItem

CACHE = INGEST_CACHE.parent / "loader"
SHARD_SIZE = 32 * 10**6  # bytes per shard: 10 shards for 5,000 images (a multiple of 2)


@dataclass(frozen=True, slots=True)
class LoaderData:
    """Where each side reads the same images from, and what it should yield."""

    count: int
    folder: Path  # <folder>/<wnid>/<wnid>_<i>.JPEG
    shards: Path  # a WebDataset export: index.json and train-NNNNNN.tar
    labels: dict[str, int]  # file stem (= sample key) -> class index
    total_bytes: int
    shard_count: int


def prepare(count: int, shard_multiple: int) -> LoaderData:
    """The image set, its release and its WebDataset export (made once, then reused)."""
    images = image_set(count)
    release = _release(images)
    out = CACHE / f"wds-v{VERSION}-{count}-m{shard_multiple}"
    log(f"WebDataset export of {count:,} images under {out} (reused when complete)")
    options = ExportOptions(shard_size=SHARD_SIZE, shard_multiple=shard_multiple, workers=0)
    get_exporter("webdataset").export(release, out, options)
    index = json.loads((out / "index.json").read_text())
    labels = {
        Path(rel).stem: release.manifest.class_to_idx[rel.split("/")[0]] for rel in images.files
    }
    return LoaderData(
        count=count,
        folder=images.root,
        shards=out,
        labels=labels,
        total_bytes=images.total_bytes,
        shard_count=len(index["splits"]["train"]["shards"]),
    )


def _release(images: ImageSet) -> Release:
    """One ``train`` split of every image, its class the folder's wnid."""
    blobs = LocalBlobStore(CACHE / "blobs", durable=False)
    wnids = sorted({rel.split("/")[0] for rel in images.files})
    items = []
    for rel in images.files:
        key = blobs.put((images.root / rel).read_bytes())
        items.append(ReleaseItem(key, rel.split("/")[0], "train", key, Path(rel).stem))
    blobs.sync()
    items.sort(key=lambda it: (it.split, it.wnid, it.name))
    manifest = Manifest(
        classes=tuple(ReleaseClass(i, wnid, wnid) for i, wnid in enumerate(wnids)),
        hierarchy=_induced(wnids),
        items=tuple(items),
        spec={"name": "bench/loader.py", "images": images.count},
    )
    return Release(f"bench-loader-{images.count}", manifest, blobs)


def _induced(wnids: list[str]) -> dict[str, tuple[str, ...]]:
    wordnet = Taxonomy.wordnet()
    nodes = {a for w in wnids for a in wordnet.ancestors(w, include_self=True)}
    return {w: tuple(sorted(wordnet.parents(w))) for w in sorted(nodes)}


def warm(data: LoaderData) -> None:
    """Read every file of both copies once, so no side pays for a first read from disk."""
    for path in [*data.folder.rglob("*.JPEG"), *data.shards.glob("*.tar")]:
        with path.open("rb") as f:
            while f.read(1 << 20):
                pass
