"""Export throughput (images/s, MB/s) on the small fixture and a synthetic release.

Not a test (pytest does not collect it); run it by hand::

    python -m tests.formats.throughput --images 5000 --workers 2

The synthetic release has 50 ILSVRC classes, 90% train / 10% val, 500×375
JPEGs (distinct bytes: a numbered JPEG comment on 250 real-photo bases) and
2% PNGs. A plain file copy of the same blobs is measured first, as the disk's
limit for a passthrough export.
"""

from __future__ import annotations

import argparse
import io
import shutil
import tempfile
import time
from pathlib import Path

from PIL import Image

from synsetdb.catalog.blobs import LocalBlobStore
from synsetdb.formats import ExportOptions, get_exporter
from synsetdb.formats._images import Rendering, render
from synsetdb.hierarchy.sets import named_set
from synsetdb.release import Manifest, Release, ReleaseClass, ReleaseItem
from tests.fixtures.photos import encode, jpeg_variants
from tests.fixtures.releases import induced_hierarchy, small_release


def synthetic_release(root: Path, images: int, classes: int = 50) -> Release:
    blobs = LocalBlobStore(root, durable=False)
    bases = jpeg_variants(250, (500, 375))
    wnids = sorted(named_set("ilsvrc2012").wnids)[:classes]
    items = []
    for i in range(images):
        base = bases[i % len(bases)]
        if i % 50 == 49:  # 2% PNGs, each a distinct rotation
            fmt, data = "PNG", encode(Image.open(io.BytesIO(base)).rotate(i % 359 + 1), "PNG")
        else:  # the same pixels, distinct bytes: a numbered COM segment after SOI
            comment = f"synthetic {i}".encode()
            segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
            fmt, data = "JPEG", base[:2] + segment + base[2:]
        key = blobs.put(data)
        wnid = wnids[i % classes]
        split = "val" if i % 10 == 0 else "train"
        items.append(ReleaseItem(key, wnid, split, key, f"{wnid}_{i:06d}", fmt))
    blobs.sync()
    items.sort(key=lambda it: (it.split, it.wnid, it.name))
    manifest = Manifest(
        classes=tuple(ReleaseClass(i, w, w) for i, w in enumerate(wnids)),
        hierarchy=induced_hierarchy(tuple(wnids)),
        items=tuple(items),
    )
    return Release("synthetic", manifest, blobs)


def copy_limit(release: Release, out: Path) -> tuple[float, float]:
    """A plain read-and-write of every blob: images/s and MB/s."""
    assert isinstance(release.blobs, LocalBlobStore)
    out.mkdir()
    start, size = time.monotonic(), 0
    for n, item in enumerate(release.manifest.items):
        data = release.blobs.path(item.blob).read_bytes()
        (out / f"{n}.bin").write_bytes(data)
        size += len(data)
    elapsed = time.monotonic() - start
    return len(release.manifest.items) / elapsed, size / 1e6 / elapsed


def render_limit(release: Release, side: int, count: int = 300) -> float:
    """Images/s of the resize work alone, in this one process (the per-core limit)."""
    rendering = Rendering(frozenset({"JPEG"}), resize_side=side)
    items = release.manifest.items[:count]
    start = time.monotonic()
    for item in items:
        render(release.blobs, rendering, item)
    return len(items) / (time.monotonic() - start)


def warm_up(release: Release, work: Path) -> None:
    """One untimed export per format: first-use imports and initialisation are not export time."""
    for fmt in ("ilsvrc", "webdataset", "parquet"):
        get_exporter(fmt).export(release, work / f"warm-{fmt}", ExportOptions(resize_side=64))
        shutil.rmtree(work / f"warm-{fmt}")


def measure(release: Release, work: Path, workers: int | None, label: str) -> None:
    images, mb = copy_limit(release, work / f"{label}-copy")
    print(f"  resize 256 in one process: {render_limit(release, 256):,.0f} img/s per core")
    print(
        f"{label}: {len(release.manifest.items)} images; "
        f"plain copy {images:,.0f} img/s {mb:,.1f} MB/s"
    )
    for fmt in ("ilsvrc", "webdataset", "parquet"):
        for resize in (None, 256):
            out = work / f"{label}-{fmt}-{resize}"
            options = ExportOptions(workers=workers, resize_side=resize, shard_size=64 * 10**6)
            report = get_exporter(fmt).export(release, out, options)
            print(
                f"  {fmt:10s} resize={resize!s:4s} {report.images_per_s:8,.0f} img/s "
                f"{report.mb_per_s:7,.1f} MB/s  ({report.elapsed_s:.2f} s, "
                f"{report.reencoded} re-encoded, {report.files_written} files)"
            )
            shutil.rmtree(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--work", type=Path, default=None, help="scratch folder (default: a temp one)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        work = Path(tmp)
        warm_up(small_release(work / "warm-blobs"), work)
        measure(small_release(work / "small-blobs"), work, args.workers, "small fixture")
        start = time.monotonic()
        release = synthetic_release(work / "blobs", args.images)
        print(f"(synthetic release built in {time.monotonic() - start:.1f} s)")
        measure(release, work, args.workers, "synthetic")


if __name__ == "__main__":
    main()
