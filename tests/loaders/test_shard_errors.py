"""Bad WebDataset exports: each problem has its own code, in the main process and in workers."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest
from torch.utils.data import DataLoader

from synsetdb.errors import FormatError
from synsetdb.loaders import (
    SampleClassError,
    SampleNoClassError,
    SampleNoImageError,
    ShardCorruptError,
    ShardIndexError,
    ShardMissingError,
    WebDatasetShards,
)
from tests.fixtures.photos import encode, photo
from tests.loaders._helpers import edit_index, one_shard_export, write_tar

JPEG = encode(photo("chelsea", (48, 36)), "JPEG", quality=90)


def copy_of(wds: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(wds, out)
    return out


def first_error(dataset: WebDatasetShards, workers: int = 0) -> FormatError:
    """The error iterating ``dataset`` raises (through DataLoader workers when ``workers``)."""
    source: Any = dataset if not workers else DataLoader(dataset, None, num_workers=workers)
    with pytest.raises(FormatError) as err:
        for _ in source:
            pass
    return err.value


# ----------------------------------------------------------------------------- the index


def test_a_missing_index_is_e_index_missing(tmp_path: Path) -> None:
    with pytest.raises(ShardIndexError) as err:
        WebDatasetShards(tmp_path)
    assert err.value.code == "E_INDEX_MISSING" and "index.json" in str(err.value)


@pytest.mark.parametrize(
    "text",
    [
        b"{not json",
        b"\xff\xfe",
        b"[]",
        b'{"format": "synsetdb-webdataset/2"}',
        b'{"format": "synsetdb-webdataset/1", "classes": []}',
    ],
)
def test_a_corrupt_index_is_e_index_corrupt(tmp_path: Path, text: bytes) -> None:
    (tmp_path / "index.json").write_bytes(text)
    with pytest.raises(ShardIndexError) as err:
        WebDatasetShards(tmp_path)
    assert err.value.code == "E_INDEX_CORRUPT"


def _unsafe_file(index: dict[str, Any]) -> None:
    index["splits"]["train"]["shards"][0]["file"] = "../elsewhere.tar"


def _wrong_total(index: dict[str, Any]) -> None:
    index["splits"]["train"]["samples"] += 1


def _class_gap(index: dict[str, Any]) -> None:
    index["classes"][1][0] = 5


def _empty_shard(index: dict[str, Any]) -> None:
    index["splits"]["train"]["shards"][0]["samples"] = 0


@pytest.mark.parametrize("change", [_unsafe_file, _wrong_total, _class_gap, _empty_shard])
def test_an_inconsistent_index_is_e_index_corrupt(wds: Path, tmp_path: Path, change: Any) -> None:
    root = copy_of(wds, tmp_path)
    edit_index(root, change)
    with pytest.raises(ShardIndexError) as err:
        WebDatasetShards(root)
    assert err.value.code == "E_INDEX_CORRUPT"


# ----------------------------------------------------------------------------- shards


@pytest.mark.parametrize("workers", [0, 2])
def test_a_missing_shard_is_e_shard_missing(wds: Path, tmp_path: Path, workers: int) -> None:
    root = copy_of(wds, tmp_path)
    (root / "train-000003.tar").unlink()
    error = first_error(WebDatasetShards(root, decode="bytes"), workers)
    assert isinstance(error, ShardMissingError) and error.code == "E_SHARD_MISSING"
    assert "train-000003.tar" in str(error)


@pytest.mark.parametrize("workers", [0, 2])
def test_garbage_in_a_shard_is_e_shard_corrupt(wds: Path, tmp_path: Path, workers: int) -> None:
    root = copy_of(wds, tmp_path)
    (root / "train-000001.tar").write_bytes(b"this is not a tar file " * 100)
    error = first_error(WebDatasetShards(root, decode="bytes"), workers)
    assert isinstance(error, ShardCorruptError) and error.code == "E_SHARD_CORRUPT"


def test_a_truncated_shard_is_e_shard_corrupt(wds: Path, tmp_path: Path) -> None:
    root = copy_of(wds, tmp_path)
    shard = root / "train-000000.tar"
    shard.write_bytes(shard.read_bytes()[:5000])  # inside the first image
    error = first_error(WebDatasetShards(root, decode="bytes"))
    assert error.code == "E_SHARD_CORRUPT" and "train-000000.tar" in str(error)


def test_a_shard_cut_between_samples_is_caught_by_its_count(wds: Path, tmp_path: Path) -> None:
    root = copy_of(wds, tmp_path)
    shard = root / "train-000000.tar"
    with tarfile.open(shard) as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar]  # type: ignore[union-attr]
    write_tar(shard, members[:-3])  # a whole, valid tar one sample short
    error = first_error(WebDatasetShards(root, decode="bytes"))
    assert error.code == "E_SHARD_CORRUPT" and "the index says 5" in str(error)


def test_verify_checks_each_shards_sha256(wds: Path, tmp_path: Path) -> None:
    root = copy_of(wds, tmp_path)
    assert len(list(WebDatasetShards(root, decode="bytes", verify=True))) == 60
    shard = root / "train-000002.tar"
    data = bytearray(shard.read_bytes())
    data[-1] ^= 1  # the padding after the end of the archive: still a valid tar
    shard.write_bytes(bytes(data))
    assert len(list(WebDatasetShards(root, decode="bytes"))) == 60
    error = first_error(WebDatasetShards(root, decode="bytes", verify=True))
    assert error.code == "E_SHARD_CORRUPT" and "sha256" in str(error)


# ----------------------------------------------------------------------------- samples


@pytest.mark.parametrize("workers", [0, 2])
def test_a_sample_without_an_image_is_e_sample_no_image(tmp_path: Path, workers: int) -> None:
    members = [("a.jpg", JPEG), ("a.cls", b"0"), ("b.cls", b"1"), ("b.json", b"{}")]
    root = one_shard_export(tmp_path, members, 2)
    error = first_error(WebDatasetShards(root), workers)
    assert isinstance(error, SampleNoImageError) and error.code == "E_SAMPLE_NO_IMAGE"
    assert "'b'" in str(error) and "cls, json" in str(error)


def test_a_sample_without_a_cls_is_e_sample_no_cls(tmp_path: Path) -> None:
    members = [("a.jpg", JPEG), ("a.json", b"{}"), ("b.jpg", JPEG), ("b.cls", b"1")]
    root = one_shard_export(tmp_path, members, 2)
    error = first_error(WebDatasetShards(root))
    assert isinstance(error, SampleNoClassError) and error.code == "E_SAMPLE_NO_CLS"
    assert "'a'" in str(error)


@pytest.mark.parametrize("cls", [b"dog", b"-1", b"2", b"1.0", b""])
def test_a_cls_that_is_not_a_class_index_is_e_sample_cls(tmp_path: Path, cls: bytes) -> None:
    root = one_shard_export(tmp_path, [("a.jpg", JPEG), ("a.cls", cls)], 1)
    error = first_error(WebDatasetShards(root))
    assert isinstance(error, SampleClassError) and error.code == "E_SAMPLE_CLS"


def test_members_of_one_sample_must_be_adjacent(tmp_path: Path) -> None:
    # a.cls comes back after b: the first "a" has no class; the index's count would not match either
    members = [("a.jpg", JPEG), ("b.jpg", JPEG), ("b.cls", b"1"), ("a.cls", b"0")]
    root = one_shard_export(tmp_path, members, 2)
    assert first_error(WebDatasetShards(root)).code == "E_SAMPLE_NO_CLS"


def test_an_undecodable_image_is_e_decode(tmp_path: Path) -> None:
    root = one_shard_export(tmp_path, [("a.jpg", b"not a jpeg"), ("a.cls", b"0")], 1)
    assert first_error(WebDatasetShards(root), workers=2).code == "E_DECODE"
    assert list(WebDatasetShards(root, decode="bytes")) == [(b"not a jpeg", 0)]
