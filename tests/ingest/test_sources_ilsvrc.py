"""ILSVRC-2012 sources over miniature copies of each official layout."""

from __future__ import annotations

import io
import re
import shutil
import tarfile
from pathlib import Path

import pytest

from synsetdb.errors import IngestError
from synsetdb.ingest.items import Box, Source, SourceItem
from synsetdb.ingest.sources._archive import iter_archive, iter_tar_of_tars
from synsetdb.ingest.sources.ilsvrc import (
    IlsvrcArchives,
    IlsvrcFolders,
    IlsvrcKaggle,
    open_ilsvrc,
)
from tests.fixtures.imagenet_layouts import (
    CLASSES,
    DOG,
    KAGGLE_CSV_ONLY,
    KIT_FOX,
    RACER,
    TABBY,
    TENCH,
    build_ilsvrc_archives,
    build_kaggle_layout,
    build_torchvision_layout,
    devkit_tar_gz,
    expected_records,
    meta_mat_bytes,
    records,
    tree_files,
    voc_xml,
    write_tar,
)

TRAIN_TAR, VAL_TAR = "ILSVRC2012_img_train.tar", "ILSVRC2012_img_val.tar"
DEVKIT = "ILSVRC2012_devkit_t12.tar.gz"


def _problems(items: list[SourceItem]) -> dict[str, tuple[str, str | None]]:
    return {i.key: (i.problem.code, i.wnid) for i in items if i.problem is not None}


class NonSeekable(io.RawIOBase):
    """A pipe-like reader: reads forward only, as from a tape or a network stream."""

    def __init__(self, data: bytes) -> None:
        self._inner = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._inner.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def seek(self, *_: object) -> int:
        raise io.UnsupportedOperation("not seekable")

    def tell(self) -> int:
        raise io.UnsupportedOperation("not seekable")


# ---------------------------------------------------------------- original archives


def test_archives_yield_every_image_with_labels_splits_names_and_boxes(tmp_path: Path) -> None:
    expected = build_ilsvrc_archives(tmp_path)
    before = tree_files(tmp_path)
    source = open_ilsvrc(tmp_path)
    assert isinstance(source, IlsvrcArchives) and isinstance(source, Source)
    assert source.name == f"ilsvrc2012:{tmp_path.resolve()}"
    items = list(source.items())
    assert records(items) == expected_records(expected)
    assert all(i.data is not None and i.path is None and i.problem is None for i in items)
    assert {i.split for i in items} == {"train", "val", "test"}
    assert any(i.boxes for i in items if i.split == "train")
    assert all(i.boxes for i in items if i.split == "val")
    assert tree_files(tmp_path) == before  # streamed: nothing extracted next to the archives
    assert records(source.items()) == records(items)  # deterministic


def test_val_labels_come_through_meta_mat_ids(tmp_path: Path) -> None:
    build_ilsvrc_archives(tmp_path, test=False, bboxes=False)
    val = [i for i in open_ilsvrc(tmp_path).items() if i.split == "val"]
    # Ground truth 3, 1, 2, 4…: devkit ids, which as sorted-wnid indices would be wrong.
    assert [i.wnid for i in val] == [TENCH, KIT_FOX, RACER, TABBY, KIT_FOX, TENCH, TABBY, RACER]
    assert sorted(CLASSES)[2] == TABBY  # what line 1 ("3") would wrongly mean
    assert val[0].provenance["member"] == "ILSVRC2012_val_00000001.JPEG"


def test_train_tar_is_read_in_stream_mode(tmp_path: Path) -> None:
    expected = build_ilsvrc_archives(tmp_path, test=False, bboxes=False)
    stream = NonSeekable((tmp_path / TRAIN_TAR).read_bytes())
    items = list(
        iter_tar_of_tars(
            io.BufferedReader(stream), where=TRAIN_TAR, split="train", prefix="train/", label_of=str
        )
    )
    assert records(items) == expected_records(e for e in expected if e.split == "train")
    flat = NonSeekable((tmp_path / VAL_TAR).read_bytes())
    names = [m.name for _, m in iter_archive(io.BufferedReader(flat), VAL_TAR)]
    assert names == [e.name for e in expected if e.split == "val"]


def test_skip_leaves_done_keys_out(tmp_path: Path) -> None:
    expected = build_ilsvrc_archives(tmp_path)
    done = {e.key for e in expected[::2]}
    keys = [i.key for i in open_ilsvrc(tmp_path).items(skip=done)]
    assert keys == [e.key for e in expected if e.key not in done]


def test_one_archive_path_with_the_devkit_beside_it(tmp_path: Path) -> None:
    expected = build_ilsvrc_archives(tmp_path, bboxes=False)
    source = open_ilsvrc(tmp_path / VAL_TAR)
    assert source.name == f"ilsvrc2012:{tmp_path.resolve()}"
    assert records(source.items()) == expected_records(e for e in expected if e.split == "val")


def test_extracted_devkit_folder_works_too(tmp_path: Path) -> None:
    expected = build_ilsvrc_archives(tmp_path, test=False, bboxes=False)
    with tarfile.open(tmp_path / DEVKIT) as tar:
        tar.extractall(tmp_path, filter="data")
    (tmp_path / DEVKIT).unlink()
    assert records(open_ilsvrc(tmp_path).items()) == expected_records(expected)


def test_val_without_devkit_raises_e_devkit(tmp_path: Path) -> None:
    build_ilsvrc_archives(tmp_path)
    (tmp_path / DEVKIT).unlink()
    with pytest.raises(IngestError, match=DEVKIT) as caught:
        open_ilsvrc(tmp_path)
    assert caught.value.code == "E_DEVKIT"


def test_malformed_meta_mat_raises_e_devkit_at_open(tmp_path: Path) -> None:
    build_ilsvrc_archives(tmp_path)
    devkit_tar_gz(tmp_path / DEVKIT, meta=b"MATLAB 5.0 MAT-file, but not really")
    with pytest.raises(IngestError, match=re.escape("meta.mat")) as caught:
        open_ilsvrc(tmp_path)
    assert caught.value.code == "E_DEVKIT"


def _inner_tars(root: Path) -> list[tuple[str, bytes]]:
    with tarfile.open(root / TRAIN_TAR) as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar]  # type: ignore[union-attr]


def test_corrupt_inner_tars_are_rejected_and_the_rest_comes_through(tmp_path: Path) -> None:
    expected = build_ilsvrc_archives(tmp_path, test=False, bboxes=False)
    inner = dict(_inner_tars(tmp_path))
    inner[f"{TABBY}.tar"] = b"this is no tar archive " * 40
    racer = inner[f"{RACER}.tar"]
    with tarfile.open(fileobj=io.BytesIO(racer)) as tar:
        first, second = tar.getmembers()[:2]
    inner[f"{RACER}.tar"] = racer[: second.offset_data + 100]  # cut inside image 2
    write_tar(tmp_path / TRAIN_TAR, inner.items())
    items = list(open_ilsvrc(tmp_path).items())
    assert _problems(items) == {
        f"train/{TABBY}.tar": ("E_ARCHIVE", TABBY),
        f"train/{RACER}.tar": ("E_ARCHIVE", RACER),
    }
    train = [e for e in expected if e.split == "train"]
    lost = {e.key for e in train if e.wnid == TABBY or (e.wnid == RACER and e.name != first.name)}
    kept = [e for e in expected if e.key not in lost]
    assert records(items) == expected_records(kept)
    assert "unreadable tar" in next(i for i in items if i.problem).problem.detail  # type: ignore[union-attr]


def test_garbage_header_inside_an_inner_tar_is_not_taken_for_its_end(tmp_path: Path) -> None:
    build_ilsvrc_archives(tmp_path, test=False, bboxes=False)
    inner = dict(_inner_tars(tmp_path))
    tench = bytearray(inner[f"{TENCH}.tar"])
    with tarfile.open(fileobj=io.BytesIO(bytes(tench))) as tar:
        second = tar.getmembers()[1]
    tench[second.offset : second.offset + 512] = b"\x07" * 512  # tarfile alone would stop here
    inner[f"{TENCH}.tar"] = bytes(tench)
    write_tar(tmp_path / TRAIN_TAR, inner.items())
    items = list(open_ilsvrc(tmp_path).items())
    assert _problems(items) == {f"train/{TENCH}.tar": ("E_ARCHIVE", TENCH)}
    assert [i.key for i in items if i.key.startswith(f"train/{TENCH}/")] == [
        f"train/{TENCH}/{TENCH}_10026.JPEG"
    ]


def test_train_class_not_in_the_devkit_is_e_label(tmp_path: Path) -> None:
    expected = build_ilsvrc_archives(tmp_path, test=False, bboxes=False)
    inner = _inner_tars(tmp_path)
    dog = io.BytesIO()
    write_tar(dog, [(f"{DOG}_1.JPEG", expected[0].data)])
    write_tar(tmp_path / TRAIN_TAR, [*inner, (f"{DOG}.tar", dog.getvalue()), ("README", b"hi")])
    items = list(open_ilsvrc(tmp_path).items())
    assert _problems(items) == {
        f"train/{DOG}/{DOG}_1.JPEG": ("E_LABEL", None),
        "train/README": ("E_ARCHIVE", None),
    }
    assert records(items) == expected_records(expected)


def test_val_images_without_usable_ground_truth_are_e_label(tmp_path: Path) -> None:
    expected = build_ilsvrc_archives(tmp_path, test=False, bboxes=False)
    # Line 2 names an internal synset, line 3 an id meta.mat lacks, line 4 is not a
    # number; images 7 and 8 have no line at all.
    devkit_tar_gz(tmp_path / DEVKIT, ground_truth=[3, 1001, 999, "four", 1, 3])
    items = list(open_ilsvrc(tmp_path).items())
    bad = {f"val/ILSVRC2012_val_{n:08d}.JPEG" for n in (2, 3, 4, 7, 8)}
    assert _problems(items) == dict.fromkeys(bad, ("E_LABEL", None))
    assert records(items) == expected_records(e for e in expected if e.key not in bad)
    assert all(i.data for i in items)  # rejected items still carry their bytes


def test_malformed_box_annotation_rejects_only_its_image(tmp_path: Path) -> None:
    expected = build_ilsvrc_archives(tmp_path, test=False)
    with tarfile.open(tmp_path / "ILSVRC2012_bbox_val_v3.tgz") as tar:
        xmls = [(m.name, tar.extractfile(m).read()) for m in tar]  # type: ignore[union-attr]
    xmls[4] = (xmls[4][0], b"<annotation><object><name>n01440764</name>")
    write_tar(tmp_path / "ILSVRC2012_bbox_val_v3.tgz", xmls, "w:gz")
    items = list(open_ilsvrc(tmp_path).items())
    bad = "val/ILSVRC2012_val_00000005.JPEG"
    assert _problems(items) == {bad: ("E_ANNOTATION", KIT_FOX)}
    assert records(items) == expected_records(e for e in expected if e.key != bad)


def test_unreadable_top_level_archive_raises_e_archive(tmp_path: Path) -> None:
    build_ilsvrc_archives(tmp_path)
    (tmp_path / TRAIN_TAR).write_bytes(b"not a tar " * 100)
    with pytest.raises(IngestError, match=TRAIN_TAR) as caught:
        list(open_ilsvrc(tmp_path).items())
    assert caught.value.code == "E_ARCHIVE"
    with pytest.raises(IngestError) as caught:
        IlsvrcArchives(tmp_path, train=tmp_path / "missing.tar")
    assert caught.value.code == "E_ARCHIVE"


def test_truncated_val_archive_raises_e_archive_after_the_images_before(tmp_path: Path) -> None:
    build_ilsvrc_archives(tmp_path, test=False, bboxes=False)
    data = (tmp_path / VAL_TAR).read_bytes()
    (tmp_path / VAL_TAR).write_bytes(data[: len(data) // 2])
    seen: list[str] = []
    with pytest.raises(IngestError, match=VAL_TAR) as caught:
        seen.extend(i.key for i in open_ilsvrc(tmp_path).items())
    assert caught.value.code == "E_ARCHIVE"
    assert "val/ILSVRC2012_val_00000001.JPEG" in seen


# ---------------------------------------------------------------- torchvision folders


def test_torchvision_layout(tmp_path: Path) -> None:
    expected = build_torchvision_layout(tmp_path)
    source = open_ilsvrc(tmp_path)
    assert isinstance(source, IlsvrcFolders)
    assert source.name == f"ilsvrc2012-folders:{tmp_path.resolve()}"
    items = list(source.items())
    assert records(items) == expected_records(expected)
    assert all(i.path and i.data is None and Path(i.path).is_absolute() for i in items)
    assert {i.key: i.split for i in items}["val/n01440764/ILSVRC2012_val_00000001.JPEG"] == "val"


def test_torchvision_files_outside_wnid_folders_are_e_label(tmp_path: Path) -> None:
    expected = build_torchvision_layout(tmp_path)
    (tmp_path / "train" / "stray.JPEG").write_bytes(expected[0].data)
    (tmp_path / "val" / "cats").mkdir()
    (tmp_path / "val" / "cats" / "a.JPEG").write_bytes(expected[0].data)
    (tmp_path / "train" / ".DS_Store").write_bytes(b"hidden")
    items = list(open_ilsvrc(tmp_path).items())
    assert _problems(items) == {
        "train/stray.JPEG": ("E_LABEL", None),
        "val/cats/a.JPEG": ("E_LABEL", None),
    }
    assert records(items) == expected_records(expected)


# ---------------------------------------------------------------- Kaggle CLS-LOC


def test_kaggle_layout(tmp_path: Path) -> None:
    expected = build_kaggle_layout(tmp_path)
    source = open_ilsvrc(tmp_path)
    assert isinstance(source, IlsvrcKaggle)
    assert source.name == f"ilsvrc2012-kaggle:{tmp_path.resolve()}"
    items = list(source.items())
    assert records(items) == expected_records(expected)
    by_key = {i.key: i for i in items}
    csv_only = by_key[f"train/{KIT_FOX}/{KAGGLE_CSV_ONLY[0]}.JPEG"]
    assert csv_only.boxes and "annotation" not in csv_only.provenance  # boxes from the CSV
    assert by_key[f"train/{TENCH}/{TENCH}_10026.JPEG"].provenance["annotation"].endswith(".xml")
    assert [i.wnid for i in items if i.split == "test"] == [None, None]
    assert all(i.path and i.data is None for i in items)


def _rewrite_csv_row(path: Path, image_id: str, prediction: str | None) -> None:
    lines = [line for line in path.read_text().splitlines() if not line.startswith(image_id + ",")]
    if prediction is not None:
        lines.append(f"{image_id},{prediction}")
    path.write_text("\n".join(lines) + "\n")


def test_kaggle_xml_boxes_win_and_val_label_falls_back_to_xml(tmp_path: Path) -> None:
    expected = build_kaggle_layout(tmp_path)
    solution = tmp_path / "LOC_val_solution.csv"
    _rewrite_csv_row(solution, "ILSVRC2012_val_00000001", f"{TENCH} 0 0 5 5 ")
    _rewrite_csv_row(solution, "ILSVRC2012_val_00000002", None)
    items = list(open_ilsvrc(tmp_path).items())
    assert records(items) == expected_records(expected)


def test_kaggle_bad_annotations_reject_only_their_images(tmp_path: Path) -> None:
    expected = build_kaggle_layout(tmp_path)
    ann = tmp_path / "ILSVRC/Annotations/CLS-LOC"
    (ann / "val/ILSVRC2012_val_00000003.xml").write_bytes(b"<annotation><object>")
    laughs = voc_xml("val", "ILSVRC2012_val_00000004", (9, 9), [Box(TABBY, 1, 1, 2, 2)])
    laughs = laughs.replace(b"<annotation>", b'<!DOCTYPE a [<!ENTITY l "lol">]>\n<annotation>')
    laughs = laughs.replace(TABBY.encode(), b"&l;")
    (ann / "val/ILSVRC2012_val_00000004.xml").write_bytes(laughs)
    _rewrite_csv_row(tmp_path / "LOC_val_solution.csv", "ILSVRC2012_val_00000005", f"{KIT_FOX} 1 2")
    _rewrite_csv_row(tmp_path / "LOC_train_solution.csv", f"{KIT_FOX}_2075", "n02119789 a b c d")
    items = list(open_ilsvrc(tmp_path).items())
    bad = {
        "val/ILSVRC2012_val_00000003.JPEG": ("E_ANNOTATION", None),
        "val/ILSVRC2012_val_00000004.JPEG": ("E_ANNOTATION", None),
        "val/ILSVRC2012_val_00000005.JPEG": ("E_ANNOTATION", None),
        f"train/{KIT_FOX}/{KIT_FOX}_2075.JPEG": ("E_ANNOTATION", KIT_FOX),
    }
    assert _problems(items) == bad
    detail = next(i.problem.detail for i in items if i.key.endswith("00000004.JPEG") and i.problem)
    assert "DOCTYPE/ENTITY" in detail and "lol" not in detail
    assert records(items) == expected_records(e for e in expected if e.key not in bad)


def test_kaggle_labels_outside_the_mapping_are_e_label(tmp_path: Path) -> None:
    expected = build_kaggle_layout(tmp_path)
    data = tmp_path / "ILSVRC/Data/CLS-LOC"
    (data / "train" / DOG).mkdir()
    (data / "train" / DOG / f"{DOG}_1.JPEG").write_bytes(expected[0].data)
    solution = tmp_path / "LOC_val_solution.csv"
    _rewrite_csv_row(solution, "ILSVRC2012_val_00000006", f"{DOG} 1 2 3 4 ")
    _rewrite_csv_row(solution, "ILSVRC2012_val_00000007", f"{TABBY} 1 2 3 4 {TENCH} 1 2 3 4 ")
    shutil.move(
        tmp_path / "ILSVRC/Annotations/CLS-LOC/val/ILSVRC2012_val_00000008.xml", tmp_path / "x.xml"
    )
    _rewrite_csv_row(solution, "ILSVRC2012_val_00000008", None)  # no label anywhere
    items = list(open_ilsvrc(tmp_path).items())
    bad = {
        f"train/{DOG}/{DOG}_1.JPEG": ("E_LABEL", None),
        "val/ILSVRC2012_val_00000006.JPEG": ("E_LABEL", None),
        "val/ILSVRC2012_val_00000007.JPEG": ("E_LABEL", None),
        "val/ILSVRC2012_val_00000008.JPEG": ("E_LABEL", None),
    }
    assert _problems(items) == bad
    assert records(items) == expected_records(e for e in expected if e.key not in bad)


def test_kaggle_top_level_files_are_checked(tmp_path: Path) -> None:
    build_kaggle_layout(tmp_path)
    (tmp_path / "LOC_val_solution.csv").write_text("image,prediction\n")
    with pytest.raises(IngestError, match=re.escape("LOC_val_solution.csv")) as caught:
        list(open_ilsvrc(tmp_path).items())
    assert caught.value.code == "E_LAYOUT"
    (tmp_path / "LOC_synset_mapping.txt").unlink()
    with pytest.raises(IngestError, match=re.escape("LOC_synset_mapping.txt")) as caught:
        open_ilsvrc(tmp_path)
    assert caught.value.code == "E_LAYOUT"


# ---------------------------------------------------------------- detection


def test_detection_and_forced_layouts(tmp_path: Path) -> None:
    build_ilsvrc_archives(tmp_path / "archives")
    build_torchvision_layout(tmp_path / "archives")  # torchvision keeps the archives beside
    build_kaggle_layout(tmp_path / "kaggle")
    build_torchvision_layout(tmp_path / "folders")
    assert isinstance(open_ilsvrc(tmp_path / "archives"), IlsvrcArchives)
    assert isinstance(open_ilsvrc(tmp_path / "archives", layout="folders"), IlsvrcFolders)
    assert isinstance(open_ilsvrc(tmp_path / "kaggle"), IlsvrcKaggle)
    assert isinstance(open_ilsvrc(tmp_path / "folders"), IlsvrcFolders)
    with pytest.raises(IngestError) as caught:
        open_ilsvrc(tmp_path / "folders", layout="archives")
    assert caught.value.code == "E_LAYOUT"


@pytest.mark.parametrize("what", ["empty folder", "missing", "other file", "other folders"])
def test_no_layout_is_e_layout_naming_what_was_expected(tmp_path: Path, what: str) -> None:
    target = tmp_path / "data"
    if what == "empty folder":
        target.mkdir()
    elif what == "other file":
        target.write_bytes(b"x")
    elif what == "other folders":
        (target / "train" / "cats").mkdir(parents=True)
    with pytest.raises(IngestError) as caught:
        open_ilsvrc(target)
    assert caught.value.code == "E_LAYOUT" and str(target) in str(caught.value)
    if what != "missing":
        assert TRAIN_TAR in str(caught.value)
    if what in ("empty folder", "other folders"):
        message = str(caught.value)
        assert "LOC_synset_mapping.txt" in message and "train/<wnid>/" in message


def test_meta_mat_bytes_are_the_official_struct(tmp_path: Path) -> None:
    """The fixture's meta.mat reads as torchvision reads the real one."""
    import scipy.io

    meta = scipy.io.loadmat(io.BytesIO(meta_mat_bytes()), squeeze_me=True)["synsets"]
    nums_children = list(zip(*meta, strict=True))[4]
    leaves = [meta[i] for i, n in enumerate(nums_children) if n == 0]
    idcs, wnids = list(zip(*leaves, strict=True))[:2]
    assert dict(zip(idcs, wnids, strict=True))[1] == KIT_FOX
    assert meta.dtype.names == (
        "ILSVRC2012_ID",
        "WNID",
        "words",
        "gloss",
        "num_children",
        "children",
        "wordnet_height",
        "num_train_images",
    )
