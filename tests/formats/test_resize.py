"""Resized renditions at export: shorter side N, never upscaled, aspect kept, JPEG quality Q."""

from __future__ import annotations

import dataclasses
import io
import json
import tarfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from PIL import Image, ImageOps

from synsetdb.formats._images import output_size
from synsetdb.ingest.sources.devkit import parse_prediction, read_solution
from synsetdb.release import Release
from tests.fixtures.photos import encode, orientation_exif, photo

from .conftest import Export, with_items

SIDE = 130  # the JPEGs are 160x120 (kept), one PNG is 200x150 (shrunk)


def exported_images(out: Path, fmt: str) -> dict[str, bytes]:
    """Item name -> exported image bytes, whatever the format."""
    if fmt == "ilsvrc":
        return {p.stem: p.read_bytes() for p in out.glob("*/*/*.JPEG")}
    if fmt == "webdataset":
        found = {}
        for shard in out.glob("*.tar"):
            with tarfile.open(shard) as tar:
                for member in tar:
                    key, ext = member.name.split(".", 1)
                    if ext in ("jpg", "png", "webp"):
                        found[key] = tar.extractfile(member).read()  # type: ignore[union-attr]
        return found
    rows = [r for f in out.glob("*.parquet") for r in pq.read_table(f).to_pylist()]
    return {r["image"]["path"].rsplit(".", 1)[0]: r["image"]["bytes"] for r in rows}


@pytest.mark.parametrize("fmt", ["ilsvrc", "webdataset", "parquet"])
def test_shorter_side_never_upscaled_aspect_kept(
    release: Release, export: Export, fmt: str
) -> None:
    report = export(release, fmt, resize_side=SIDE, resize_quality=80)
    images = exported_images(Path(report.out), fmt)
    assert len(images) == len(release.manifest.items)
    shrunk = kept = 0
    for item in release.manifest.items:
        source = Image.open(io.BytesIO(release.read(item)))
        exported = Image.open(io.BytesIO(images[item.name]))
        (w, h), (ew, eh) = source.size, exported.size
        assert exported.format == "JPEG"
        if min(w, h) <= SIDE:
            assert (ew, eh) == (w, h)  # never upscaled
            kept += 1
        else:
            assert min(ew, eh) == SIDE
            assert abs(ew / eh - w / h) < 0.02  # aspect kept
            shrunk += 1
    assert shrunk and kept
    assert report.reencoded >= shrunk


def test_a_small_jpeg_is_not_recompressed(release: Release, export: Export) -> None:
    out = Path(export(release, "ilsvrc", resize_side=1000).out)
    for item in release.manifest.items:
        if item.format == "JPEG":
            assert (
                out / item.split / item.wnid / f"{item.name}.JPEG"
            ).read_bytes() == release.read(item)


def test_quality_is_applied(release: Release, export: Export, tmp_path: Path) -> None:
    low = exported_images(
        Path(export(release, "ilsvrc", out=tmp_path / "q", resize_side=64, resize_quality=20).out),
        "ilsvrc",
    )
    high = exported_images(
        Path(export(release, "ilsvrc", out=tmp_path / "h", resize_side=64, resize_quality=95).out),
        "ilsvrc",
    )
    assert sum(map(len, low.values())) < sum(map(len, high.values())) / 2


def test_boxes_are_scaled_with_their_image(release: Release, export: Export) -> None:
    out = Path(export(release, "ilsvrc", resize_side=60).out)
    solution = read_solution(out / "LOC_val_solution.csv")
    for item in release.manifest.items_in("val"):
        if not item.boxes:
            continue
        w, h = Image.open(io.BytesIO(release.read(item))).size
        ew, eh = output_size((w, h), 60)
        (box,) = parse_prediction(solution[item.name])
        x0, _, _, y1 = item.boxes[0]
        assert box.x0 == pytest.approx(x0 * ew / w, abs=0.01)
        assert box.y1 == pytest.approx(y1 * eh / h, abs=0.01)
    summary = json.loads((out / "export.json").read_text())
    assert summary["options"]["resize_side"] == 60


@pytest.mark.parametrize(
    ("size", "side", "expected"),
    [((500, 375), 256, (341, 256)), ((375, 500), 256, (256, 341)), ((200, 100), 256, (200, 100)),
     ((256, 300), 256, (256, 300)), ((3000, 10), 5, (1500, 5))],
)  # fmt: skip
def test_output_size(size: tuple[int, int], side: int, expected: tuple[int, int]) -> None:
    assert output_size(size, side) == expected
    assert output_size(size, None) == size


def test_exif_rotated_images_come_out_upright(release: Release, export: Export) -> None:
    data = encode(photo("chelsea", (120, 80)), "JPEG", exif=orientation_exif(6))
    key = release.blobs.put(data)  # stored 120x80, displayed 80x120
    items = list(release.manifest.items)
    items[1] = dataclasses.replace(items[1], blob=key, image=key)
    out = Path(export(with_items(release, items), "ilsvrc", resize_side=40).out)
    exported = exported_images(out, "ilsvrc")[items[1].name]
    assert Image.open(io.BytesIO(exported)).size == (40, 60)


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("side", [40, None])
def test_boxes_turn_upright_with_their_image(
    release: Release, export: Export, tmp_path: Path, orientation: int, side: int | None
) -> None:
    """A re-encoded image is turned upright (and resized): its boxes must follow it."""
    stored = photo("chelsea", (160, 120))
    box = (10.0, 12.0, 90.0, 100.0)  # in the stored pixel grid, as every box of a release
    fmt = "JPEG" if side else "PNG"  # a PNG is re-encoded even without resizing
    key = release.blobs.put(encode(stored, fmt, exif=orientation_exif(orientation)))
    items = list(release.manifest.items)
    i = next(i for i, item in enumerate(items) if item.boxes)
    items[i] = dataclasses.replace(items[i], blob=key, image=key, format=fmt, boxes=(box,))
    out = Path(export(with_items(release, items), "ilsvrc", resize_side=side).out)
    (got,) = parse_prediction(read_solution(out / "LOC_val_solution.csv")[items[i].name])
    # the truth: paint the box in the stored grid, turn the painting upright, scale it
    mask = Image.new("L", stored.size, 0)
    mask.paste(255, tuple(int(v) for v in box))  # type: ignore[arg-type]
    turned = ImageOps.exif_transpose(
        Image.open(io.BytesIO(encode(mask, "PNG", exif=orientation_exif(orientation))))
    )
    exported = Image.open(io.BytesIO(exported_images(out, "ilsvrc")[items[i].name]))
    sx, sy = exported.width / turned.width, exported.height / turned.height
    x0, y0, x1, y1 = turned.getbbox()  # type: ignore[misc]
    want = (x0 * sx, y0 * sy, x1 * sx, y1 * sy)
    assert (got.x0, got.y0, got.x1, got.y1) == pytest.approx(want, abs=0.006)
