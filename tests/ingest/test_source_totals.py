"""``Source.total()``: what every source says it holds equals what ``items()`` yields."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from synsetdb.ingest.download import DownloadConfig
from synsetdb.ingest.items import Source
from synsetdb.ingest.sources import (
    FolderSource,
    IlsvrcArchives,
    IlsvrcFolders,
    IlsvrcKaggle,
    ImageNet21k,
    UrlListSource,
    open_ilsvrc,
)
from tests.fixtures.http_server import serving
from tests.fixtures.imagenet_layouts import (
    DEVKIT_SYNSETS,
    TENCH,
    build_ilsvrc_archives,
    build_imagenet21k,
    build_imagenet21k_whole,
    build_kaggle_layout,
    build_torchvision_layout,
    write_tar,
)

TRAIN_TAR, VAL_TAR = "ILSVRC2012_img_train.tar", "ILSVRC2012_img_val.tar"


def _count(items: Iterable[object]) -> int:
    return sum(1 for _ in items)


def _assert_total_is_what_items_yields(source: Source, expected: int) -> None:
    assert source.total() == _count(source.items()) == expected


def test_ilsvrc_archives_count_from_the_devkit(tmp_path: Path) -> None:
    expected = build_ilsvrc_archives(tmp_path, test=False)
    train = [e for e in expected if e.split == "train"]
    # The miniature meta.mat says 3 images for each of its 4 classes, 0 for the synsets above.
    leaves = [s.num_train_images for s in DEVKIT_SYNSETS if not s.children]
    assert leaves == [3, 3, 3, 3] and len(train) == 12
    source = open_ilsvrc(tmp_path)
    assert isinstance(source, IlsvrcArchives)
    _assert_total_is_what_items_yields(source, len(expected))
    _assert_total_is_what_items_yields(open_ilsvrc(tmp_path / TRAIN_TAR), 12)
    _assert_total_is_what_items_yields(open_ilsvrc(tmp_path / VAL_TAR), 8)


def test_ilsvrc_archives_that_only_reading_could_count_have_no_total(tmp_path: Path) -> None:
    build_ilsvrc_archives(tmp_path, test=True)
    assert open_ilsvrc(tmp_path).total() is None  # the test tar: nothing says how many
    without_devkit = IlsvrcArchives(tmp_path, train=tmp_path / TRAIN_TAR)  # (it is beside it)
    assert without_devkit.total() is None


def test_ilsvrc_folders_and_kaggle_count_their_files(tmp_path: Path) -> None:
    expected = build_torchvision_layout(tmp_path / "tv")
    (tmp_path / "tv" / "train" / TENCH / ".DS_Store").write_bytes(b"hidden: not an item")
    source = open_ilsvrc(tmp_path / "tv")
    assert isinstance(source, IlsvrcFolders)
    _assert_total_is_what_items_yields(source, len(expected))
    expected = build_kaggle_layout(tmp_path / "kaggle")
    (tmp_path / "kaggle" / "ILSVRC/Data/CLS-LOC/train/stray.JPEG").write_bytes(b"E_LABEL item")
    source = open_ilsvrc(tmp_path / "kaggle")
    assert isinstance(source, IlsvrcKaggle)
    _assert_total_is_what_items_yields(source, len(expected) + 1)  # test images included


def test_imagenet21k_counts_folders_not_tars(tmp_path: Path) -> None:
    expected = build_imagenet21k(tmp_path / "folders", as_tars=False)
    (tmp_path / "folders" / "misc").mkdir()  # not a wnid: its files are E_LABEL items
    (tmp_path / "folders" / "misc" / "a.JPEG").write_bytes(expected[0].data)
    write_tar(tmp_path / "folders" / "extras.tar", [("x.JPEG", expected[0].data)])  # one item
    (tmp_path / "folders" / "fall11_urls.txt").write_text("ignored, not an item\n")
    _assert_total_is_what_items_yields(ImageNet21k(tmp_path / "folders"), len(expected) + 2)
    build_imagenet21k(tmp_path / "tars", as_tars=True)
    assert ImageNet21k(tmp_path / "tars").total() is None
    build_imagenet21k_whole(tmp_path / "fall11_whole.tar")
    assert ImageNet21k(tmp_path / "fall11_whole.tar").total() is None


def test_folder_source_counts_files_or_mapping_rows(tmp_path: Path) -> None:
    expected = build_imagenet21k(tmp_path / "tree", as_tars=False)
    (tmp_path / "tree" / "loose.jpg").write_bytes(expected[0].data)  # unlabelled, an item
    (tmp_path / "tree" / ".cache").mkdir()
    (tmp_path / "tree" / ".cache" / "x.jpg").write_bytes(expected[0].data)  # hidden
    _assert_total_is_what_items_yields(FolderSource(tmp_path / "tree"), len(expected) + 1)
    mapping = tmp_path / "labels.tsv"
    first = expected[0]
    mapping.write_text(
        f"path\twnid\n{first.wnid}/{first.name}\t{first.wnid}\n\nmissing.jpg\t{TENCH}\nbad\n"
    )
    _assert_total_is_what_items_yields(FolderSource(tmp_path / "tree", mapping), 3)


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".tsv", ".parquet"])
def test_url_lists_count_their_rows(tmp_path: Path, suffix: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with serving() as server:  # every URL is a quick 404: one item per row all the same
        urls = [server.url(f"/{i}.jpg") for i in range(5)]
        wnids = [TENCH, None, TENCH, None, TENCH]
        listing = tmp_path / f"urls{suffix}"
        if suffix == ".parquet":
            pq.write_table(pa.table({"url": urls, "wnid": wnids}), listing)
        elif suffix == ".txt":
            lines = [f"{u} {w}" if w else u for u, w in zip(urls, wnids, strict=True)]
            listing.write_text("# a comment\n\n" + "\n".join(lines) + "\n")
        else:
            sep = "\t" if suffix == ".tsv" else ","
            rows = [f"{u}{sep}{w or ''}" for u, w in zip(urls, wnids, strict=True)]
            listing.write_text(f"url{sep}wnid\n" + "\n".join(rows) + "\n")
        source = UrlListSource(listing, DownloadConfig(allow_private=True, retries=0))
        _assert_total_is_what_items_yields(source, 5)
