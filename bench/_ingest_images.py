"""The ingest benchmark's image set: distinct ImageNet-sized JPEGs made from offline photographs.

Every image comes from one of scikit-image's bundled sample photographs (no
network), varied by a seeded random rotation, crop, scale, mirror, brightness
and colour tweak, sensor-like grain and JPEG quality, then saved at an
ImageNet-typical size (mostly 500x375; also 500x333, 375x500, 500x500…). The
grain matters: the sample photos are small and smooth, and upscaled crops of
them would compress to about 35 kB, a third of an average ImageNet JPEG
(about 110 kB); with it they average about 50 kB. Image ``i`` depends only on
``i`` and ``VERSION``, so a set of N images is the first N of the sequence and
reruns reuse the cache.

The bench keeps its own generator rather than importing ``tests.fixtures``:
a benchmark must not change because a test fixture did (its images, and so its
numbers, would silently move between runs), and the test helpers make small
images for speed, not realistic ones.

Layout under ``bench/.cache/ingest/`` (gitignored)::

    pool-v2/<wnid>/<wnid>_<i:05d>.JPEG    every image generated so far (v: VERSION)
    pool-v2/MANIFEST.tsv                  i, relative path, size, sha256
    set-v2-<N>/<wnid>/…                   hard links to the first N (a folder to ingest)
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import random
import shutil
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance

from _measure import log

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache" / "ingest"
VERSION = 2  # bump when the generation below changes: the cache is keyed by it
POOL = CACHE / f"pool-v{VERSION}"
MANIFEST = "MANIFEST.tsv"

# scikit-image photographs shipped in its wheel, each with a WordNet noun for its folder.
PHOTOS: tuple[tuple[str, str], ...] = (
    ("astronaut", "n09818022"),  # astronaut
    ("chelsea", "n02123045"),  # tabby cat
    ("coffee", "n07920052"),  # espresso
    ("rocket", "n04266014"),  # space shuttle
    ("hubble_deep_field", "n08270938"),  # galaxy
    ("retina", "n05426989"),  # retina
    ("immunohistochemistry", "n00006484"),  # cell
    ("stereo_motorcycle", "n03790512"),  # motorcycle
    ("camera", "n02942699"),  # camera
    ("coins", "n13388245"),  # coin
    ("moon", "n09358358"),  # moon
    ("clock", "n03046257"),  # clock
    ("brick", "n02897820"),  # brick
    ("gravel", "n14698884"),  # gravel
    ("grass", "n12102133"),  # grass
)
WNIDS = tuple(sorted({wnid for _, wnid in PHOTOS}))

# (width, height, weight): ImageNet's most common shapes, 500x375 by far the most.
SHAPES = (
    (500, 375, 50),
    (500, 333, 20),
    (375, 500, 14),
    (500, 500, 6),
    (500, 400, 5),
    (333, 500, 5),
)


@dataclass(frozen=True, slots=True)
class ImageSet:
    """The first ``count`` images, hard-linked into a folder of their own."""

    count: int
    root: Path  # <root>/<wnid>/<file>
    files: tuple[str, ...]  # paths relative to root, in index order
    total_bytes: int

    def paths(self) -> Iterator[Path]:
        return (self.root / f for f in self.files)

    def url_list(self, base: str, folder: Path) -> Path:
        """Write ``folder/urls-<N>.csv`` (``url,wnid``) for a server at ``base`` serving root."""
        path = folder / f"urls-{self.count}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["url", "wnid"])
            for rel in self.files:
                out.writerow([f"{base}/{rel}", rel.split("/", 1)[0]])
        return path


# ----------------------------------------------------------------------------- one image


@cache
def _photo(name: str) -> Image.Image:
    import skimage.data  # only the generating processes need scikit-image

    pixels = getattr(skimage.data, name)()
    if isinstance(pixels, tuple):  # stereo_motorcycle: (left, right, disparity)
        pixels = pixels[0]
    return Image.fromarray(np.asarray(pixels, dtype=np.uint8)).convert("RGB")


def file_name(i: int) -> str:
    """Where image ``i`` lives, relative to a set's root."""
    wnid = PHOTOS[i % len(PHOTOS)][1]
    return f"{wnid}/{wnid}_{i:05d}.JPEG"


def make_jpeg(i: int) -> bytes:
    """Image ``i``: deterministic, and distinct from every other index in practice."""
    rng = random.Random(f"synsetdb-bench-ingest-v{VERSION}-{i}")
    base = _photo(PHOTOS[i % len(PHOTOS)][0])
    width, height = rng.choices([s[:2] for s in SHAPES], weights=[s[2] for s in SHAPES])[0]
    angle = rng.uniform(-12.0, 12.0) if rng.random() < 0.6 else 0.0
    rotated = base.rotate(angle, Image.Resampling.BICUBIC) if angle else base
    box = _crop_box(rng, base.size, width / height, angle)
    image = rotated.resize((width, height), Image.Resampling.LANCZOS, box=box)
    if rng.random() < 0.5:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = ImageEnhance.Brightness(image).enhance(rng.uniform(0.85, 1.15))
    image = ImageEnhance.Color(image).enhance(rng.uniform(0.8, 1.2))
    image = _grain(image, rng.uniform(2.0, 6.0), rng.randrange(2**32))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=rng.randint(75, 96))
    return out.getvalue()


def _grain(image: Image.Image, sigma: float, seed: int) -> Image.Image:
    """Add camera-like noise: luminance grain of ``sigma`` levels, weaker colour noise."""
    noise = np.random.default_rng(seed)
    pixels = np.asarray(image, dtype=np.float32)
    height, width = pixels.shape[:2]
    pixels = pixels + noise.normal(0.0, sigma, (height, width, 1)).astype(np.float32)
    pixels += noise.normal(0.0, sigma * 0.4, pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels + 0.5, 0, 255).astype(np.uint8))


def _crop_box(
    rng: random.Random, size: tuple[int, int], aspect: float, angle: float
) -> tuple[float, float, float, float]:
    """A random crop of the given aspect whose corners stay inside the rotated photo."""
    src_w, src_h = size
    full_w = min(src_w, src_h * aspect)
    scale = rng.uniform(0.45, 1.0)
    for _ in range(40):
        w, h = full_w * scale, full_w * scale / aspect
        left, top = rng.uniform(0, src_w - w), rng.uniform(0, src_h - h)
        box = (left, top, left + w, top + h)
        if _inside_rotated(box, size, angle):
            return box
        scale *= 0.93
    return box  # tiny crops near the centre always fit; unreachable in practice


def _inside_rotated(
    box: tuple[float, float, float, float], size: tuple[int, int], angle: float
) -> bool:
    """Whether every corner of ``box`` shows photo, not the fill, after rotating by ``angle``."""
    cx, cy = size[0] / 2, size[1] / 2
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    x0, y0, x1, y1 = box
    for x, y in ((x0, y0), (x1, y0), (x0, y1), (x1, y1)):
        # Pillow rotates counter-clockwise: the source pixel is the corner turned back.
        sx = cx + (x - cx) * cos - (y - cy) * sin
        sy = cy + (x - cx) * sin + (y - cy) * cos
        if not (0 <= sx <= size[0] and 0 <= sy <= size[1]):
            return False
    return True


def _write(i: int) -> tuple[int, str, int, str]:
    data = make_jpeg(i)
    rel = file_name(i)
    target = POOL / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp-{os.getpid()}")  # a concurrent run may write it too
    tmp.write_bytes(data)
    tmp.replace(target)
    return i, rel, len(data), hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------- the pool


def _read_manifest() -> list[tuple[str, int, str]]:
    """(relative path, size, sha256) per index, for the images known to be complete."""
    path = POOL / MANIFEST
    if not path.exists():
        return []
    rows = [line.split("\t") for line in path.read_text().splitlines() if line]
    return [(rel, int(size), sha) for _, rel, size, sha in rows]


def ensure_pool(count: int, processes: int | None = None) -> list[tuple[str, int, str]]:
    """Generate images until the pool holds at least ``count``; return its manifest."""
    rows = _read_manifest()
    if len(rows) >= count:
        return rows
    missing = range(len(rows), count)
    log(f"generating {len(missing):,} JPEGs into {POOL} (cached for later runs)")
    POOL.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(processes or os.cpu_count() or 1) as pool:
        made = sorted(pool.map(_write, missing, chunksize=32))
    rows += [(rel, size, sha) for _, rel, size, sha in made]
    digests = {sha for _, _, sha in rows}
    if len(digests) != len(rows):
        raise RuntimeError(f"generated images are not distinct: {len(digests)} of {len(rows)}")
    text = "".join(f"{i}\t{rel}\t{size}\t{sha}\n" for i, (rel, size, sha) in enumerate(rows))
    _replace(POOL / MANIFEST, lambda tmp: tmp.write_text(text))
    return rows


def image_set(count: int) -> ImageSet:
    """The first ``count`` images in a folder of their own (hard links into the pool)."""
    rows = ensure_pool(count)[:count]
    root = CACHE / f"set-v{VERSION}-{count}"
    files = tuple(rel for rel, _, _ in rows)
    if not (root / ".complete").exists():
        _replace(root, lambda partial: _link_all(files, partial))
    return ImageSet(count, root, files, sum(size for _, size, _ in rows))


def _link_all(files: tuple[str, ...], folder: Path) -> None:
    for rel in files:
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        _link(POOL / rel, target)
    (folder / ".complete").write_text(f"{len(files)}\n")


def _replace(target: Path, make: Callable[[Path], object]) -> None:
    """Make ``target`` (file or folder) under a private name, then rename it into place.

    Concurrent runs (a test beside a full run) may both make it: the first
    rename wins and the identical loser is discarded.
    """
    partial = target.with_name(f".{target.name}.{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    make(partial)
    try:
        partial.replace(target)
    except OSError:  # a folder made meanwhile by another run
        shutil.rmtree(partial, ignore_errors=True)


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copyfile(source, target)


def warm_page_cache(images: ImageSet) -> None:
    """Read every file once, so that no side pays for the first read from disk."""
    for path in images.paths():
        with path.open("rb") as f:
            while f.read(1 << 20):
                pass
