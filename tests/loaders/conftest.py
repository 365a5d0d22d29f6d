"""Loader test fixtures: a real-photo release and its exports, made by the real exporters."""

from __future__ import annotations

from pathlib import Path

import pytest

from synsetdb.formats import ExportOptions, get_exporter
from synsetdb.release import Release
from tests.fixtures.releases import small_release

# 20 train and 4 val images per class: 60 train samples, enough for orders to differ.
TRAIN_PER_CLASS = 20
VAL_PER_CLASS = 4


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """3 classes (dog, domestic cat, sunflower), one PNG per class in train."""
    blobs = tmp_path_factory.mktemp("blobs")
    return small_release(blobs, train_per_class=TRAIN_PER_CLASS, val_per_class=VAL_PER_CLASS)


@pytest.fixture(scope="module")
def wds(release: Release, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release as WebDataset shards: 12 train, 4 val (multiples of 2 ranks x 2 workers)."""
    out = tmp_path_factory.mktemp("wds")
    options = ExportOptions(shard_size=60_000, shard_multiple=4, workers=0)
    get_exporter("webdataset").export(release, out, options)
    return out


@pytest.fixture(scope="module")
def ilsvrc(release: Release, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release in the ILSVRC/ImageFolder layout."""
    out = tmp_path_factory.mktemp("ilsvrc")
    get_exporter("ilsvrc").export(release, out, ExportOptions(workers=0))
    return out


@pytest.fixture(scope="module")
def wds3(release: Release, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release as WebDataset shards, 3 per split: uneven over 2 workers or 2 ranks."""
    out = tmp_path_factory.mktemp("wds3")
    options = ExportOptions(shard_size=100_000_000, shard_multiple=3, workers=0)
    get_exporter("webdataset").export(release, out, options)
    return out
