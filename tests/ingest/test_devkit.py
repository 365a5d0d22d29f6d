"""The ILSVRC-2012 metadata readers: devkit meta.mat and ground truth, VOC XML, Kaggle CSVs."""

from __future__ import annotations

import io
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from synsetdb.errors import IngestError
from synsetdb.ingest.items import Box
from synsetdb.ingest.sources.devkit import (
    parse_ground_truth,
    parse_prediction,
    parse_voc,
    read_devkit,
    read_solution,
    read_synset_mapping,
)
from tests.fixtures.imagenet_layouts import (
    CLASSES,
    DEVKIT_SYNSETS,
    KIT_FOX,
    TABBY,
    TENCH,
    MetaSynset,
    devkit_tar_gz,
    meta_mat_bytes,
    voc_xml,
)

VAL_LABELS = (TENCH, KIT_FOX, "n04037443", TABBY, KIT_FOX, TENCH, TABBY, "n04037443")


@pytest.fixture
def devkit_archive(tmp_path: Path) -> Path:
    path = tmp_path / "ILSVRC2012_devkit_t12.tar.gz"
    devkit_tar_gz(path)
    return path


def test_devkit_archive_is_read_without_extracting(devkit_archive: Path) -> None:
    devkit = read_devkit(devkit_archive)
    assert [s.wnid for s in devkit.synsets] == [s.wnid for s in DEVKIT_SYNSETS]
    assert devkit.leaf_wnids == frozenset(CLASSES)
    kit_fox = devkit.by_id[1]
    assert (kit_fox.wnid, kit_fox.words, kit_fox.num_children, kit_fox.children) == (
        KIT_FOX,
        "kit fox, Vulpes macrotis",
        0,
        (),
    )
    assert devkit.by_id[1001].children == (1,)  # one child: squeezed to a scalar by loadmat
    assert devkit.by_id[1003].children == (1001, 1002)
    assert devkit.by_id[1006].wordnet_height == 3
    assert devkit.by_id[3].num_train_images == 3
    assert sorted(p.name for p in devkit_archive.parent.iterdir()) == [devkit_archive.name]


def test_val_labels_go_through_meta_mat_ids_not_sorted_order(devkit_archive: Path) -> None:
    devkit = read_devkit(devkit_archive)
    assert devkit.val_ground_truth == (3, 1, 2, 4, 1, 3, 4, 2)
    assert [devkit.val_wnid(i) for i in range(1, 9)] == list(VAL_LABELS)
    # Read as an index into the sorted wnids, id 1 would be the tench, not the kit fox.
    assert sorted(CLASSES)[0] == TENCH and devkit.val_wnid(2) == KIT_FOX
    assert devkit.val_wnid(0) is None and devkit.val_wnid(9) is None


def test_extracted_devkit_folder_and_its_parent(devkit_archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "extracted"
    with tarfile.open(devkit_archive) as tar:
        tar.extractall(target, filter="data")
    from_archive = read_devkit(devkit_archive)
    for path in (target, target / "ILSVRC2012_devkit_t12"):
        devkit = read_devkit(path)
        assert devkit.synsets == from_archive.synsets
        assert devkit.val_ground_truth == from_archive.val_ground_truth


def _struct(fields: tuple[str, ...], rows: list[tuple[object, ...]]) -> bytes:
    array = np.empty((len(rows), 1), dtype=[(f, object) for f in fields])
    for i, row in enumerate(rows):
        array[i, 0] = row
    out = io.BytesIO()
    scipy.io.savemat(out, {"synsets": array})
    return out.getvalue()


def _no_synsets() -> bytes:
    out = io.BytesIO()
    scipy.io.savemat(out, {"classes": np.arange(3)})
    return out.getvalue()


MALFORMED_META = {
    "not a MATLAB file": b"this is not a .mat file at all" * 10,
    "truncated": meta_mat_bytes()[:300],
    "no synsets": _no_synsets(),
    "a field missing": _struct(("ILSVRC2012_ID", "WNID", "words"), [(1.0, KIT_FOX, "kit fox")]),
    "bad WNID": meta_mat_bytes([MetaSynset(1, "kit fox", "kit fox", "")]),
    "repeated id": meta_mat_bytes([DEVKIT_SYNSETS[0], DEVKIT_SYNSETS[0]]),
}


@pytest.mark.parametrize("meta", MALFORMED_META.values(), ids=MALFORMED_META.keys())
def test_malformed_meta_mat_raises_e_devkit(tmp_path: Path, meta: bytes) -> None:
    path = tmp_path / "ILSVRC2012_devkit_t12.tar.gz"
    devkit_tar_gz(path, meta=meta)
    with pytest.raises(IngestError) as caught:
        read_devkit(path)
    assert caught.value.code == "E_DEVKIT"
    assert "data/meta.mat" in str(caught.value) and str(path) in str(caught.value)


def test_unreadable_or_incomplete_devkit_raises_e_devkit(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"\x1f\x8b not really gzip")
    missing_member = tmp_path / "partial.tar.gz"
    with tarfile.open(missing_member, "w:gz") as tar:
        info = tarfile.TarInfo("ILSVRC2012_devkit_t12/data/meta.mat")
        data = meta_mat_bytes()
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    for path, words in (
        (garbage, "cannot read"),
        (missing_member, "ILSVRC2012_validation_ground_truth.txt"),
        (tmp_path / "absent.tar.gz", "cannot read"),
        (tmp_path, "cannot read"),  # a folder without data/meta.mat
    ):
        with pytest.raises(IngestError) as caught:
            read_devkit(path)
        assert caught.value.code == "E_DEVKIT" and words in str(caught.value), path


def test_ground_truth_lines() -> None:
    assert parse_ground_truth(b"490\n361\n171\n\n", "gt") == (490, 361, 171)
    assert parse_ground_truth(b"490\r\nx\r\n 7 \r\n", "gt") == (490, None, 7)
    with pytest.raises(IngestError, match="not a text file") as caught:
        parse_ground_truth(b"\xff\xfe4\x009\x00", "gt")
    assert caught.value.code == "E_DEVKIT"


# ---------------------------------------------------------------- VOC XML


def test_voc_annotation_boxes() -> None:
    boxes = (Box(TENCH, 12, 7, 95.5, 60), Box(TENCH, 1, 2, 3, 4))
    assert parse_voc(voc_xml(TENCH, f"{TENCH}_1", (100, 70), boxes)) == boxes
    assert parse_voc(voc_xml("val", "ILSVRC2012_val_00000001", (100, 70), ())) == ()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE annotation [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<annotation><object><name>&lol9;</name><bndbox><xmin>1</xmin><ymin>1</ymin>
<xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>
"""

# A harmless internal entity: a parser that expanded it would return a box.
SMALL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE annotation [<!ENTITY w "n01440764">]>
<annotation><object><name>&w;</name><bndbox><xmin>1</xmin><ymin>1</ymin>
<xmax>2</xmax><ymax>2</ymax></bndbox></object></annotation>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE annotation [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<annotation><object><name>&x;</name></object></annotation>
"""


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, SMALL_ENTITY, EXTERNAL_ENTITY])
def test_doctype_and_entities_are_refused_not_expanded(xml: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(ValueError, match="DOCTYPE/ENTITY"):
        parse_voc(xml)
    assert time.perf_counter() - started < 1
    # The same refusal in UTF-16, where a byte search for "<!DOCTYPE" would miss it.
    with pytest.raises(ValueError, match="DOCTYPE/ENTITY"):
        parse_voc(xml.decode().replace('"1.0"?>', '"1.0" encoding="UTF-16"?>', 1).encode("utf-16"))


@pytest.mark.parametrize(
    "xml",
    [
        b"<annotation><object><name>n01440764</name>",  # not well-formed
        b"<notannotation/>",
        b"<annotation><object><name>n01440764</name></object></annotation>",  # no bndbox
        b"<annotation><object><bndbox><xmin>1</xmin></bndbox></object></annotation>",  # no name
        voc_xml(TENCH, "x", (9, 9), [Box(TENCH, 1, 2, 3, 4)]).replace(b">3<", b">three<"),
        voc_xml(TENCH, "x", (9, 9), [Box(TENCH, 1, 2, 3, 4)]).replace(b">3<", b">nan<"),
        voc_xml(TENCH, "x", (9, 9), [Box(TENCH, 1, 2, 3, 4)]).replace(b"<ymax>4</ymax>", b""),
        b"<annotation>" + b" " * (1 << 20) + b"</annotation>",  # implausibly large
    ],
)
def test_malformed_voc_raises_value_error(xml: bytes) -> None:
    with pytest.raises(ValueError):
        parse_voc(xml)


# ---------------------------------------------------------------- Kaggle CSVs


def test_prediction_strings() -> None:
    text = "n02119789 255 142 454 329 n02119789 44 21 322 295 "
    assert parse_prediction(text) == (
        Box(KIT_FOX, 255, 142, 454, 329),
        Box(KIT_FOX, 44, 21, 322, 295),
    )
    assert parse_prediction("") == ()
    for bad in ("n02119789 1 2 3", "n02119789 1 2 3 x", "kitfox 1 2 3 4", "n02119789 1 2 3 inf"):
        with pytest.raises(ValueError):
            parse_prediction(bad)


def test_solution_csv_and_mapping(tmp_path: Path) -> None:
    csv_path = tmp_path / "LOC_val_solution.csv"
    csv_path.write_text("ImageId,PredictionString\nILSVRC2012_val_00000001,n01440764 1 2 3 4 \n")
    assert read_solution(csv_path) == {"ILSVRC2012_val_00000001": "n01440764 1 2 3 4 "}
    csv_path.write_text("id,boxes\nx,y\n")
    with pytest.raises(IngestError, match="ImageId,PredictionString") as caught:
        read_solution(csv_path)
    assert caught.value.code == "E_LAYOUT"

    mapping = tmp_path / "LOC_synset_mapping.txt"
    mapping.write_text("n01440764 tench, Tinca tinca\nn01443537 goldfish, Carassius auratus\n")
    assert read_synset_mapping(mapping) == {
        "n01440764": "tench, Tinca tinca",
        "n01443537": "goldfish, Carassius auratus",
    }
    mapping.write_text("n01440764 tench\ntench n01443537\n")
    with pytest.raises(IngestError, match=r"LOC_synset_mapping.txt:2") as caught:
        read_synset_mapping(mapping)
    assert caught.value.code == "E_LAYOUT"
    with pytest.raises(IngestError) as caught:
        read_synset_mapping(tmp_path / "missing.txt")
    assert caught.value.code == "E_LAYOUT"
