"""``synsetdb export``: a release built from a real project, exported and read back."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import webdataset as wds
from click.testing import CliRunner
from sqlalchemy import select, update

from synsetdb.catalog import Project, schema
from synsetdb.cli import cli
from synsetdb.ingest.sources.devkit import read_devkit
from synsetdb.release import create_release, load_release, parse_spec
from tests.fixtures.photos import jpeg_variants
from tests.release.catalog_rows import ingest_photos

from .conftest import sha256sum_check

WNIDS = ("n02084071", "n02121808", "n11978233")  # dog, domestic cat, sunflower
SPEC = f"""
seed = 7
[selection]
wnids = {list(WNIDS)!r}
[splits]
val = 2
"""


@pytest.fixture(scope="module")
def _template(tmp_path_factory: pytest.TempPathFactory, wordnet_project_template: Path) -> Path:
    """A project with 18 real photos and a release ``r1`` (train 4 / val 2 per class)."""
    root = Path(shutil.copytree(wordnet_project_template, tmp_path_factory.mktemp("cli") / "p"))
    photos = jpeg_variants(18)
    with _opened(Project.open(root)) as project:
        ingest_photos(
            project,
            root.parent / "photos",
            {w: photos[i * 6 : i * 6 + 6] for i, w in enumerate(WNIDS)},
        )
        create_release(project, "r1", parse_spec(SPEC))
        with project.catalog.engine.begin() as conn:  # the folder source records no licence
            ids = sorted(conn.execute(select(schema.image.c.id)).scalars())
            conn.execute(update(schema.image).values(source="flickr", licence="CC-BY-4.0"))
            conn.execute(
                update(schema.image).where(schema.image.c.id == ids[0]).values(licence=None)
            )
    return root


@pytest.fixture
def project(_template: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(_template, tmp_path / "project"))


class _opened:
    def __init__(self, project: Project) -> None:
        self.project = project

    def __enter__(self) -> Project:
        return self.project

    def __exit__(self, *exc: object) -> None:
        self.project.close()


def run(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--project", str(project), "export", *args])
    return result.exit_code, result.stdout, result.stderr


def test_export_webdataset_reads_back_with_the_releases_labels_and_provenance(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "wds"
    code, stdout, stderr = run(project, "r1", "--format", "webdataset", "--out", str(out), "--json")
    assert code == 0, stderr
    report = json.loads(stdout)
    assert report["total"] == report["images"] == 18 and report["splits"] == {"train": 12, "val": 6}
    assert report["images_per_s"] > 0 and report["mb_per_s"] > 0
    with _opened(Project.open(project)) as opened:
        manifest = load_release(opened, "r1").manifest
    samples = list(
        wds.WebDataset(sorted(str(p) for p in out.glob("*.tar")), shardshuffle=False).decode("pil")
    )
    assert {s["__key__"]: s["cls"] for s in samples} == {
        i.name.replace(".", "_"): manifest.class_to_idx[i.wnid] for i in manifest.items
    }
    # source and licence come from the catalog's image table
    first = min(i.image for i in manifest.items)
    assert {
        (s["json"]["image"] == first, s["json"]["source"], s["json"]["licence"]) for s in samples
    } == {
        (True, "flickr", None),
        (False, "flickr", "CC-BY-4.0"),
    }
    sha256sum_check(out)


def test_export_ilsvrc_uses_the_projects_taxonomy_and_resizes(
    project: Path, tmp_path: Path
) -> None:
    out = tmp_path / "ilsvrc"
    code, stdout, stderr = run(
        project,
        "r1",
        "--format",
        "ilsvrc",
        "--out",
        str(out),
        "--resize-side",
        "64",
        "--workers",
        "2",
    )
    assert code == 0, stderr
    assert "images_per_s" in stdout
    devkit = read_devkit(out)
    assert devkit.synsets[0].words.startswith("dog, domestic dog")
    assert len(list(out.glob("train/*/*.JPEG"))) == 12 and len(devkit.val_ground_truth) == 6


def test_export_parquet_with_splits_and_shard_multiple(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "pq"
    code, _, stderr = run(
        project, "r1", "--format", "parquet", "--out", str(out), "--split", "train",
        "--shard-multiple", "2", "--shard-size", "1GB",
    )  # fmt: skip
    assert code == 0, stderr
    assert sorted(p.name for p in out.glob("*.parquet")) == [
        "train-00000-of-00002.parquet",
        "train-00001-of-00002.parquet",
    ]


def test_errors_are_one_line_with_a_code(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(project, "r1", "--format", "webdataset", "--out", str(out))[0] == 0
    code, _, stderr = run(project, "r1", "--format", "parquet", "--out", str(out))
    assert code == 1 and stderr.startswith("error [E_EXPORT_EXISTS]") and stderr.count("\n") == 1
    code, _, _ = run(project, "r1", "--format", "parquet", "--out", str(out), "--overwrite")
    assert code == 0 and json.loads((out / "export.json").read_text())["format"] == "parquet"
    code, _, stderr = run(project, "nope", "--format", "parquet", "--out", str(tmp_path / "x"))
    assert code == 1 and "E_NO_RELEASE" in stderr
    code, _, stderr = run(
        project, "r1", "--format", "ilsvrc", "--out", str(tmp_path / "y"), "--split", "test"
    )
    assert code == 1 and "E_NO_SPLIT" in stderr
    code, _, stderr = run(project, "r1", "--format", "webdataset", "--out", str(tmp_path / "z"),
                          "--shard-multiple", "7")  # fmt: skip
    assert code == 1 and "E_EXPORT_SHARDS" in stderr  # val has 6 samples


@pytest.mark.parametrize(
    "args", [["--format", "zip"], ["--shard-size", "big"], ["--resize-side", "0"]]
)
def test_usage_errors_exit_2(project: Path, tmp_path: Path, args: list[str]) -> None:
    base = {"--format": "webdataset", "--out": str(tmp_path / "o")}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    code, _, _ = run(project, "r1", *[x for kv in base.items() for x in kv])
    assert code == 2
