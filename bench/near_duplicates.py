"""Benchmark: near-duplicate grouping of what people make of one photo, against today's pHash.

Real photographs (scikit-image's sample photos, and the demo bundle's photos
that are not scikit-image's) are each copied the ways people copy pictures:
cropped by 5-20% from one side, from a corner (two sides) or around the
centre, straightened by 2-10 degrees either way (turned, then cut to the
largest upright rectangle of the same shape), mirrored, rescaled 0.5-2x and
recompressed as JPEG at quality 30-95. Every original and copy goes through
what ingest does (``inspect_image``: the pHash and the thumbnail) and what the
first grouping does (``packed_variants`` of the thumbnail). Then, in the same
run and at the same radius (6):

- (old) ``duplicate_groups``: pHashes only, as before variant hashes;
- (new) ``variant_groups``: each pHash against every pHash and variant hash.

Measured:

- recall: copies that land in one group with their original;
- false grouping: pairs of distinct pictures in one group, among the photos
  and the quarters of each (distinct pictures; the retina's are left out: a
  disc on black, its halves mirror each other), and separately among the
  demo bundle's emoji (drawings on white, where pHashes crowd);
- speed: grouping N random hashes (100,000; ``--quick``: 10,000) with 41
  random variant hashes each, against grouping the N pHashes alone.

Usage:
    python bench/near_duplicates.py            # every photo, 14 copies each, 100k hashes
    python bench/near_duplicates.py --quick    # 6 photos, 7 copies each, 10k hashes
    python bench/near_duplicates.py --json     # only the JSON summary on stdout
"""

from __future__ import annotations

import argparse
import io
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from _measure import log, print_table_and_notes, text_table
from taxonomy import machine

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "src" / "synsetdb" / "demo" / "bundle"
RADIUS = 6
PHOTOS = (
    "astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field", "retina",
    "camera", "coins", "moon", "clock", "brick", "gravel", "page", "grass",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Sizes:
    photos: int
    rounds: int  # each round makes one side, corner and centre crop and one turn
    hashes: int


FULL = Sizes(len(PHOTOS), 3, 100_000)
QUICK = Sizes(6, 1, 10_000)


# ----------------------------------------------------------------------------- pictures


def originals(count: int) -> dict[str, Image.Image]:
    """The real photographs: scikit-image's, then the demo bundle's own."""
    import skimage.data

    found = {}
    for name in PHOTOS[:count]:
        pixels = np.asarray(getattr(skimage.data, name)(), dtype=np.uint8)
        found[name] = Image.fromarray(pixels).convert("RGB")
    for path in sorted((BUNDLE / "images").glob("*/*.jpg")) if count == len(PHOTOS) else ():
        if not _is_emoji(path) and not path.name.startswith("scikit-image"):
            found[path.stem] = Image.open(path).convert("RGB")
    return found


def emoji() -> dict[str, Image.Image]:
    return {p.stem: Image.open(p).convert("RGB") for p in sorted(BUNDLE.glob("images/*/*.jpg"))
            if _is_emoji(p)}  # fmt: skip


def _is_emoji(path: Path) -> bool:
    return path.name.split("-")[0] in ("emojione", "fluent", "noto", "openmoji", "twemoji")


def _crop(image: Image.Image, sides: Sequence[float]) -> Image.Image:
    w, h = image.size
    left, top, right, bottom = sides
    return image.crop(
        (round(left * w), round(top * h), round(w - right * w), round(h - bottom * h))
    )


def _straighten(image: Image.Image, degrees: float) -> Image.Image:
    w, h = image.size
    turned = image.rotate(degrees, resample=Image.Resampling.BICUBIC)
    t = math.radians(abs(degrees))
    keep = min(w / (w * math.cos(t) + h * math.sin(t)), h / (w * math.sin(t) + h * math.cos(t)))
    box = ((w - w * keep) / 2, (h - h * keep) / 2, (w + w * keep) / 2, (h + h * keep) / 2)
    return turned.crop(tuple(round(v) for v in box))


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def copies(image: Image.Image, rounds: int, rng: random.Random) -> list[tuple[str, Image.Image]]:
    """What people make of one photo, drawn at random within the ranges of the docstring."""
    made: list[tuple[str, Image.Image]] = []
    for _ in range(rounds):
        f = rng.uniform(0.05, 0.2)
        side = rng.randrange(4)
        made.append(("crop side", _crop(image, [f if i == side else 0 for i in range(4)])))
        f, corner = rng.uniform(0.05, 0.2), rng.randrange(4)
        sides = [f if i in (corner, (corner + 1) % 4) else 0 for i in range(4)]
        made.append(("crop corner", _crop(image, sides)))
        f = rng.uniform(0.05, 0.2)
        made.append(("crop centre", _crop(image, [f / 2] * 4)))
        made.append(("turn", _straighten(image, rng.uniform(2, 10) * rng.choice((-1, 1)))))
    made.append(("mirror", image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    s = rng.uniform(0.5, 2.0)
    w, h = image.size
    made.append(("rescale", image.resize((round(w * s), round(h * s)), Image.Resampling.BICUBIC)))
    made.append(("recompress", _jpeg(image, rng.randint(30, 95))))
    return made


def quarters(image: Image.Image) -> list[Image.Image]:
    w, h = image.size
    return [image.crop((x * w // 2, y * h // 2, (x + 1) * w // 2, (y + 1) * h // 2))
            for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]  # fmt: skip


# ----------------------------------------------------------------------------- hashing


def record(image: Image.Image) -> tuple[int, np.ndarray]:
    """What ingest stores (the pHash, the thumbnail) and the variant hashes made from it."""
    from synsetdb.imaging.variants import packed_variants, unpack
    from synsetdb.ingest.validate import ValidationConfig, inspect_image

    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    inspected = inspect_image(out.getvalue(), ValidationConfig())
    assert inspected.thumbnail is not None  # type: ignore[union-attr]
    return inspected.phash, unpack(packed_variants(inspected.thumbnail))  # type: ignore[union-attr]


def both_groupings(records: Sequence[tuple[int, np.ndarray]]) -> tuple[list[int], list[int]]:
    """The group of each record (its own position when alone), old way and new way."""
    from synsetdb.imaging import duplicate_groups, variant_groups

    ids = [f"{i:06d}" for i in range(len(records))]
    keys = [k for k, _ in records]
    found = []
    for groups in (
        duplicate_groups(ids, keys, RADIUS),
        variant_groups(ids, keys, [v for _, v in records], RADIUS),
    ):
        label = list(range(len(records)))
        for g in groups:
            for member in g.ids:
                label[int(member)] = int(g.ids[0])
        found.append(label)
    return found[0], found[1]


def false_pairs(label: Sequence[int]) -> int:
    sizes: dict[int, int] = {}
    for value in label:
        sizes[value] = sizes.get(value, 0) + 1
    return sum(n * (n - 1) // 2 for n in sizes.values())


# ----------------------------------------------------------------------------- measures


def measure_recall(sizes: Sizes) -> dict[str, Any]:
    rng = random.Random(2026)
    records, owner, kinds = [], [], []
    for name, image in originals(sizes.photos).items():
        log(f"copies of {name}")
        records.append(record(image))
        owner.append(len(records) - 1)
        kinds.append("original")
        mine = owner[-1]
        for kind, copy in copies(image, sizes.rounds, rng):
            records.append(record(copy))
            owner.append(mine)
            kinds.append(kind)
    old, new = both_groupings(records)
    by_kind: dict[str, dict[str, int]] = {}
    for i, kind in enumerate(kinds):
        if kind == "original":
            continue
        row = by_kind.setdefault(kind, {"copies": 0, "old": 0, "new": 0})
        row["copies"] += 1
        row["old"] += old[i] == old[owner[i]]
        row["new"] += new[i] == new[owner[i]]
    # Copies of different photos in one group (the groups of this whole set).
    wrong = {
        way: sum(1 for i in range(len(label)) for j in range(i)
                 if label[i] == label[j] and owner[i] != owner[j])
        for way, label in (("old", old), ("new", new))
    }  # fmt: skip
    return {"originals": len(set(owner)), "by_kind": by_kind,
            "across_photos": wrong}  # fmt: skip


def measure_false(pictures: Sequence[Image.Image]) -> dict[str, Any]:
    old, new = both_groupings([record(p) for p in pictures])
    pairs = len(pictures) * (len(pictures) - 1) // 2
    return {"pictures": len(pictures), "pairs": pairs,
            "old": false_pairs(old), "new": false_pairs(new)}  # fmt: skip


def measure_speed(n: int) -> dict[str, Any]:
    from synsetdb.imaging import VARIANT_COUNT, duplicate_groups, variant_groups

    rng = np.random.default_rng(7)
    keys = rng.integers(0, 2**64, size=n, dtype=np.uint64)
    variants = list(rng.integers(0, 2**64, size=(n, VARIANT_COUNT), dtype=np.uint64))
    ids = [str(i) for i in range(n)]
    timings = {}
    for way, run in (
        ("old", lambda: duplicate_groups(ids, keys, RADIUS)),
        ("new", lambda: variant_groups(ids, keys, variants, RADIUS)),
    ):
        start = time.perf_counter()
        run()
        timings[way] = time.perf_counter() - start
    return {"hashes": n, "variants_each": VARIANT_COUNT, "old_s": timings["old"],
            "new_s": timings["new"], "ratio": timings["new"] / timings["old"]}  # fmt: skip


def _timed(what: str, run: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = run()
    log(f"{what}: {time.perf_counter() - start:.1f} s")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 photos, 10,000 random hashes")
    parser.add_argument("--json", action="store_true", help="print only the JSON summary")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    recall = _timed("recall", lambda: measure_recall(sizes))
    photos = originals(sizes.photos)
    distinct = list(photos.values())
    distinct += [q for name, im in photos.items() if name != "retina" for q in quarters(im)]
    false = _timed("false grouping (photos)", lambda: measure_false(distinct))
    drawings = _timed("false grouping (emoji)", lambda: measure_false(list(emoji().values())))
    speed = _timed("speed", lambda: measure_speed(sizes.hashes))
    kinds = recall["by_kind"]
    total = {w: sum(r[w] for r in kinds.values()) for w in ("copies", "old", "new")}
    checks = {
        "new finds more copies than old": total["new"] > total["old"],
        "new groups at least 80% of the copies": total["new"] >= 0.8 * total["copies"],
        "no distinct photos grouped": false["new"] == 0,
        "no copies of different photos grouped": recall["across_photos"]["new"] == 0,
    }
    result = {
        "bench": "near_duplicates",
        "mode": "quick" if args.quick else "full",
        "date": date.today().isoformat(),
        "machine": machine(),
        "radius": RADIUS,
        "recall": {
            "by_kind": kinds,
            "total": total,
            "ratio_new_to_old": total["new"] / max(1, total["old"]),
        },
        "across_photos": recall["across_photos"],
        "false_photos": false,
        "false_emoji": drawings,
        "speed": speed,
        "checks": checks,
        "checks_ok": all(checks.values()),
    }
    if not args.json:
        rows = [["copy", "copies", "old (pHash)", "new (variants)"]]
        rows += [[k, str(r["copies"]), str(r["old"]), str(r["new"])] for k, r in kinds.items()]
        rows.append(["all", str(total["copies"]), str(total["old"]), str(total["new"])])
        notes = [
            f"recall: new {total['new'] / total['copies']:.1%}, old "
            f"{total['old'] / total['copies']:.1%} ({result['recall']['ratio_new_to_old']:.1f}x)",
            f"false pairs among {false['pictures']} distinct photos ({false['pairs']:,} pairs): "
            f"old {false['old']}, new {false['new']}",
            f"false pairs among {drawings['pictures']} emoji ({drawings['pairs']:,} pairs): "
            f"old {drawings['old']} ({drawings['old'] / max(1, drawings['pairs']):.3%}), "
            f"new {drawings['new']} ({drawings['new'] / max(1, drawings['pairs']):.3%})",
            f"copies of different photos grouped: old {recall['across_photos']['old']}, "
            f"new {recall['across_photos']['new']}",
            f"grouping {speed['hashes']:,} random hashes: old {speed['old_s']:.2f} s, new "
            f"{speed['new_s']:.2f} s with {speed['variants_each']} variants each "
            f"({speed['ratio']:.0f}x)",
            *(f"check {name}: {'ok' if ok else 'FAILED'}" for name, ok in checks.items()),
        ]
        print_table_and_notes(text_table(rows), notes)
    print(json.dumps(result))
    return 0 if result["checks_ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
