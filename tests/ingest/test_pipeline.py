"""The ingest pipeline end to end: folder sources, real photos, bad input, resume, kill -9."""

from __future__ import annotations

import io
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Container, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from sqlalchemy import func, select

from synsetdb.catalog import Project, schema
from synsetdb.catalog.checks import run_checks
from synsetdb.cli import cli
from synsetdb.errors import IngestError
from synsetdb.ingest import (
    FolderSource,
    IngestConfig,
    IngestReport,
    Inspected,
    Source,
    SourceItem,
    ValidationConfig,
    ingest,
    inspect_image,
)
from tests.fixtures.photos import encode, photo

TENCH, GOLDFISH, KIT_FOX = "n01440764", "n01443537", "n02119789"


def _variants(name: str, count: int, size: tuple[int, int] = (160, 120)) -> list[bytes]:
    """Distinct JPEGs of one real photograph: shifted crops at varied quality."""
    base = photo(name)
    out = []
    for i in range(count):
        left, top = (7 * i) % max(1, base.width - size[0]), (5 * i) % max(1, base.height - size[1])
        crop = base.crop((left, top, left + size[0], top + size[1]))
        out.append(encode(crop, "JPEG", quality=70 + i % 25))
    return out


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three ILSVRC classes of real photos, plus every kind of bad file."""
    root = tmp_path / "images"
    for wnid, name in ((TENCH, "coffee"), (GOLDFISH, "chelsea"), (KIT_FOX, "astronaut")):
        (root / wnid).mkdir(parents=True)
        for i, data in enumerate(_variants(name, 4)):
            (root / wnid / f"{wnid}_{i}.JPEG").write_bytes(data)
    good = (root / TENCH / f"{TENCH}_0.JPEG").read_bytes()
    (root / KIT_FOX / "same_bytes_as_a_tench.JPEG").write_bytes(good)  # exact duplicate
    (root / TENCH / "truncated.JPEG").write_bytes(good[: len(good) // 2])
    (root / TENCH / "page.JPEG").write_bytes(b"<!doctype html><html><body>404</body></html>")
    (root / GOLDFISH / "tiny.png").write_bytes(encode(photo("coffee", (8, 8)), "PNG"))
    (root / "n99999999").mkdir()
    (root / "n99999999" / "orphan_label.JPEG").write_bytes(_variants("rocket", 1)[0])
    return root


def _count(project: Project, table: object) -> int:
    with project.catalog.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_folder_ingest_stores_labels_rejects_and_duplicates(
    wordnet_project: Path, folder: Path
) -> None:
    project = Project.open(wordnet_project)
    report = ingest(project, FolderSource(folder), IngestConfig(workers=2, batch_size=4))
    assert report.seen == 17
    assert (report.added, report.duplicate, report.rejected) == (12, 1, 4)
    assert dict(report.codes) == {"E_TRUNCATED": 1, "E_FORMAT": 1, "E_TOO_SMALL": 1, "E_LABEL": 1}
    catalog = project.catalog
    assert len(catalog.images_under(TENCH)) == 4
    assert len(catalog.images_under(KIT_FOX)) == 5  # four foxes and the tench's bytes
    assert _count(project, schema.image) == 12
    assert _count(project, schema.ingest_item) == 17
    with catalog.engine.connect() as conn:
        names = set(conn.execute(select(schema.candidate.c.file_name)).scalars())
        thumbs = list(conn.execute(select(schema.image.c.thumbnail_key)).scalars())
    assert f"{TENCH}_0.JPEG" in names and "same_bytes_as_a_tench.JPEG" in names
    assert all(thumbs) and all(project.blobs.exists(t) for t in thumbs)
    assert _count(project, schema.rendition) == 0  # no resized copies unless asked for
    assert run_checks(catalog, project.blobs).ok
    project.close()


def test_rerun_skips_everything_and_changes_nothing(wordnet_project: Path, folder: Path) -> None:
    project = Project.open(wordnet_project)
    ingest(project, FolderSource(folder), IngestConfig(workers=0))
    before = project.catalog.stats()
    again = ingest(project, FolderSource(folder), IngestConfig(workers=0))
    assert again.skipped == 17 and again.processed == 0
    assert project.catalog.stats() == before
    project.close()


def test_new_files_are_picked_up_by_a_rerun(wordnet_project: Path, folder: Path) -> None:
    project = Project.open(wordnet_project)
    ingest(project, FolderSource(folder), IngestConfig(workers=0))
    (folder / GOLDFISH / "new.JPEG").write_bytes(_variants("rocket", 2)[1])
    report = ingest(project, FolderSource(folder), IngestConfig(workers=0))
    assert (report.skipped, report.added) == (17, 1)
    project.close()


def test_mapping_file_labels_any_tree(wordnet_project: Path, tmp_path: Path) -> None:
    flat = tmp_path / "flat"
    flat.mkdir()
    for i, data in enumerate(_variants("coffee", 3)):
        (flat / f"img{i}.jpg").write_bytes(data)
    mapping = tmp_path / "labels.csv"
    mapping.write_text(
        f"path,wnid\nimg0.jpg,{TENCH}\nimg1.jpg,{GOLDFISH}\nmissing.jpg,{TENCH}\nbad line\n"
    )
    project = Project.open(wordnet_project)
    report = ingest(project, FolderSource(flat, mapping), IngestConfig(workers=0))
    assert report.added == 2 and dict(report.codes) == {"E_MISSING": 1, "E_MAPPING": 1}
    assert len(project.catalog.images_under(GOLDFISH)) == 1
    project.close()


def test_empty_or_binary_mapping_files(wordnet_project: Path, tmp_path: Path) -> None:
    """An empty mapping ingests nothing; a non-UTF-8 one is E_LAYOUT, and nothing is stored."""
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    project = Project.open(wordnet_project)
    report = ingest(project, FolderSource(tmp_path, empty), IngestConfig(workers=0))
    assert (report.seen, report.added) == (0, 0)
    binary = tmp_path / "labels.csv"
    binary.write_bytes(b"path,wnid\n\xff\xfe\x00garbage\n")
    with pytest.raises(IngestError, match="not UTF-8") as info:
        ingest(project, FolderSource(tmp_path, binary), IngestConfig(workers=0))
    assert info.value.code == "E_LAYOUT"
    assert project.catalog.stats().images == 0
    project.close()


def test_cli_ingest_folder_json_then_stats_and_check(wordnet_project: Path, folder: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli,
        [
            "--project",
            str(wordnet_project),
            "ingest",
            "folder",
            str(folder),
            "--workers",
            "0",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 12
    stats = json.loads(
        runner.invoke(cli, ["--project", str(wordnet_project), "stats", "--json"]).stdout
    )
    assert stats["images"] == 12 and stats["synsets_with_images"] == 3
    checked = runner.invoke(cli, ["--project", str(wordnet_project), "check", "--json"])
    assert checked.exit_code == 0 and json.loads(checked.stdout)["ok"] is True


def test_check_finds_missing_corrupt_and_orphaned_blobs(
    wordnet_project: Path, folder: Path
) -> None:
    project = Project.open(wordnet_project)
    ingest(project, FolderSource(folder), IngestConfig(workers=0))
    with project.catalog.engine.connect() as conn:
        keys = list(
            conn.execute(select(schema.image.c.blob_key).order_by(schema.image.c.id)).scalars()
        )
    store = project.blobs
    store.path(keys[0]).unlink()  # type: ignore[attr-defined]
    store.path(keys[1]).write_bytes(b"bit rot")  # type: ignore[attr-defined]
    store.put(b"nobody refers to me")
    report = run_checks(project.catalog, store)
    assert {f.code for f in report.findings} == {
        "C_BLOB_MISSING",
        "C_BLOB_CORRUPT",
        "C_BLOB_ORPHAN",
    }
    assert not report.ok
    result = CliRunner().invoke(cli, ["--project", str(wordnet_project), "check"])
    assert result.exit_code == 1 and "C_BLOB_CORRUPT" in result.output
    project.close()


# ---------------------------------------------------------------- progress: total and ETA


def _join_counting() -> None:
    """Wait for the pipeline's background count, so that a test knows the total is in."""
    for thread in threading.enumerate():
        if thread.name == "synsetdb-total":
            thread.join(timeout=30)


class _Wrapped:
    """A source with another's items and a total of the test's choosing."""

    def __init__(
        self, inner: Source, total: Callable[[], int | None], *, counted_first: bool = True
    ) -> None:
        self.inner, self._total, self.counted_first = inner, total, counted_first

    @property
    def name(self) -> str:
        return self.inner.name

    def total(self) -> int | None:
        return self._total()

    def items(self, skip: Container[str] = frozenset()) -> Iterator[SourceItem]:
        if self.counted_first:
            _join_counting()
        yield from self.inner.items(skip)


def test_report_has_the_total_and_an_eta_while_it_runs(wordnet_project: Path, folder: Path) -> None:
    project = Project.open(wordnet_project)
    inner = FolderSource(folder)
    seen: list[tuple[int | None, float | None, int]] = []
    report = ingest(
        project,
        _Wrapped(inner, inner.total),
        IngestConfig(workers=0, batch_size=4),
        progress=lambda r: seen.append((r.total, r.eta_s, r.processed)),
    )
    assert report.total == report.seen == 17 and report.to_dict()["total"] == 17
    assert [processed for *_, processed in seen] == [4, 8, 12, 16, 17]
    assert all(total == 17 and eta is not None and eta >= 0 for total, eta, _ in seen)
    assert seen[-1][1] == 0.0
    again = ingest(project, FolderSource(folder), IngestConfig(workers=0))
    _join_counting()
    assert again.skipped == 17 and again.eta_s is None  # nothing processed: no rate
    project.close()


@pytest.mark.parametrize(
    ("total", "skipped", "processed", "elapsed", "eta"),
    [
        (100, 10, 30, 3.0, 6.0),  # 60 left at 10/s
        (100, 0, 0, 3.0, None),  # no rate yet
        (None, 0, 30, 3.0, None),  # no total
        (100, 0, 30, 0.0, None),  # before the first batch
        (20, 15, 10, 1.0, 0.0),  # more done than the source holds now: never negative
    ],
)
def test_eta_is_what_remains_at_the_current_rate(
    total: int | None, skipped: int, processed: int, elapsed: float, eta: float | None
) -> None:
    report = IngestReport("x", skipped=skipped, added=processed, elapsed_s=elapsed, total=total)
    assert report.eta_s == eta


def test_a_source_whose_total_fails_still_ingests(
    wordnet_project: Path, folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> int:
        raise OSError("the count walked into an unreadable folder")

    project = Project.open(wordnet_project)
    with caplog.at_level(logging.DEBUG, logger="synsetdb.ingest.pipeline"):
        report = ingest(project, _Wrapped(FolderSource(folder), broken), IngestConfig(workers=0))
    assert report.total is None and report.eta_s is None
    assert (report.added, report.duplicate, report.rejected) == (12, 1, 4)
    failure = next(r for r in caplog.records if "no total" in r.getMessage())
    assert failure.levelno == logging.DEBUG and failure.exc_info is not None
    project.close()


class _Listed:
    """A source of in-memory items, as a URL list or a bundle would yield them."""

    def __init__(self, name: str, items: list[SourceItem]) -> None:
        self.name, self._items = name, items

    def items(self, skip: Container[str] = frozenset()) -> Iterator[SourceItem]:
        return iter([i for i in self._items if i.key not in skip])

    def total(self) -> int | None:
        return len(self._items)


def test_images_keep_the_source_and_licence_they_were_first_seen_with(
    wordnet_project: Path,
) -> None:
    project = Project.open(wordnet_project)
    first, second = _variants("coffee", 2)
    licensed = _Listed(
        "listed:a",
        [
            SourceItem("1", "a.jpg", TENCH, provenance={"licence": "CC-BY-4.0"}, data=first),
            SourceItem("2", "b.jpg", TENCH, provenance={"license": "MIT"}, data=second),
        ],
    )
    again = _Listed(
        "listed:b", [SourceItem("1", "a.jpg", GOLDFISH, provenance={"licence": "X"}, data=first)]
    )
    for source in (licensed, again):
        ingest(project, source, IngestConfig(workers=0))
    with project.catalog.engine.connect() as conn:
        licences = sorted(conn.execute(select(schema.image.c.licence)).scalars())
        sources = set(conn.execute(select(schema.image.c.source)).scalars())
    assert licences == ["CC-BY-4.0", "MIT"]  # the second sighting changed nothing
    assert sources == {"listed:a"}
    project.close()


def test_a_total_that_comes_after_the_end_leaves_the_report_alone(
    wordnet_project: Path, folder: Path
) -> None:
    release = threading.Event()

    def slow() -> int:
        release.wait(timeout=30)
        return 17

    project = Project.open(wordnet_project)
    source = _Wrapped(FolderSource(folder), slow, counted_first=False)
    report = ingest(project, source, IngestConfig(workers=0))
    release.set()
    _join_counting()
    assert report.total is None and report.to_dict()["total"] is None
    project.close()


# ---------------------------------------------------------------- resized copies


def _renditions(project: Project) -> list[tuple[str, str, str, int, int]]:
    r = schema.rendition.c
    with project.catalog.engine.connect() as conn:
        rows = conn.execute(select(r.image_id, r.kind, r.blob_key, r.width, r.height))
        return [(image_id, kind, key, w, h) for image_id, kind, key, w, h in rows]


def test_resized_copies_are_stored_as_renditions_and_checked(
    wordnet_project: Path, folder: Path
) -> None:
    project = Project.open(wordnet_project)
    config = IngestConfig(workers=2, validation=ValidationConfig(resize_side=64))
    assert ingest(project, FolderSource(folder), config).added == 12
    renditions = _renditions(project)
    with project.catalog.engine.connect() as conn:
        images = set(conn.execute(select(schema.image.c.id)).scalars())
    assert {image_id for image_id, *_ in renditions} == images and len(renditions) == 12
    for _, kind, key, width, height in renditions:
        copy = Image.open(io.BytesIO(project.blobs.get(key)))
        assert (kind, copy.format, copy.size) == ("resized-64", "JPEG", (width, height))
        assert (width, height) == (85, 64)  # the photos are 160x120
    assert run_checks(project.catalog, project.blobs).ok
    store, (missing, corrupt) = project.blobs, (key for *_, key, _, _ in renditions[:2])
    store.path(missing).unlink()  # type: ignore[attr-defined]
    store.path(corrupt).write_bytes(b"bit rot")  # type: ignore[attr-defined]
    report = run_checks(project.catalog, store)
    assert {(f.code, f.subject) for f in report.findings} == {
        ("C_BLOB_MISSING", missing),
        ("C_BLOB_CORRUPT", corrupt),
    }
    project.close()


def test_cli_resize_options(wordnet_project: Path, folder: Path) -> None:
    args = ["--project", str(wordnet_project), "ingest", "folder", str(folder), "--workers", "0"]
    runner = CliRunner()
    bad = runner.invoke(cli, [*args, "--resize-side", "0"])
    assert bad.exit_code == 2 and "--resize-side" in bad.output
    bad = runner.invoke(cli, [*args, "--resize-side", "64", "--resize-quality", "101"])
    assert bad.exit_code == 2 and "--resize-quality" in bad.output
    result = runner.invoke(cli, [*args, "--resize-side", "100", "--resize-quality", "80", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == 12
    project = Project.open(wordnet_project)
    stored = {image_id: (kind, key, w, h) for image_id, kind, key, w, h in _renditions(project)}
    data = (folder / TENCH / f"{TENCH}_0.JPEG").read_bytes()
    expected = inspect_image(data, ValidationConfig(resize_side=100, resize_quality=80))
    assert isinstance(expected, Inspected) and expected.resized is not None
    kind, key, width, height = stored[expected.sha256]
    assert (kind, width, height) == ("resized-100", 133, 100)
    assert project.blobs.get(key) == expected.resized.data  # made with the quality asked for
    project.close()


@pytest.mark.slow
def test_kill_9_mid_ingest_then_resume_loses_and_duplicates_nothing(
    wordnet_project: Path, tmp_path: Path
) -> None:
    root = tmp_path / "many"
    total = 0
    for wnid, name in ((TENCH, "coffee"), (GOLDFISH, "chelsea"), (KIT_FOX, "astronaut")):
        (root / wnid).mkdir(parents=True)
        for i, data in enumerate(_variants(name, 60, size=(200, 150))):
            (root / wnid / f"{i:03d}.JPEG").write_bytes(data)
            total += 1
    command = [sys.executable, "-m", "synsetdb", "--project", str(wordnet_project),
               "ingest", "folder", str(root), "--batch-size", "5", "--workers", "2"]  # fmt: skip
    database = wordnet_project / "catalog.sqlite"
    victim = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    logged = _wait_for_rows(database, victim, at_least=10)
    workers = _children(victim.pid)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert 0 < logged < total, "the kill must land mid-ingest"
    assert workers, "the ingest should have had worker processes"
    assert _gone(workers), "worker processes outlived the killed ingest"
    finished = subprocess.run([*command, "--json"], capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout)
    assert report["skipped"] + report["added"] + report["duplicate"] == total
    project = Project.open(wordnet_project)
    distinct = len({p.read_bytes() for p in root.rglob("*.JPEG")})
    assert _count(project, schema.image) == distinct
    assert _count(project, schema.ingest_item) == total
    assert _count(project, schema.candidate) == total
    assert run_checks(project.catalog, project.blobs).ok
    project.close()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _gone(pids: list[int], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if Path(f"/proc/{p}").exists() and "Z" not in _state(p)]
        if not alive:
            return True
        time.sleep(0.05)
    return False


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def _wait_for_rows(database: Path, process: subprocess.Popen[bytes], at_least: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with sqlite3.connect(database, timeout=1) as conn:
                n = conn.execute("SELECT count(*) FROM ingest_item").fetchone()[0]
        except sqlite3.OperationalError:
            n = 0
        if n >= at_least:
            return int(n)
        time.sleep(0.02)
    raise AssertionError("ingest finished or stalled before it could be killed")


def test_dups_finds_near_duplicates_across_and_within_synsets(
    wordnet_project: Path, tmp_path: Path
) -> None:
    root = tmp_path / "near"
    base = photo("chelsea", (320, 240))
    for wnid in (TENCH, GOLDFISH):
        (root / wnid).mkdir(parents=True)
    (root / TENCH / "original.jpg").write_bytes(encode(base, "JPEG", quality=95))
    (root / TENCH / "recompressed.jpg").write_bytes(encode(base, "JPEG", quality=40))
    (root / GOLDFISH / "smaller.png").write_bytes(encode(base.resize((240, 180)), "PNG"))
    (root / GOLDFISH / "other.jpg").write_bytes(encode(photo("rocket", (320, 240)), "JPEG"))
    project = Project.open(wordnet_project)
    ingest(project, FolderSource(root), IngestConfig(workers=0))
    project.close()
    runner = CliRunner()
    args = ["--project", str(wordnet_project), "dups", "--json"]
    across = json.loads(runner.invoke(cli, args).stdout)
    assert [len(g["images"]) for g in across] == [3]
    within = json.loads(runner.invoke(cli, [*args, "--within-synset"]).stdout)
    assert [g["synsets"] for g in within] == [[TENCH, TENCH]]
    only_goldfish = json.loads(runner.invoke(cli, [*args, "--synset", GOLDFISH]).stdout)
    assert only_goldfish == []
    bad = runner.invoke(cli, [*args, "--synset", "n01440765"])
    assert bad.exit_code == 1 and "E_UNKNOWN_SYNSET" in bad.stderr


def test_a_blob_store_that_cannot_be_written_stops_cleanly(
    wordnet_project: Path, folder: Path
) -> None:
    blobs = wordnet_project / "blobs"
    for i in range(256):  # every fan-out folder name taken by a file: writes fail
        (blobs / f"{i:02x}").write_bytes(b"")
    result = CliRunner().invoke(
        cli, ["--project", str(wordnet_project), "ingest", "folder", str(folder), "--workers", "2"]
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error [E_BLOB_WRITE]")
    project = Project.open(wordnet_project)
    assert _count(project, schema.image) == 0
    assert _count(project, schema.ingest_item) == 0
    project.close()
