"""The ILSVRC/ImageFolder export, read back by an ImageFolder-contract reader and our ingest."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from PIL import Image

from synsetdb.formats._devkit import describe, meta_mat_bytes
from synsetdb.hierarchy import Taxonomy
from synsetdb.ingest.sources.devkit import (
    parse_prediction,
    read_devkit,
    read_solution,
    read_synset_mapping,
)
from synsetdb.ingest.sources.ilsvrc import open_ilsvrc
from synsetdb.release import Release
from tests.fixtures.releases import CLASSES

from .conftest import Export, sha256sum_check

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


class ImageFolderContract:
    """torchvision's ``ImageFolder`` contract, as a torch map-style dataset (no torchvision here).

    Classes are the sorted sub-folders; samples are ``(path, class_index)``
    in sorted order; ``targets`` their indices.
    """

    def __init__(self, root: Path) -> None:
        import torch.utils.data

        self.classes = sorted(d.name for d in root.iterdir() if d.is_dir())
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.samples = [
            (str(path), self.class_to_idx[c])
            for c in self.classes
            for path in sorted((root / c).iterdir())
            if path.suffix.lower() in IMG_EXTENSIONS
        ]
        self.targets = [t for _, t in self.samples]
        self.dataset = _Dataset(self.samples)
        self.loader = torch.utils.data.DataLoader(self.dataset, batch_size=None, num_workers=0)


class _Dataset:
    def __init__(self, samples: list[tuple[str, int]]) -> None:
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[object, int]:
        import numpy as np
        import torch

        path, target = self.samples[i]
        with Image.open(path) as image:
            pixels = torch.from_numpy(np.asarray(image.convert("RGB")).copy())
        return pixels, target


def test_imagefolder_reader_reads_every_split_with_the_manifest_labels(
    release: Release, export: Export
) -> None:
    report = export(release, "ilsvrc")
    out = Path(report.out)
    manifest = release.manifest
    for split in ("train", "val"):
        folder = ImageFolderContract(out / split)
        assert folder.class_to_idx == manifest.class_to_idx  # classes in wnid order
        expected = sorted(
            (f"{item.name}.JPEG", manifest.class_to_idx[item.wnid])
            for item in manifest.items_in(split)
        )
        got = sorted((Path(p).name, t) for p, t in folder.samples)
        assert got == expected
        assert folder.targets == [t for _, t in folder.samples]
        for (pixels, target), (path, want) in zip(folder.loader, folder.samples, strict=True):
            assert target == want and pixels.ndim == 3 and pixels.shape[2] == 3
            assert Image.open(path).format == "JPEG"
    assert report.total == report.images == len(manifest.items)


def test_jpegs_are_copied_byte_for_byte_and_pngs_become_jpegs(
    release: Release, export: Export
) -> None:
    report = export(release, "ilsvrc")
    out = Path(report.out)
    for item in release.manifest.items:
        data = (out / item.split / item.wnid / f"{item.name}.JPEG").read_bytes()
        original = release.read(item)
        if item.format == "JPEG":
            assert data == original
        else:
            exported, source = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(original))
            assert (exported.format, exported.size) == ("JPEG", source.size)
    assert report.reencoded == sum(item.format != "JPEG" for item in release.manifest.items) == 3


def test_metadata_round_trips_through_our_ilsvrc_ingest(release: Release, export: Export) -> None:
    wordnet = Taxonomy.wordnet()
    out = Path(export(release, "ilsvrc", taxonomy=wordnet).out)
    manifest = release.manifest

    devkit = read_devkit(out)  # finds ILSVRC2012_devkit_t12/ as in the official layout
    classes = devkit.synsets[: len(manifest.classes)]
    assert [(s.ilsvrc2012_id, s.wnid) for s in classes] == [
        (c.index + 1, c.wnid) for c in manifest.classes
    ]
    assert devkit.leaf_wnids == set(manifest.wnids)
    for s in classes:
        assert s.num_children == 0 and s.children == () and s.wordnet_height == 0
        assert s.num_train_images == 6
        assert s.words == wordnet.get(s.wnid).words and s.gloss == wordnet.get(s.wnid).gloss
    inner = {s.wnid: s for s in devkit.synsets[len(manifest.classes) :]}
    assert set(inner) == set(manifest.hierarchy) - set(manifest.wnids)
    for wnid, parents in manifest.hierarchy.items():
        for parent in parents:  # every edge of the hierarchy, from the parent's side
            kids = {devkit.by_id[i].wnid for i in inner[parent].children}
            assert wnid in kids and inner[parent].num_children == len(kids)
            assert (
                inner[parent].wordnet_height > devkit.by_id[devkit_id(devkit, wnid)].wordnet_height
            )

    val = sorted(manifest.items_in("val"), key=lambda item: item.name)
    assert [devkit.val_wnid(i) for i in range(1, len(val) + 1)] == [item.wnid for item in val]

    mapping = read_synset_mapping(out / "LOC_synset_mapping.txt")
    assert list(mapping) == manifest.wnids
    assert mapping["n02121808"] == wordnet.get("n02121808").words

    solution = read_solution(out / "LOC_val_solution.csv")
    boxed = {item.name: item for item in val if item.boxes}
    assert set(solution) == set(boxed) and len(boxed) == len(CLASSES)
    for name, text in solution.items():
        boxes = parse_prediction(text)
        assert [(b.wnid, b.x0, b.y0, b.x1, b.y1) for b in boxes] == [
            (boxed[name].wnid, *box) for box in boxed[name].boxes
        ]


def devkit_id(devkit: object, wnid: str) -> int:
    return next(s.ilsvrc2012_id for s in devkit.synsets if s.wnid == wnid)  # type: ignore[attr-defined]


def test_the_export_ingests_as_the_torchvision_layout(release: Release, export: Export) -> None:
    out = Path(export(release, "ilsvrc").out)
    source = open_ilsvrc(out)
    items = list(source.items())
    labels = {(item.split, Path(item.name).stem): item.wnid for item in items}
    assert all(item.problem is None for item in items)
    assert labels == {(i.split, i.name): i.wnid for i in release.manifest.items}


def test_without_a_taxonomy_class_names_stand_in_for_words(
    release: Release, export: Export
) -> None:
    out = Path(export(release, "ilsvrc").out)
    mapping = read_synset_mapping(out / "LOC_synset_mapping.txt")
    assert mapping == {c.wnid: c.name for c in release.manifest.classes}


def test_checksums_summary_and_layout(release: Release, export: Export) -> None:
    out = Path(export(release, "ilsvrc").out)
    sha256sum_check(out)
    listed = {line.split("  ", 1)[1] for line in (out / "SHA256SUMS").read_text().splitlines()}
    on_disk = {
        str(p.relative_to(out))
        for p in out.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    assert listed == on_disk - {"SHA256SUMS", "export.json"}
    summary = json.loads((out / "export.json").read_text())
    assert summary["format"] == "ilsvrc"
    assert summary["release"] == {"name": release.name, "sha256": release.sha256}
    assert summary["counts"]["splits"] == {"train": 18, "val": 9}
    assert not list(out.rglob("*.part"))


def test_a_split_subset_only(release: Release, export: Export) -> None:
    out = Path(export(release, "ilsvrc", splits=("val",)).out)
    assert not (out / "train").exists() and (out / "val").is_dir()
    assert read_devkit(out).synsets[0].num_train_images == 0


@pytest.mark.parametrize("workers", [2])
def test_the_process_pool_gives_the_same_files(
    release: Release, export: Export, tmp_path: Path, workers: int
) -> None:
    inline = Path(export(release, "ilsvrc", out=tmp_path / "a", resize_side=64).out)
    pooled = Path(
        export(release, "ilsvrc", out=tmp_path / "b", resize_side=64, workers=workers).out
    )
    assert (inline / "SHA256SUMS").read_text() == (pooled / "SHA256SUMS").read_text()


def test_meta_mat_bytes_do_not_depend_on_the_time(release: Release) -> None:
    texts = describe(release.manifest, None)
    first = meta_mat_bytes(release.manifest, texts, release.manifest.items)
    time.sleep(1.1)  # scipy's own header holds the time to the second
    assert meta_mat_bytes(release.manifest, texts, release.manifest.items) == first
