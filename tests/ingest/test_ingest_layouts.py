"""Every ImageNet layout through `synsetdb ingest`: labels, splits, names and boxes stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from synsetdb.catalog import Project, schema
from synsetdb.catalog.checks import run_checks
from synsetdb.cli import cli
from tests.fixtures.imagenet_layouts import (
    Expected,
    build_ilsvrc_archives,
    build_imagenet21k,
    build_kaggle_layout,
    build_torchvision_layout,
)

LAYOUTS: dict[str, tuple[str, Callable[[Path], Expected]]] = {
    "archives": ("ilsvrc", build_ilsvrc_archives),
    "torchvision": ("ilsvrc", build_torchvision_layout),
    "kaggle": ("ilsvrc", build_kaggle_layout),
    "imagenet21k-tars": ("imagenet21k", lambda root: build_imagenet21k(root, as_tars=True)),
    "imagenet21k-folders": ("imagenet21k", lambda root: build_imagenet21k(root, as_tars=False)),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layout_imports_completely(layout: str, wordnet_project: Path, tmp_path: Path) -> None:
    command, build = LAYOUTS[layout]
    root = tmp_path / "data"
    root.mkdir()
    expected = build(root)
    result = CliRunner().invoke(
        cli,
        [
            "--project",
            str(wordnet_project),
            "ingest",
            command,
            str(root),
            "--workers",
            "0",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rejected"] == 0, report
    assert report["added"] == len({e.data for e in expected})

    project = Project.open(wordnet_project)
    cand, synset, box = schema.candidate.c, schema.synset.c, schema.box.c
    with project.catalog.engine.connect() as conn:
        rows = conn.execute(
            select(cand.image_id, synset.wnid, cand.split, cand.file_name, cand.status).join(
                schema.synset, synset.id == cand.synset_id
            )
        ).all()
        boxes = conn.execute(select(box.image_id, synset.wnid, box.x0, box.y0, box.x1, box.y1).join(
            schema.synset, synset.id == box.synset_id
        )).all()  # fmt: skip
    stored = {(wnid, split, name) for _, wnid, split, name, _ in rows}
    labelled = [e for e in expected if e.wnid is not None]
    assert stored == {(e.wnid, e.split, e.name) for e in labelled}
    assert {status for *_, status in rows} == {"accepted"}  # official labels are verified labels
    expected_boxes = {(b.wnid, b.x0, b.y0, b.x1, b.y1) for e in labelled for b in e.boxes}
    assert {tuple(b[1:]) for b in boxes} == expected_boxes
    assert run_checks(project.catalog, project.blobs).ok
    project.close()
