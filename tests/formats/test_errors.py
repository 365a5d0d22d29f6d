"""Bad input: missing or corrupt blobs, hostile names, bad options; nothing half-written."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from synsetdb.errors import FormatError
from synsetdb.formats import ExportOptions, get_exporter, parse_size
from synsetdb.release import Manifest, Release, ReleaseClass

from .conftest import Export, blob_path, files_under, renamed, sha256sum_check, with_items

FORMATS = ["ilsvrc", "webdataset", "parquet"]


def assert_nothing_half_written(out: Path) -> None:
    assert not list(out.rglob("*.part")) and not (out / "export.json").exists()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_bad_blob_stops_the_export_with_a_code_and_no_half_written_file(
    release: Release, export: Export, tmp_path: Path, fmt: str, damage: str
) -> None:
    item = release.manifest.items_in("train")[4]
    path = blob_path(release, item)
    original = path.read_bytes()
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(original[:-100] + b"\0" * 100)
    out = tmp_path / "out"
    with pytest.raises(FormatError) as error:
        export(release, fmt, out=out, workers=2, resize_side=64 if fmt == "parquet" else None)
    assert error.value.code == {"missing": "E_BLOB_MISSING", "corrupt": "E_BLOB_CORRUPT"}[damage]
    assert repr(item.name) in str(error.value)
    assert_nothing_half_written(out)
    if fmt == "ilsvrc":
        assert not (out / "train" / item.wnid / f"{item.name}.JPEG").exists()
    else:
        assert not list(out.glob("train-*"))  # the split's only shard was never published

    path.write_bytes(original)  # repaired: the same export now completes
    report = export(release, fmt, out=out)
    assert report.total == len(release.manifest.items)
    sha256sum_check(out)


def test_an_image_that_cannot_be_decoded_is_e_decode(
    release: Release, export: Export, tmp_path: Path
) -> None:
    key = release.blobs.put(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 10)
    items = list(release.manifest.items)
    items[2] = dataclasses.replace(items[2], blob=key, format="PNG")
    with pytest.raises(FormatError) as error:
        export(with_items(release, items), "ilsvrc", out=tmp_path / "out")
    assert error.value.code == "E_DECODE" and repr(items[2].name) in str(error.value)
    assert_nothing_half_written(tmp_path / "out")


HOSTILE = [
    "../../escaped",
    "sub/dir",
    "..",
    ".",
    ".hidden",
    "",
    "back\\slash",
    "nul\0byte",
    "new\nline",
    "x" * 201,
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_item_names_cannot_escape_the_folder(
    release: Release, export: Export, tmp_path: Path, fmt: str, name: str
) -> None:
    out = tmp_path / "deep" / "out"
    with pytest.raises(FormatError) as error:
        export(renamed(release, 3, name), fmt, out=out)
    assert error.value.code == "E_EXPORT_NAME"
    assert not (tmp_path / "deep").exists()  # refused before anything was written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blobs"]


@pytest.mark.parametrize("where", ["split", "wnid"])
def test_hostile_split_and_class_names_are_refused(
    release: Release, export: Export, tmp_path: Path, where: str
) -> None:
    manifest = release.manifest
    if where == "split":
        items = [dataclasses.replace(i, split="../train") for i in manifest.items]
        hostile = with_items(release, items)
    else:
        evil = "../n02084071"
        classes = (ReleaseClass(0, evil, "dog"), *manifest.classes[1:])
        hierarchy = {**manifest.hierarchy, evil: manifest.hierarchy["n02084071"]}
        items = [
            dataclasses.replace(i, wnid=evil) if i.wnid == "n02084071" else i
            for i in manifest.items
        ]
        hostile = Release(
            release.name,
            Manifest(classes=classes, hierarchy=hierarchy, items=tuple(items)),
            release.blobs,
        )
    for fmt in FORMATS:
        with pytest.raises(FormatError) as error:
            export(hostile, fmt, out=tmp_path / "out")
        assert error.value.code == "E_EXPORT_NAME"
    assert not (tmp_path / "out").exists()


def test_a_name_too_long_for_a_ustar_key_is_refused(
    release: Release, export: Export, tmp_path: Path
) -> None:
    long_name = "k" * 120  # a fine file name (ILSVRC exports it), too long for a ustar member
    export(renamed(release, 0, long_name), "ilsvrc", out=tmp_path / "ok")
    with pytest.raises(FormatError) as error:
        export(renamed(release, 0, long_name), "webdataset", out=tmp_path / "out")
    assert error.value.code == "E_EXPORT_NAME"


def test_unicode_names_and_spaces_are_fine(release: Release, export: Export) -> None:
    out = Path(export(renamed(release, 0, "Zürich café 01"), "ilsvrc").out)
    item = release.manifest.items[0]
    assert (out / item.split / item.wnid / "Zürich café 01.JPEG").is_file()
    sha256sum_check(out)


def test_an_unknown_split_is_e_no_split(release: Release, export: Export, tmp_path: Path) -> None:
    with pytest.raises(FormatError) as error:
        export(release, "webdataset", out=tmp_path / "out", splits=("test",))
    assert error.value.code == "E_NO_SPLIT" and "train, val" in str(error.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "options",
    [
        {"shard_multiple": 0},
        {"shard_size": 0},
        {"resize_side": 0},
        {"resize_quality": 101},
        {"workers": -1},
    ],
)
def test_bad_options_are_e_options(options: dict[str, int]) -> None:
    with pytest.raises(FormatError) as error:
        ExportOptions(**options)  # type: ignore[arg-type]
    assert error.value.code == "E_OPTIONS"


def test_an_unknown_format_is_e_format() -> None:
    with pytest.raises(FormatError) as error:
        get_exporter("zip")
    assert error.value.code == "E_FORMAT" and "webdataset" in str(error.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("256MB", 256_000_000), ("1GiB", 1 << 30), ("1.5g", 1_500_000_000), ("4096", 4096),
     ("64 kib", 65536), ("2tb", 2 * 10**12), ("10b", 10)],
)  # fmt: skip
def test_parse_size(text: str, expected: int) -> None:
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "MB", "-1MB", "12 parsecs", "0", "0.1b"])
def test_parse_size_refuses(text: str) -> None:
    with pytest.raises(FormatError) as error:
        parse_size(text)
    assert error.value.code == "E_OPTIONS"


def test_a_failed_export_keeps_what_was_done_for_the_next_run(
    release: Release, export: Export, tmp_path: Path
) -> None:
    val = release.manifest.items_in("val")[-1]
    path = blob_path(release, val)
    original = path.read_bytes()
    path.unlink()
    out = tmp_path / "out"
    with pytest.raises(FormatError):
        export(release, "ilsvrc", out=out)
    done = files_under(out)
    assert len([p for p in done if p.endswith(".JPEG")]) == len(release.manifest.items) - 1
    path.write_bytes(original)
    report = export(release, "ilsvrc", out=out)
    assert report.images == 1 and report.skipped == len(release.manifest.items) - 1
    assert json.loads((out / "export.json").read_text())["counts"]["images"] == report.total
