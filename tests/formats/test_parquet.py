"""Parquet files, read back by Hugging Face ``datasets``."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import datasets
import pyarrow.parquet as pq
import pytest
from PIL import Image

from synsetdb.release import Release

from .conftest import Export, sha256sum_check


@pytest.fixture(autouse=True)
def _datasets_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")


def load(files: list[Path]) -> datasets.Dataset:
    loaded = datasets.load_dataset(
        "parquet",
        data_files=[str(f) for f in files],
        split="train",
        cache_dir=str(files[0].parent.parent / "hf-cache"),
    )
    assert isinstance(loaded, datasets.Dataset)
    return loaded


def test_datasets_loads_image_and_classlabel_features_with_identical_labels(
    release: Release, export: Export
) -> None:
    out = Path(export(release, "parquet").out)
    manifest = release.manifest
    for split in ("train", "val"):
        files = sorted(out.glob(f"{split}-*.parquet"))
        assert [f.name for f in files] == [f"{split}-00000-of-00001.parquet"]
        loaded = load(files)
        assert isinstance(loaded.features["image"], datasets.Image)
        assert loaded.features["label"] == datasets.ClassLabel(names=manifest.wnids)
        items = manifest.items_in(split)  # manifest order
        assert loaded["label"] == [manifest.class_to_idx[i.wnid] for i in items]
        assert loaded["wnid"] == [i.wnid for i in items]
        assert loaded["image_sha256"] == [i.image for i in items]
        for row, item in zip(loaded, items, strict=True):
            image = row["image"]
            assert isinstance(image, Image.Image)
            assert image.size == Image.open(io.BytesIO(release.read(item))).size
        raw = loaded.with_format("arrow")["image"].to_pylist()
        assert [hashlib.sha256(r["bytes"]).hexdigest() for r in raw] == [i.blob for i in items]
    sha256sum_check(out)


def test_file_names_count_and_row_groups(release: Release, export: Export) -> None:
    out = Path(export(release, "parquet", shard_multiple=2, row_group_bytes=50_000).out)
    files = sorted(out.glob("train-*.parquet"))
    assert [f.name for f in files] == [
        "train-00000-of-00002.parquet",
        "train-00001-of-00002.parquet",
    ]
    rows = [pq.ParquetFile(f).metadata.num_rows for f in files]
    assert rows == [9, 9]
    groups = pq.ParquetFile(files[0]).metadata.num_row_groups
    assert groups > 1  # cut at ~50 kB of images
    metadata = pq.read_schema(files[0]).metadata
    features = json.loads(metadata[b"huggingface"])["info"]["features"]
    assert features["label"] == {"names": release.manifest.wnids, "_type": "ClassLabel"}
    assert load(files)["label"] == [
        release.manifest.class_to_idx[i.wnid] for i in release.manifest.items_in("train")
    ]
