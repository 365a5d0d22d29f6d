"""Fixtures for export tests: the small real-photo release and helpers to look at exports."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from synsetdb.catalog.blobs import LocalBlobStore
from synsetdb.formats import ExportOptions, ExportReport, get_exporter
from synsetdb.release import Manifest, Release, ReleaseItem
from tests.fixtures.releases import small_release

Export = Callable[..., ExportReport]


@pytest.fixture(scope="session")
def _pristine_release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    return small_release(tmp_path_factory.mktemp("release") / "blobs")


@pytest.fixture
def release(_pristine_release: Release, tmp_path: Path) -> Release:
    """3 classes, train 6 / val 3 each, one PNG per class in train, one box per class in val.

    Its blobs are this test's own copy: a test may delete or corrupt them.
    """
    assert isinstance(_pristine_release.blobs, LocalBlobStore)
    blobs = shutil.copytree(_pristine_release.blobs.root, tmp_path / "blobs")
    return Release(_pristine_release.name, _pristine_release.manifest, LocalBlobStore(blobs))


@pytest.fixture
def export(tmp_path: Path) -> Export:
    """``export(release, fmt, out=None, **options)``: run an exporter in this process (no pool)."""

    def run(release: Release, fmt: str, out: Path | None = None, **options: object) -> ExportReport:
        options.setdefault("workers", 0)
        target = out if out is not None else tmp_path / f"out-{fmt}"
        return get_exporter(fmt).export(release, target, ExportOptions(**options))  # type: ignore[arg-type]

    return run


def with_items(release: Release, items: Sequence[ReleaseItem]) -> Release:
    """The same release with other items (same classes and blobs)."""
    manifest: Manifest = dataclasses.replace(release.manifest, items=tuple(items))
    return Release(release.name, manifest, release.blobs)


def renamed(release: Release, index: int, name: str) -> Release:
    """The release with item ``index`` renamed (the manifest allows any string)."""
    items = list(release.manifest.items)
    items[index] = dataclasses.replace(items[index], name=name)
    return with_items(release, items)


def blob_path(release: Release, item: ReleaseItem) -> Path:
    assert isinstance(release.blobs, LocalBlobStore)
    return release.blobs.path(item.blob)


def files_under(root: Path) -> dict[str, int]:
    """Every file under ``root`` (relative path -> inode number), hidden ones included."""
    return {str(p.relative_to(root)): p.stat().st_ino for p in root.rglob("*") if p.is_file()}


def sha256sum_check(root: Path) -> None:
    """``sha256sum -c SHA256SUMS`` in ``root`` must pass."""
    result = subprocess.run(
        ["sha256sum", "--check", "--strict", "SHA256SUMS"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
