"""The audit on an ILSVRC-2012 import finds what the miniature plants, and nothing else.

The miniature (``tests/fixtures/imagenet_layouts.py``) is built like the real
archives and carries ImageNet's own quirks: a CMYK JPEG among the racer
images (ILSVRC-2012's train set has 22), images without a licence (ImageNet's
carry none), and synthetic pictures so alike that several val images
near-duplicate train images of other classes.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from synsetdb.audit import AuditConfig, run_audit
from synsetdb.catalog import Project
from synsetdb.cli import cli
from tests.fixtures.imagenet_layouts import KIT_FOX, RACER, TABBY, TENCH, build_ilsvrc_archives

# A miniature: three train and two val images a class.
OPTIONS = {"BAL002": {"min_images": 3}}


def _run(*args: str) -> None:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output


@pytest.fixture
def imported(wordnet_project: Path, tmp_path: Path) -> Project:
    data = tmp_path / "ilsvrc"
    data.mkdir()
    build_ilsvrc_archives(data)
    project = str(wordnet_project)
    _run("--project", project, "ingest", "ilsvrc", str(data), "--workers", "0")
    spec = tmp_path / "spec.toml"
    wnids = ", ".join(f'"{w}"' for w in (TENCH, KIT_FOX, TABBY, RACER))
    spec.write_text(f"seed = 1\n[selection]\nwnids = [{wnids}]\nmin_images = 1\n")
    _run("--project", project, "release", "create", "v1", "--spec", str(spec))
    return Project.open(wordnet_project)


def _codes(project: Project, release: str | None) -> Counter[str]:
    report = run_audit(project, AuditConfig(release=release, options=OPTIONS))
    return Counter(f.code for result in report.results for f in result.findings)


def test_the_audit_of_an_ilsvrc_import_finds_what_the_miniature_plants(imported: Project) -> None:
    try:
        assert _codes(imported, None) == {"IMG004": 1, "LIC001": 1, "LEK005": 6}
        release = _codes(imported, "v1")
        assert release == {"IMG004": 1, "LIC001": 1, "LEK005": 6, "LEK003": 7}
    finally:
        imported.close()
