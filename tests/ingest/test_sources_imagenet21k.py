"""ImageNet-21k as per-wnid tars, per-wnid folders and one whole tar of tars."""

from __future__ import annotations

from pathlib import Path

import pytest

from synsetdb.errors import IngestError
from synsetdb.ingest.items import Source, SourceItem
from synsetdb.ingest.sources.imagenet21k import ImageNet21k
from tests.fixtures.imagenet_layouts import (
    DOG,
    TABBY,
    TENCH,
    build_imagenet21k,
    build_imagenet21k_whole,
    expected_records,
    records,
    tree_files,
    write_tar,
)


def _problems(items: list[SourceItem]) -> dict[str, tuple[str, str | None]]:
    return {i.key: (i.problem.code, i.wnid) for i in items if i.problem is not None}


@pytest.mark.parametrize("as_tars", [True, False], ids=["tars", "folders"])
def test_per_wnid_tars_and_folders(tmp_path: Path, as_tars: bool) -> None:
    expected = build_imagenet21k(tmp_path, as_tars=as_tars)
    before = tree_files(tmp_path)
    source = ImageNet21k(tmp_path)
    assert isinstance(source, Source)
    assert source.name == f"imagenet21k:{tmp_path.resolve()}"
    items = list(source.items())
    assert records(items) == expected_records(expected)
    assert all(i.split is None and i.boxes == () and i.problem is None for i in items)
    assert DOG in {i.wnid for i in items}  # not an ILSVRC-2012 class, still a 21k one
    if as_tars:
        assert all(i.data is not None and i.path is None for i in items)
        assert tree_files(tmp_path) == before  # streamed, not extracted
    else:
        assert all(i.path is not None and i.data is None for i in items)


@pytest.mark.parametrize("name", ["fall11_whole.tar", "winter21_whole.tar.gz"])
def test_whole_tar_of_tars(tmp_path: Path, name: str) -> None:
    expected = build_imagenet21k_whole(tmp_path / name)
    source = ImageNet21k(tmp_path / name)
    items = list(source.items())
    assert records(items) == expected_records(expected)
    assert tree_files(tmp_path) == {name}
    assert items[0].provenance["archive"].endswith(f"{name}/{items[0].wnid}.tar")


def test_skip(tmp_path: Path) -> None:
    expected = build_imagenet21k(tmp_path, as_tars=True)
    done = {e.key for e in expected[1::2]}
    assert [i.key for i in ImageNet21k(tmp_path).items(skip=done)] == [
        e.key for e in expected if e.key not in done
    ]


def test_a_wnid_both_as_tar_and_folder_is_read_once_from_the_tar(tmp_path: Path) -> None:
    expected = build_imagenet21k(tmp_path, as_tars=True)
    (tmp_path / TENCH).mkdir()
    (tmp_path / TENCH / f"{TENCH}_10026.JPEG").write_bytes(expected[0].data)
    items = list(ImageNet21k(tmp_path).items())
    assert records(items) == expected_records(expected)


def test_bad_entries_are_problems_and_the_rest_comes_through(tmp_path: Path) -> None:
    expected = build_imagenet21k(tmp_path, as_tars=True)
    (tmp_path / f"{TABBY}.tar").write_bytes(b"broken " * 200)
    (tmp_path / "misc").mkdir()
    (tmp_path / "misc" / "a.JPEG").write_bytes(expected[0].data)
    write_tar(tmp_path / "extras.tar", [("x.JPEG", expected[0].data)])
    (tmp_path / "fall11_urls.txt").write_text("not images\n")
    (tmp_path / ".hidden").write_text("skipped\n")
    items = list(ImageNet21k(tmp_path).items())
    assert _problems(items) == {
        f"{TABBY}.tar": ("E_ARCHIVE", TABBY),
        "misc/a.JPEG": ("E_LABEL", None),
        "extras.tar": ("E_LABEL", None),
    }
    assert records(items) == expected_records(e for e in expected if e.wnid != TABBY)


@pytest.mark.parametrize("what", ["empty", "missing", "no wnids"])
def test_not_a_21k_layout_is_e_layout(tmp_path: Path, what: str) -> None:
    root = tmp_path / "root"
    if what != "missing":
        root.mkdir()
    if what == "no wnids":
        (root / "cats").mkdir()
        (root / "readme.txt").write_text("hi")
    with pytest.raises(IngestError) as caught:
        ImageNet21k(root)
    assert caught.value.code == "E_LAYOUT" and str(root) in str(caught.value)


def test_unreadable_whole_tar_raises_e_archive(tmp_path: Path) -> None:
    whole = tmp_path / "winter21_whole.tar.gz"
    whole.write_bytes(b"\x1f\x8b\x08garbage" * 50)
    with pytest.raises(IngestError, match="winter21_whole") as caught:
        list(ImageNet21k(whole).items())
    assert caught.value.code == "E_ARCHIVE"
