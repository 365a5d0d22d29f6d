"""A researcher's own folders: labels refused with what they meant, every rejection findable."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from synsetdb.catalog import Project, schema
from synsetdb.cli import cli
from synsetdb.errors import IngestError
from synsetdb.ingest import FolderSource, IngestConfig, ingest
from tests.fixtures.photos import encode, photo

TABBY, DOG = "n02123045", "n02084071"


def _cli(project: Path, *args: str) -> tuple[int, str, str]:
    with contextlib.chdir(project):
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _photos(folder: Path, names: tuple[str, ...] = ("chelsea", "coffee", "astronaut")) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.jpg").write_bytes(encode(photo(name, (200, 150)), "JPEG"))


def _labels(project: Project) -> set[tuple[str, str, str | None]]:
    c, s = schema.candidate.c, schema.synset.c
    with project.catalog.engine.connect() as conn:
        rows = conn.execute(
            select(c.file_name, s.wnid, c.decided_by).join(schema.synset, s.id == c.synset_id)
        )
        return {(str(f), str(w), d) for f, w, d in rows}


def test_one_class_folder_alone_is_refused_not_stored_unlabelled(
    wordnet_project: Path, tmp_path: Path
) -> None:
    _photos(tmp_path / TABBY)
    code, _, err = _cli(wordnet_project, "ingest", "folder", str(tmp_path / TABBY))
    assert code == 1 and "E_NO_LABELS" in err and f"--synset {TABBY}" in err
    project = Project.open(wordnet_project)
    assert not project.catalog.has_images()  # refused before anything was read
    project.close()


def test_a_flat_folder_needs_a_label_or_unlabelled(wordnet_project: Path, tmp_path: Path) -> None:
    _photos(tmp_path / "flat")
    code, _, err = _cli(wordnet_project, "ingest", "folder", str(tmp_path / "flat"))
    assert code == 1 and "E_NO_LABELS" in err and "--unlabelled" in err
    code, out, _ = _cli(wordnet_project, "ingest", "folder", "--unlabelled", str(tmp_path / "flat"))
    assert code == 0, out
    project = Project.open(wordnet_project)
    assert project.catalog.has_images() and _labels(project) == set()
    project.close()


def test_synset_option_labels_every_image_of_one_class_folder(
    wordnet_project: Path, tmp_path: Path
) -> None:
    _photos(tmp_path / "my cats")
    code, _out, err = _cli(
        wordnet_project,
        "ingest",
        "folder",
        "--synset",
        TABBY,
        "--trusted",
        str(tmp_path / "my cats"),
    )
    assert code == 0, err
    project = Project.open(wordnet_project)
    assert _labels(project) == {
        (f"{n}.jpg", TABBY, "source") for n in ("chelsea", "coffee", "astronaut")
    }
    project.close()


def test_folders_named_in_words_are_refused_with_the_synsets_they_meant(
    wordnet_project: Path, tmp_path: Path
) -> None:
    _photos(tmp_path / "data" / "cats", ("chelsea",))
    _photos(tmp_path / "data" / "dogs", ("coffee",))
    code, _, err = _cli(wordnet_project, "ingest", "folder", str(tmp_path / "data"))
    assert code == 1 and "E_LABEL" in err
    assert "'cats'" in err and "n02121620 (cat)" in err and "n02084071 (dog)" in err


def test_a_mistyped_wnid_folder_is_rejected_with_suggestions_and_listed(
    wordnet_project: Path, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    _photos(root / DOG, ("coffee",))
    _photos(root / "n0212304", ("chelsea",))  # a digit short of tabby's id
    (root / DOG / "notes.txt").write_text("not an image")
    code, out, _ = _cli(wordnet_project, "ingest", "folder", str(root))
    assert code == 0
    assert f"E_LABEL  {root / 'n0212304' / 'chelsea.jpg'}" in out
    assert f"did you mean {TABBY} (tabby)?" in " ".join(out.split())  # wrapped at 80 columns
    assert max(len(line) for line in out.splitlines() if "/" not in line) <= 80
    assert f"E_FORMAT  {root / DOG / 'notes.txt'}" in out
    assert "synsetdb ingest log --rejected --source" in out
    # later, from the log: the same inputs, codes and reasons
    code, out, _ = _cli(wordnet_project, "ingest", "log", "--rejected", "--source", str(root))
    assert code == 0 and "2 rejected input(s)" in out
    assert str(root / "n0212304" / "chelsea.jpg") in out and "tabby" in out
    code, out, _ = _cli(wordnet_project, "ingest", "log", "--rejected", "--json")
    logged = json.loads(out)
    assert logged["total"] == 2
    assert {i["code"] for i in logged["inputs"]} == {"E_LABEL", "E_FORMAT"}
    out = _cli(wordnet_project, "ingest", "log")[1]
    assert f"folder:{root}" in out and "1 added, 0 duplicate, 2 rejected" in out


def test_the_json_report_lists_every_rejection(wordnet_project: Path, tmp_path: Path) -> None:
    root = tmp_path / "data"
    _photos(root / DOG, ("coffee",))
    for i in range(14):
        (root / DOG / f"bad{i:02d}.jpg").write_bytes(b"not a jpeg at all")
    _, out, _ = _cli(wordnet_project, "ingest", "folder", str(root))
    assert "… and 4 more: synsetdb ingest log --rejected --source" in out  # 10 shown
    _, out, _ = _cli(wordnet_project, "ingest", "log", "--rejected", "--limit", "0")
    assert out.count("E_FORMAT") == 14
    project = Project.open(wordnet_project)
    project.catalog.engine.dispose()
    (root / DOG / "bad99.jpg").write_bytes(b"still not a jpeg")
    _code, out, _ = _cli(wordnet_project, "ingest", "folder", "--json", str(root))
    report = json.loads(out)
    assert report["rejections"] == [
        {
            "input": str(root / DOG / "bad99.jpg"),
            "code": "E_FORMAT",
            "detail": report["rejections"][0]["detail"],
        }
    ]
    project.close()


def test_a_file_beside_the_class_folders_is_rejected_not_stored_unlabelled(
    wordnet_project: Path, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    _photos(root / DOG, ("coffee",))
    (root / "stray.jpg").write_bytes(encode(photo("rocket", (200, 150)), "JPEG"))
    project = Project.open(wordnet_project)
    report = ingest(project, FolderSource(root), IngestConfig(workers=0))
    assert (report.added, dict(report.codes)) == (1, {"E_NO_LABEL": 1})
    assert report.rejections[0].input == str(root / "stray.jpg")
    project.close()


def test_licence_author_and_source_name_are_kept(wordnet_project: Path, tmp_path: Path) -> None:
    _photos(tmp_path / "data" / DOG, ("coffee",))
    code, _, err = _cli(
        wordnet_project,
        "ingest",
        "folder",
        "--licence",
        "CC-BY-4.0",
        "--author",
        "Ada's lab",
        "--source-name",
        "lab-photos-2026",
        str(tmp_path / "data"),
    )
    assert code == 0, err
    project = Project.open(wordnet_project)
    with project.catalog.engine.connect() as conn:
        image = conn.execute(select(schema.image.c.source, schema.image.c.licence)).one()
        provenance, source = conn.execute(
            select(schema.candidate.c.provenance, schema.candidate.c.source)
        ).one()
    assert tuple(image) == ("lab-photos-2026", "CC-BY-4.0")
    assert source == "lab-photos-2026" and provenance["author"] == "Ada's lab"
    project.close()


def test_trusting_a_source_on_a_rerun_accepts_what_was_ingested_before(
    wordnet_project: Path, tmp_path: Path
) -> None:
    """Re-ingesting with --trusted used to do nothing: the images were already done."""
    _photos(tmp_path / "data" / DOG)
    root = str(tmp_path / "data")
    assert _cli(wordnet_project, "ingest", "folder", root)[0] == 0
    project = Project.open(wordnet_project)
    assert {d for *_, d in _labels(project)} == {None}
    code, out, _ = _cli(wordnet_project, "ingest", "folder", "--trusted", root)
    assert code == 0 and "accepted 3 labels ingested by earlier runs" in out
    assert {d for *_, d in _labels(project)} == {"source"}
    project.close()


def test_check_labels_refuses_an_unknown_label_for_all(tmp_path: Path) -> None:
    _photos(tmp_path / "x")
    source = FolderSource(tmp_path / "x", label="n99999999")
    with pytest.raises(IngestError) as caught:
        source.check_labels({DOG}, lambda label: f"unknown {label}")
    assert caught.value.code == "E_LABEL"


def test_a_file_fixed_in_place_is_tried_again_when_asked(
    wordnet_project: Path, tmp_path: Path
) -> None:
    """A re-run skips what it logged, rejects included; --retry-rejected tries those again,
    and the log keeps one row per input."""
    root = tmp_path / "data"
    _photos(root / DOG, ("coffee",))
    broken = root / DOG / "rocket.jpg"
    broken.write_bytes(b"half a download")
    assert "rejected    1" in _cli(wordnet_project, "ingest", "folder", str(root))[1]
    broken.write_bytes(encode(photo("rocket", (200, 150)), "JPEG"))  # fixed, same name
    out = _cli(wordnet_project, "ingest", "folder", str(root))[1]
    assert "added       0" in out  # skipped: its key is done
    out = _cli(wordnet_project, "ingest", "folder", "--retry-rejected", str(root))[1]
    assert "added       1" in out and "rejected    0" in out
    out = _cli(wordnet_project, "ingest", "log")[1]
    assert "2 added, 0 duplicate, 0 rejected" in out
    project = Project.open(wordnet_project)
    assert len(project.catalog.images_under(DOG)) == 2
    project.close()


def test_the_log_of_one_source_by_its_path_and_an_unknown_one(
    wordnet_project: Path, tmp_path: Path
) -> None:
    root = tmp_path / "data"
    _photos(root / DOG, ("coffee",))
    _cli(wordnet_project, "ingest", "folder", str(root))
    code, out, _ = _cli(wordnet_project, "ingest", "log", "--source", str(root))
    assert code == 0 and out.splitlines()[0] == f"folder:{root}"
    code, _, err = _cli(wordnet_project, "ingest", "log", "--source", str(tmp_path / "nope"))
    assert code == 1 and "E_UNKNOWN_SOURCE" in err and f"folder:{root}" in err
