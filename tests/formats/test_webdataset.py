"""WebDataset shards, read back by the ``webdataset`` package."""

from __future__ import annotations

import itertools
import json
import tarfile
from collections import Counter
from pathlib import Path

import pytest
import webdataset as wds
from PIL import Image

from synsetdb.errors import FormatError
from synsetdb.formats import class_path
from synsetdb.release import Release

from .conftest import Export, renamed, sha256sum_check


def read_shards(urls: list[str]) -> list[dict[str, object]]:
    dataset = wds.WebDataset(urls, shardshuffle=False, empty_check=False).decode("pil")
    return list(dataset)


def test_webdataset_reads_back_every_sample_with_identical_keys_and_labels(
    release: Release, export: Export
) -> None:
    out = Path(export(release, "webdataset").out)
    index = json.loads((out / "index.json").read_text())
    manifest = release.manifest
    for split in ("train", "val"):
        urls = [str(out / shard["file"]) for shard in index["splits"][split]["shards"]]
        samples = read_shards(urls)
        got = {s["__key__"]: s["cls"] for s in samples}
        want = {i.name: manifest.class_to_idx[i.wnid] for i in manifest.items_in(split)}
        assert got == want
        by_name = {i.name: i for i in manifest.items_in(split)}
        for sample in samples:
            item = by_name[str(sample["__key__"])]
            image = sample.get("jpg", sample.get("png"))
            assert isinstance(image, Image.Image)
            assert ("png" in sample) == (item.format == "PNG")  # formats kept, not re-encoded
            meta = sample["json"]
            assert meta == {
                "wnid": item.wnid,
                "name": manifest.classes[manifest.class_to_idx[item.wnid]].name,
                "path": class_path(manifest.hierarchy, item.wnid),
                "image": item.image,
                "split": split,
                "blurred": False,
                "source": None,
                "licence": None,
            }


def test_shards_are_plain_ustar_with_each_samples_members_adjacent(
    release: Release, export: Export
) -> None:
    out = Path(export(release, "webdataset").out)
    for shard in sorted(out.glob("*.tar")):
        with tarfile.open(shard) as tar:
            members = tar.getmembers()
            assert all(m.isfile() and m.mtime == 0 for m in members)
        names = [m.name for m in members]
        keys = [n.split(".", 1)[0] for n in names]
        assert [n.split(".", 1)[1] for n in names[1::3]] == ["cls"] * (len(names) // 3)
        assert keys[::3] == keys[1::3] == keys[2::3]  # three members per sample, adjacent
        assert len(set(keys)) == len(names) // 3
        raw = shard.read_bytes()
        assert raw[257:263] == b"ustar\x00"  # POSIX ustar magic, not GNU's "ustar  "
    sha256sum_check(out)


def test_class_path_runs_from_a_root_along_first_parents(release: Release) -> None:
    hierarchy = release.manifest.hierarchy
    path = class_path(hierarchy, "n02084071")
    assert path[0] == "n00001740" and path[-1] == "n02084071"  # entity ... dog
    for parent, child in itertools.pairwise(path):
        assert hierarchy[child][0] == parent


def test_samples_are_shuffled_across_shards_deterministically(
    release: Release, export: Export, tmp_path: Path
) -> None:
    out = Path(export(release, "webdataset", shard_multiple=3).out)
    index = json.loads((out / "index.json").read_text())
    shards = index["splits"]["train"]["shards"]
    assert [s["samples"] for s in shards] == [6, 6, 6]
    for shard in shards:
        labels = Counter(s["cls"] for s in read_shards([str(out / shard["file"])]))
        assert len(labels) >= 2  # not one class per shard
    again = Path(export(release, "webdataset", out=tmp_path / "again", shard_multiple=3).out)
    assert (again / "SHA256SUMS").read_text() == (out / "SHA256SUMS").read_text()


@pytest.mark.parametrize(("shard_size", "multiple", "expected"), [
    (10**9, 4, 4),  # one shard by size, rounded up to 4
    (1, 4, 16),  # a shard per sample by size: as many as stay a multiple of 4 (18 // 4 * 4)
    (60_000, 1, None),  # cut by size: several shards
])  # fmt: skip
def test_shard_count_is_a_multiple_and_no_shard_is_empty(
    release: Release,
    export: Export,
    shard_size: int,
    multiple: int,
    expected: int | None,
) -> None:
    out = Path(export(release, "webdataset", shard_size=shard_size, shard_multiple=multiple).out)
    index = json.loads((out / "index.json").read_text())
    counts = [s["samples"] for s in index["splits"]["train"]["shards"]]
    assert len(counts) % multiple == 0 and min(counts) >= 1 and sum(counts) == 18
    assert len(counts) == expected if expected is not None else len(counts) > 1
    assert max(counts) - min(counts) <= 1  # spread evenly
    for split, entry in index["splits"].items():
        files = sorted(p.name for p in out.glob(f"{split}-*.tar"))
        assert files == [s["file"] for s in entry["shards"]]
        assert files == [f"{split}-{i:06d}.tar" for i in range(len(files))]
        for shard in entry["shards"]:
            assert (out / shard["file"]).stat().st_size == shard["bytes"]


def test_index_json(release: Release, export: Export) -> None:
    out = Path(export(release, "webdataset").out)
    index = json.loads((out / "index.json").read_text())
    assert index["format"] == "synsetdb-webdataset/1"
    assert index["release"] == {"name": release.name, "sha256": release.sha256}
    assert index["classes"] == [[c.index, c.wnid, c.name] for c in release.manifest.classes]
    assert {s: e["samples"] for s, e in index["splits"].items()} == {"train": 18, "val": 9}


def test_too_few_samples_for_the_shard_multiple_is_refused(
    release: Release, export: Export, tmp_path: Path
) -> None:
    with pytest.raises(FormatError) as error:
        export(release, "webdataset", out=tmp_path / "out", shard_multiple=10)  # val has 9
    assert error.value.code == "E_EXPORT_SHARDS"
    assert not (tmp_path / "out").exists()


def test_keys_replace_dots_and_provenance_fills_the_json(release: Release, export: Export) -> None:
    item = release.manifest.items[0]
    dotted = renamed(release, 0, "photo.v2.final")
    provenance = {item.image: ("flickr", "CC-BY-2.0")}
    out = Path(export(dotted, "webdataset", provenance=provenance).out)
    samples = read_shards([str(p) for p in sorted(out.glob(f"{item.split}-*.tar"))])
    sample = next(s for s in samples if s["__key__"] == "photo_v2_final")
    assert sample["json"]["source"] == "flickr" and sample["json"]["licence"] == "CC-BY-2.0"


def test_names_that_would_share_a_key_are_refused(
    release: Release, export: Export, tmp_path: Path
) -> None:
    clash = renamed(renamed(release, 0, "a.b"), 1, "a_b")
    with pytest.raises(FormatError) as error:
        export(clash, "webdataset", out=tmp_path / "out")
    assert error.value.code == "E_EXPORT_NAME" and not (tmp_path / "out").exists()
