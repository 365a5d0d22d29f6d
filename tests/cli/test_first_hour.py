"""A new user's first hour, end to end, with no workaround (docs/quickstart-own-data.md).

Labelled folders → trusted ingest → release → export → DataLoader → baseline →
eval, then more photos and a second release with the first as its parent.
Every command is the one the quick start shows.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from synsetdb.catalog import Project
from synsetdb.cli import cli
from synsetdb.release import load_release

BUNDLE = Path(__file__).resolve().parents[2] / "src" / "synsetdb" / "demo" / "bundle" / "images"
FIRST = ("n02084071", "n02121808", "n02691156", "n02958343")  # dog, cat, airplane, car
LATER = "n02129604"  # tiger, photographed later

SPEC = """\
description = "Our lab's photos"
seed = 1
{parent}
[selection]
wnids = {wnids}

[splits]
val = 2
"""


def run(project: Path, *args: str) -> str:
    """Run a command as the user would; it must succeed, and its output fit 80 columns
    (piped, as here) but for lines that hold a path, which is never cut, and JSON."""
    with contextlib.chdir(project):
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, f"synsetdb {' '.join(args)}:\n{result.output}"
    plain = "--json" not in args  # JSON is for scripts
    wide = [line for line in result.stdout.splitlines() if len(line) > 80 and "/" not in line]
    wide = wide if plain else []
    assert not wide, f"synsetdb {' '.join(args)}: over 80 columns:\n" + "\n".join(wide)
    return result.stdout


def _copy_classes(wnids: tuple[str, ...], to: Path) -> Path:
    for wnid in wnids:
        shutil.copytree(BUNDLE / wnid, to / wnid)
    return to


def _spec(path: Path, wnids: tuple[str, ...], parent: str | None = None) -> Path:
    line = f'parent = "{parent}"' if parent else ""
    path.write_text(SPEC.format(parent=line, wnids=json.dumps(list(wnids))))
    return path


def test_labelled_folders_to_a_trained_and_scored_model(
    wordnet_project: Path, tmp_path: Path
) -> None:
    project = wordnet_project
    photos = _copy_classes(FIRST, tmp_path / "photos")

    out = run(project, "ingest", "folder", "--trusted", "--licence", "CC-BY-4.0", str(photos))
    assert "added       32" in out and "rejected    0" in out

    out = run(project, "release", "create", "v1", "--spec", str(_spec(tmp_path / "v1.toml", FIRST)))
    assert "created release v1: 4 classes, 32 items" in out
    assert "labels: 32 labels from a trusted source" in out
    datasheet = (project / "releases" / "v1" / "datasheet.md").read_text()
    assert "| labels | 32 labels from a trusted source" in datasheet

    export = tmp_path / "export"
    run(project, "export", "v1", "--format", "ilsvrc", "--out", str(export))
    assert (export / "LOC_synset_mapping.txt").is_file()

    from torch.utils.data import DataLoader

    from synsetdb.loaders import ImageFolderExport, ReleaseDataset
    from synsetdb.loaders.decode import DraftResize

    opened = Project.open(project)
    train = ReleaseDataset(load_release(opened, "v1"), split="train", loader=DraftResize(64))
    batches = list(DataLoader(train, batch_size=8))
    assert sum(len(labels) for _, labels in batches) == 24
    val = ImageFolderExport(export, split="val")
    assert len(val) == 8 and val.classes == sorted(FIRST)
    opened.close()

    predictions = tmp_path / "nn.csv"
    out = run(project, "baseline", "nn", "--release", "v1", "--predictions", str(predictions))
    assert "k 6 (asked for 100;" in " ".join(out.split())  # capped by the data, and said

    out = run(project, "eval", str(predictions), "--release", "v1")
    assert all(wnid in out for wnid in FIRST)  # the per-class table, ids whole

    # More photos, a new class, and a release that keeps v1's splits.
    _copy_classes((LATER,), photos)
    out = run(project, "ingest", "folder", "--trusted", str(photos))
    assert "added       8" in out
    spec = _spec(tmp_path / "v2.toml", (*FIRST, LATER), parent="v1")
    run(project, "release", "create", "v2", "--spec", str(spec))
    opened = Project.open(project)
    v1, v2 = load_release(opened, "v1"), load_release(opened, "v2")
    split_in_v2 = {(i.image, i.wnid): i.split for i in v2.manifest.items}
    assert all(split_in_v2[(i.image, i.wnid)] == i.split for i in v1.manifest.items)
    opened.close()
    diff = json.loads(run(project, "release", "diff", "v1", "v2", "--json"))
    assert diff["counts"]["moved"] == diff["counts"]["held_out_to_train"] == 0
    assert diff["counts"]["images_added"] == 8
    assert "v2" in run(project, "release", "list") and LATER in run(
        project, "release", "show", "v2"
    )

    # Asked for, a fresh split moves held-out images into train, and says so.
    spec = _spec(tmp_path / "v3.toml", (*FIRST, LATER), parent="v2").read_text()
    (tmp_path / "v3.toml").write_text(spec.replace("seed = 1", "seed = 3"))
    run(project, "release", "create", "v3", "--resplit", "--spec", str(tmp_path / "v3.toml"))
    leaked = json.loads(run(project, "release", "diff", "v2", "v3", "--json"))["counts"]
    assert leaked["held_out_to_train"] > 0
    assert "WARNING: " in run(project, "release", "diff", "v2", "v3")
