"""WebDatasetShards over the real exporter's shards, with real DataLoader workers."""

from __future__ import annotations

import collections
import json
import logging
import tarfile
from pathlib import Path
from typing import Any

import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from synsetdb.errors import FormatError
from synsetdb.loaders import SuperclassTarget, WebDatasetShards
from synsetdb.loaders.decode import DraftResize
from synsetdb.release import Release
from tests.fixtures.photos import encode, photo
from tests.loaders._helpers import sha256_hex

MAMMAL, PLANT = "n01861778", "n00017222"


def expected(release: Release, split: str = "train") -> dict[str, tuple[str, int]]:
    """Sample key -> (image sha256, class index), from the manifest."""
    index = release.manifest.class_to_idx
    return {item.name: (item.image, index[item.wnid]) for item in release.manifest.items_in(split)}


def read_all(
    dataset: WebDatasetShards, workers: int = 2, context: str | None = None
) -> list[tuple[str, str, int]]:
    """(key, sha256, target) of every sample a DataLoader yields, in order."""
    loader = DataLoader(
        dataset, batch_size=None, num_workers=workers, multiprocessing_context=context
    )
    return [(key, sha, int(target)) for sha, target, key in loader]


def shards(root: Path, **kw: Any) -> WebDatasetShards:
    kw.setdefault("decode", sha256_hex)
    return WebDatasetShards(root, with_keys=True, **kw)


# ----------------------------------------------------------------------------- partition


@pytest.mark.parametrize("context", ["fork", "spawn"])
def test_two_ranks_by_two_workers_see_every_sample_exactly_once(
    wds: Path, release: Release, context: str
) -> None:
    seen: list[tuple[str, str, int]] = []
    for rank in (0, 1):
        dataset = shards(wds, rank=rank, world_size=2, shuffle_buffer=8, seed=3)
        got = read_all(dataset, context=context)
        assert len(got) == len(dataset)  # __len__ is the rank's share, from the index
        seen += got
    counts = collections.Counter(key for key, _, _ in seen)
    assert counts == collections.Counter(list(expected(release)))  # each key once
    assert {key: (sha, target) for key, sha, target in seen} == expected(release)


def test_ranks_split_the_shards_the_same_way_every_epoch(wds: Path) -> None:
    first, second = (shards(wds, rank=r, world_size=2, shuffle_buffer=5) for r in (0, 1))
    assert [len(first.rank_shards()), len(second.rank_shards())] == [6, 6]
    assert set(first.rank_shards()).isdisjoint(second.rank_shards())
    assert set(first.rank_shards()) | set(second.rank_shards()) == set(first.shards)
    orders = []
    for epoch in (0, 1):
        first.set_epoch(epoch)
        orders.append(first.worker_shards())
        assert set(orders[-1]) == set(first.rank_shards())
    assert orders[0] != orders[1]  # read in a new order, from the same share


def test_one_process_reads_the_split_in_index_order(wds: Path, release: Release) -> None:
    dataset = shards(wds)
    got = [(key, sha, int(t)) for sha, t, key in dataset]
    index = json.loads((wds / "index.json").read_text())
    assert len(got) == len(dataset) == index["splits"]["train"]["samples"]
    assert {key: (sha, t) for key, sha, t in got} == expected(release)
    in_tars = []
    for shard in index["splits"]["train"]["shards"]:
        with tarfile.open(wds / shard["file"]) as tar:
            in_tars += [n.removesuffix(".cls") for n in tar.getnames() if n.endswith(".cls")]
    assert [key for key, _, _ in got] == in_tars  # no shuffle: shards and members in order
    val = shards(wds, split="val")
    assert {key for _, _, key in val} == set(expected(release, "val"))


# ----------------------------------------------------------------------------- shuffling


def test_shuffle_changes_the_order_per_epoch_and_repeats_per_seed(wds: Path) -> None:
    dataset = shards(wds, shuffle_buffer=10, seed=7)
    epoch0 = [key for key, _, _ in read_all(dataset)]
    dataset.set_epoch(1)
    epoch1 = [key for key, _, _ in read_all(dataset)]
    dataset.set_epoch(0)
    again = [key for key, _, _ in read_all(dataset)]
    in_order = [key for key, _, _ in read_all(shards(wds))]
    assert sorted(epoch0) == sorted(epoch1) == sorted(in_order)  # same samples, once each
    assert epoch0 != epoch1
    assert epoch0 == again  # the order is a function of seed and epoch
    assert epoch0 != in_order


def test_the_buffer_mixes_samples_across_shards(wds: Path) -> None:
    by_shard = [key for _, _, key in shards(wds)]
    first_shard = set(by_shard[:5])
    mixed = [key for _, _, key in shards(wds, shuffle_buffer=30, seed=1)]
    assert set(mixed[:5]) != first_shard
    assert len(mixed) == len(by_shard)


# ----------------------------------------------------------------------------- decoding


def test_default_decode_gives_rgb_images_and_labels_equal_the_manifest(
    wds: Path, release: Release
) -> None:
    dataset = WebDatasetShards(wds, with_keys=True)
    want = expected(release)
    for image, target, key in dataset:
        assert isinstance(image, Image.Image) and image.mode == "RGB"
        assert target == want[key][1]


def test_draft_resize_batches_uint8_tensors(wds: Path) -> None:
    dataset = WebDatasetShards(wds, decode=DraftResize(64, resize=72), shuffle_buffer=4)
    loader = DataLoader(dataset, batch_size=16, num_workers=2)
    batches = list(loader)
    images = torch.cat([b[0] for b in batches])
    assert images.shape == (60, 3, 64, 64) and images.dtype == torch.uint8
    assert len(loader) == 4


def test_transforms_apply_to_image_and_target(wds: Path) -> None:
    dataset = WebDatasetShards(
        wds, decode="bytes", transform=len, target_transform=lambda t: t + 100
    )
    for size, target in dataset:
        assert isinstance(size, int) and size > 0
        assert target in (100, 101, 102)


def test_a_dropping_superclass_target_filters_samples(wds: Path, release: Release) -> None:
    mammals = SuperclassTarget(release.manifest, [MAMMAL], unmatched="drop")
    dataset = WebDatasetShards(wds, decode=sha256_hex, target_transform=mammals, with_keys=True)
    got = {key: target for key, _, target in read_all(dataset)}
    want = {k for k, (_, c) in expected(release).items() if c in (0, 1)}
    assert set(got) == want and set(got.values()) == {0}
    with pytest.raises(TypeError, match="drops classes"):
        len(dataset)


# ----------------------------------------------------------------------------- options


def test_rank_arguments_are_checked(wds: Path) -> None:
    for kw in ({"rank": 0}, {"rank": 2, "world_size": 2}, {"rank": 0, "world_size": 0}):
        with pytest.raises(FormatError) as err:
            WebDatasetShards(wds, **kw)  # type: ignore[arg-type]
        assert err.value.code == "E_OPTIONS"
    for kw2 in ({"shuffle_buffer": -1}, {"decode": "jpeg"}):
        with pytest.raises(FormatError) as err:
            WebDatasetShards(wds, **kw2)  # type: ignore[arg-type]
        assert err.value.code == "E_OPTIONS"


def test_an_unknown_split_is_e_no_split(wds: Path) -> None:
    with pytest.raises(FormatError) as err:
        WebDatasetShards(wds, split="test")
    assert err.value.code == "E_NO_SPLIT" and "train, val" in str(err.value)


def test_the_index_file_itself_may_be_given(wds: Path) -> None:
    by_file = WebDatasetShards(wds / "index.json")
    assert len(by_file) == 60 and by_file.classes == ["n02084071", "n02121808", "n11978233"]
    assert by_file.class_to_idx["n11978233"] == 2


def test_png_members_decode_too(tmp_path: Path) -> None:
    from tests.loaders._helpers import one_shard_export

    png = encode(photo("coffee", (40, 30)), "PNG")
    root = one_shard_export(tmp_path, [("a.png", png), ("a.cls", b"1"), ("a.json", b"{}")], 1)
    [(image, target)] = list(WebDatasetShards(root))
    assert image.size == (40, 30) and target == 1


@pytest.mark.slow
def test_ranks_come_from_an_initialised_process_group(
    wds: Path, release: Release, tmp_path: Path
) -> None:
    import torch.multiprocessing

    from tests.loaders._helpers import distributed_reader

    args = (2, str(tmp_path / "init"), str(wds), str(tmp_path))
    torch.multiprocessing.spawn(distributed_reader, args=args, nprocs=2, join=True)
    results = [json.loads((tmp_path / f"{rank}.json").read_text()) for rank in (0, 1)]
    assert [(r["rank"], r["world"]) for r in results] == [(0, 2), (1, 2)]
    assert [len(r["keys"]) for r in results] == [r["len"] for r in results] == [30, 30]
    keys = results[0]["keys"] + results[1]["keys"]
    assert sorted(keys) == sorted(expected(release))  # every sample once over both ranks


# ----------------------------------------------------------------------------- uneven shares


def _warnings_in(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if "do not divide evenly" in line]


def test_uneven_workers_are_warned_once_per_dataset_with_the_fix(
    wds3: Path, tmp_path: Path
) -> None:
    """3 val shards over 2 workers: said once over three epochs, with what to choose instead."""
    log_file = tmp_path / "workers.log"
    handler = logging.FileHandler(log_file)  # forked workers inherit it and append
    logger = logging.getLogger("synsetdb.loaders")
    logger.addHandler(handler)
    try:
        dataset = shards(wds3, split="val", shuffle_buffer=4)
        assert len(dataset.shards) == 3
        for epoch in range(3):
            dataset.set_epoch(epoch)
            assert len(read_all(dataset, workers=2, context="fork")) == 12
        handler.flush()
        [warning] = _warnings_in(log_file)
        # another dataset object is told again, once
        other = shards(wds3, split="val")
        read_all(other, workers=2, context="fork")
        read_all(other, workers=2, context="fork")
        read_all(shards(wds3, split="val", rank=0, world_size=3), workers=1, context="fork")
        assert len(_warnings_in(log_file)) == 2  # 3 shards over 3 ranks x 1 worker: even
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert "3 shards do not divide evenly over 2 DataLoader workers" in warning
    assert "1 worker reads 2 shards, 1 reads 1" in warning
    assert "num_workers=1 or 3, which divide 3 shards evenly" in warning
    assert "--shard-multiple 2" in warning  # or an export whose shards divide evenly
    assert "once" in warning


@pytest.mark.slow
def test_spawned_workers_share_the_once(wds3: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """A spawned worker's warning is seen by the dataset in the main process (and printed:
    a spawned worker has no logging set up, so Python's last-resort handler writes stderr)."""
    dataset = shards(wds3, split="val")
    assert not dataset._uneven_told.is_set()
    read_all(dataset, workers=2, context="spawn")
    assert dataset._uneven_told.is_set()  # the next epoch's workers will say nothing
    assert capfd.readouterr().err.count("do not divide evenly") == 1


def test_uneven_ranks_are_warned_once_without_workers(
    wds3: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """3 shards over 2 ranks: rank 0 reads 2, rank 1 reads 1; their epochs differ in length."""
    dataset = shards(wds3, split="val", rank=0, world_size=2)
    with caplog.at_level(logging.WARNING, logger="synsetdb.loaders"):
        for epoch in range(3):
            dataset.set_epoch(epoch)
            assert len(list(dataset)) == len(dataset) == 8
    [warning] = [r.getMessage() for r in caplog.records]
    assert "3 shards do not divide evenly over 2 ranks" in warning
    assert "1 rank reads 2 shards, 1 reads 1" in warning
    assert "--shard-multiple 2" in warning and "world size of 1 or 3" in warning
    # one rank, no workers: nothing to divide, nothing said
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="synsetdb.loaders"):
        list(shards(wds3, split="val"))
    assert not caplog.records


def test_a_copied_dataset_can_still_be_pickled_and_warns_for_itself(wds3: Path) -> None:
    import copy
    import pickle

    dataset = shards(wds3, split="val", rank=0, world_size=2)
    list(dataset)  # warned
    again = pickle.loads(pickle.dumps(copy.deepcopy(dataset)))
    assert dataset._uneven_told.is_set() and not again._uneven_told.is_set()
