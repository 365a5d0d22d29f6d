"""The ingest pipeline end to end: folder sources, real photos, bad input, resume, kill -9."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from synsetdb.catalog import Project, schema
from synsetdb.catalog.checks import run_checks
from synsetdb.cli import cli
from synsetdb.ingest import FolderSource, IngestConfig, ingest
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
