"""Resumable exports: an interrupted or damaged export redoes only what is missing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from synsetdb.errors import FormatError
from synsetdb.formats import ExportOptions, ExportReport, get_exporter
from synsetdb.release import Release

from .conftest import Export, files_under, renamed, sha256sum_check

# Data files per format: ILSVRC images; WebDataset shards and Parquet files (3 per split).
DATA = {"ilsvrc": "*/*/*.JPEG", "webdataset": "*.tar", "parquet": "*.parquet"}
OPTIONS = {"shard_multiple": 3}


@pytest.mark.parametrize("fmt", ["ilsvrc", "webdataset", "parquet"])
def test_a_deleted_and_a_corrupted_file_are_redone_and_nothing_else(
    release: Release, export: Export, fmt: str
) -> None:
    first = export(release, fmt, **OPTIONS)
    out = Path(first.out)
    data = sorted(out.glob(DATA[fmt]))
    assert len(data) >= 6
    deleted, corrupted = data[1], data[-2]
    deleted.unlink()
    raw = bytearray(corrupted.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # same size, one byte flipped
    corrupted.write_bytes(bytes(raw))
    before = files_under(out)
    sums = (out / "SHA256SUMS").read_text()

    again = export(release, fmt, **OPTIONS)

    assert again.files_written == 2
    assert again.images == (2 if fmt == "ilsvrc" else again.total - again.skipped)
    assert again.skipped == first.total - again.images
    after = files_under(out)
    changed = {p for p in after if before.get(p) != after[p]}
    redone = {str(deleted.relative_to(out)), str(corrupted.relative_to(out))}
    assert changed - {"SHA256SUMS", "export.json", ".synsetdb-export.json"} == redone
    assert (out / "SHA256SUMS").read_text() == sums  # the same bytes again
    sha256sum_check(out)


@pytest.mark.parametrize("fmt", ["ilsvrc", "webdataset"])
def test_an_interrupted_export_resumes_where_it_stopped(
    release: Release, export: Export, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "interrupted"

    def stop_after_ten(report: ExportReport) -> None:
        if report.images >= 10:
            raise KeyboardInterrupt

    options = ExportOptions(workers=0, shard_size=60_000)
    with pytest.raises(KeyboardInterrupt):
        get_exporter(fmt).export(release, out, options, progress=stop_after_ten)
    assert not (out / "export.json").exists()
    assert not list(out.rglob("*.part"))  # no half-written file under any name
    journal = (out / "SHA256SUMS").read_text().splitlines()
    assert journal  # what was complete is recorded

    resumed = get_exporter(fmt).export(release, out, options)
    assert resumed.files_skipped >= len(journal) and resumed.skipped >= 1
    assert resumed.images + resumed.skipped == resumed.total == len(release.manifest.items)
    sha256sum_check(out)
    fresh = export(release, fmt, out=tmp_path / "fresh", shard_size=60_000)
    assert (out / "SHA256SUMS").read_text() == (Path(fresh.out) / "SHA256SUMS").read_text()


@pytest.mark.parametrize("fmt", ["ilsvrc", "webdataset", "parquet"])
def test_another_export_in_the_folder_is_refused_unless_overwrite(
    release: Release, export: Export, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "out"
    export(release, fmt, out=out)
    before = files_under(out)
    others = [
        lambda: export(release, fmt, out=out, resize_side=64),  # other options
        lambda: export(renamed(release, 0, "another"), fmt, out=out),  # another release
        lambda: export(release, "parquet" if fmt != "parquet" else "ilsvrc", out=out),
        lambda: export(release, fmt, out=out, splits=("val",)),
    ]
    for attempt in others:
        with pytest.raises(FormatError) as error:
            attempt()
        assert error.value.code == "E_EXPORT_EXISTS"
        assert files_under(out) == before  # nothing touched

    replaced = export(release, fmt, out=out, splits=("val",), overwrite=True)
    assert replaced.splits == {"val": 9}
    summary = json.loads((out / "export.json").read_text())
    assert summary["counts"]["splits"] == {"val": 9}
    assert not list(out.glob("train*"))  # the previous export is gone
    sha256sum_check(out)


def test_a_folder_that_is_not_an_export_is_never_cleared(
    release: Release, export: Export, tmp_path: Path
) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    for overwrite in (False, True):
        with pytest.raises(FormatError) as error:
            export(release, "webdataset", out=out, overwrite=overwrite)
        assert error.value.code == "E_EXPORT_EXISTS"
    assert [p.name for p in out.iterdir()] == ["thesis.tex"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(FormatError) as error:
        export(release, "webdataset", out=tmp_path / "file")
    assert error.value.code == "E_EXPORT_EXISTS"


@pytest.mark.parametrize("fmt", ["ilsvrc", "webdataset"])
def test_overwrite_never_removes_files_the_export_did_not_write(
    release: Release, export: Export, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "out"
    export(release, fmt, out=out)
    (out / "notes.txt").write_text("mine")
    (out / "val" if fmt == "ilsvrc" else out / "extra").mkdir(exist_ok=True)
    (out / "val" if fmt == "ilsvrc" else out / "extra").joinpath("keep.bin").write_bytes(b"x")
    before = files_under(out)
    with pytest.raises(FormatError) as error:
        export(release, fmt, out=out, splits=("val",), overwrite=True)
    assert error.value.code == "E_EXPORT_EXISTS" and "notes.txt" in str(error.value)
    assert files_under(out) == before  # nothing removed, nothing written

    (out / "notes.txt").unlink()
    shutil.rmtree(out / "val" if fmt == "ilsvrc" else out / "extra")
    (out / "empty-of-mine").mkdir()
    (out / ".half.tar.part").write_bytes(b"an interrupted run's staging file")
    replaced = export(release, fmt, out=out, splits=("val",), overwrite=True)
    assert replaced.splits == {"val": 9}
    assert not list(out.rglob("train*")) and not list(out.rglob("*.part"))
    assert (out / "empty-of-mine").is_dir()  # only the old export's folders are removed
    sha256sum_check(out)


def test_rerunning_a_complete_export_rewrites_nothing(release: Release, export: Export) -> None:
    out = Path(export(release, "webdataset").out)
    before = files_under(out)
    summary = (out / "export.json").read_bytes()
    again = export(release, "webdataset")
    assert again.files_written == 0 and again.images == 0 and again.skipped == again.total
    after = files_under(out)
    kept = [p for p in before if p.endswith(".tar") or p == "index.json"]
    assert len(kept) == 3 and all(after[p] == before[p] for p in kept)  # same inodes
    assert (out / "export.json").read_bytes() == summary
