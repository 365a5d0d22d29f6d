"""Reading prediction files: CSV and ILSVRC submissions, and every malformed file's error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synsetdb.errors import EvaluationError
from synsetdb.evaluate.predictions import format_predictions, read_predictions

NAMES = ["img-a", "img-b", "img-c"]  # the split's images, in name order
CLASSES = {"n00000010": 0, "n00000020": 1, "n00000030": 2}


def _read(tmp_path: Path, text: str | bytes, fmt: str = "csv") -> list[list[int]]:
    path = tmp_path / ("p.csv" if fmt == "csv" else "p.txt")
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return read_predictions(path, NAMES, CLASSES, fmt).tolist()


def test_csv_rows_in_any_order_with_wnids_or_indices(tmp_path: Path) -> None:
    text = "name,g1,g2\nimg-c,2,n00000010\nimg-a, n00000020 ,0\nimg-b,n00000030,1\n"
    assert _read(tmp_path, text) == [[1, 0], [2, 1], [2, 0]]


def test_short_rows_are_padded_with_their_last_guess(tmp_path: Path) -> None:
    text = "name,g1,g2,g3\nimg-a,0,1,2\nimg-b,1\nimg-c,2,0,\n"
    assert _read(tmp_path, text) == [[0, 1, 2], [1, 1, 1], [2, 0, 0]]


def test_an_ilsvrc_submission_is_in_name_order_with_1_based_ids(tmp_path: Path) -> None:
    assert _read(tmp_path, "2 1 3\n3\n\n1 2\n", "ilsvrc") == [[1, 0, 2], [2, 2, 2], [0, 1, 1]]


def test_an_ilsvrc_submission_may_name_wnids(tmp_path: Path) -> None:
    text = "n00000020 1\nn00000030\n3 n00000010\n"
    assert _read(tmp_path, text, "ilsvrc") == [[1, 0], [2, 2], [2, 0]]


MALFORMED_CSV = {
    "an unknown image": ("name,g\nimg-z,0\n", "line 2: no image named 'img-z'"),
    "an unknown class": ("name,g\nimg-a,n09999999\n", "line 2: 'n09999999' is neither"),
    "an index past the classes": ("name,g\nimg-a,3\n", "line 2: '3' is neither"),
    "a negative index": ("name,g\nimg-a,-1\n", "line 2: '-1' is neither"),
    "a superscript digit": ("name,g\nimg-a,\u00b2\n", "line 2: '²' is neither"),
    "no guesses": ("name,g\nimg-a,,\n", "line 2: no guesses"),
    "an image twice": ("name,g\nimg-a,0\nimg-a,1\n", "line 3: image 'img-a' appears twice"),
    "a missing image": ("name,g\nimg-a,0\nimg-b,1\n", "no predictions for 1 image(s), e.g. img-c"),
    "an empty file": ("", "no predictions for 3 image(s)"),
    "a field past the csv limit": ("name,g\nimg-a," + "9" * 200_000 + "\n", "line 2"),
    "a number of 5,000 digits": ("name,g\nimg-a," + "9" * 5000 + "\n", "line 2"),
    "not UTF-8": (b"name,g\n\xff\xfe,0\n", "cannot read"),
}


@pytest.mark.parametrize("case", MALFORMED_CSV)
def test_a_malformed_csv_file_is_refused_with_its_line(tmp_path: Path, case: str) -> None:
    text, message = MALFORMED_CSV[case]
    with pytest.raises(EvaluationError) as caught:
        _read(tmp_path, text)
    assert caught.value.code == "E_PREDICTIONS"
    assert message in str(caught.value)


MALFORMED_ILSVRC = {
    "too few lines": ("1\n2\n", "2 lines for 3 images"),
    "too many lines": ("1\n2\n3\n1\n", "4 lines for 3 images"),
    "an id of 0": ("1\n0\n2\n", "line 2: '0' is neither a class id from 1 to 3"),
    "an id past the classes": ("1\n2\n4\n", "line 3: '4' is neither a class id"),
    "a word": ("1\n2\nthree\n", "line 3: 'three' is neither"),
    "an unknown wnid": ("1\n2\nn09999999\n", "line 3: 'n09999999' is neither"),
    "an id of 0 after a blank line": ("1\n\n0\n2\n", "line 3: '0' is neither"),
    "a number of 5,000 digits": ("1\n2\n" + "9" * 5000 + "\n", "line 3"),
}


@pytest.mark.parametrize("case", MALFORMED_ILSVRC)
def test_a_malformed_submission_is_refused_with_its_line(tmp_path: Path, case: str) -> None:
    text, message = MALFORMED_ILSVRC[case]
    with pytest.raises(EvaluationError) as caught:
        _read(tmp_path, text, "ilsvrc")
    assert caught.value.code == "E_PREDICTIONS"
    assert message in str(caught.value)


@pytest.mark.parametrize("fmt", ["csv", "ilsvrc"])
def test_a_written_file_reads_back(tmp_path: Path, fmt: str) -> None:
    names = ["img-c", "img-a", "img-b"]  # rows in any order; files list them by name
    ranked = np.array([[2, 0, 1], [0, 1, 2], [1, 2, 0]])
    text = format_predictions(names, ranked, list(CLASSES), fmt, top=2)
    expected = [[0, 1], [1, 2], [2, 0]]  # img-a, img-b, img-c
    assert _read(tmp_path, text, fmt) == expected
    if fmt == "ilsvrc":
        assert text == "1 2\n2 3\n3 1\n"
    else:
        assert text.splitlines()[:2] == ["name,guess1,guess2", "img-a,n00000010,n00000020"]
    with pytest.raises(EvaluationError) as e:
        format_predictions(names, ranked, list(CLASSES), "json")
    assert e.value.code == "E_OPTIONS"


def test_an_unknown_format_or_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError) as caught:
        _read(tmp_path, "name,g\n", "json")
    assert caught.value.code == "E_PREDICTIONS" and "unknown prediction format" in str(caught.value)
    with pytest.raises(EvaluationError) as caught:
        read_predictions(tmp_path / "absent.csv", NAMES, CLASSES)
    assert caught.value.code == "E_PREDICTIONS" and "cannot read" in str(caught.value)
