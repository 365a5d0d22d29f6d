"""Reading prediction files: a CSV of ranked guesses, or an ILSVRC classification submission.

- ``csv``: a header row, then one row per image: the image's name in the
  release (its export file stem), then its guesses best first, each a wnid or
  a 0-based class index. Images may come in any order; every image of the
  split must be there once.
- ``ilsvrc``: the devkit's submission format: one line per image of the
  split, in the order of their names sorted (the order of the exported
  ground-truth file), each line up to five guesses separated by spaces, each
  a 1-based class id (ILSVRC2012_ID: the class index + 1, as in the exported
  ``meta.mat``) or a wnid.

Errors name the file and line (``E_PREDICTIONS``). :func:`format_predictions`
writes either format (what ``synsetdb baseline … --predictions`` saves).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from ..errors import EvaluationError

__all__ = ["PREDICTION_FORMATS", "format_predictions", "read_predictions"]

PREDICTION_FORMATS = ("csv", "ilsvrc")
_MAX_DIGITS = 18  # fits an int64
IntArray = NDArray[np.int64]


def read_predictions(
    path: Path, names: Sequence[str], class_to_idx: Mapping[str, int], fmt: str = "csv"
) -> IntArray:
    """Ranked class indices, one row per name of ``names`` in that order.

    Rows with fewer guesses than the longest are padded with their last guess
    (a repeated guess changes no top-k error; hierarchical distances are
    given only for the k every image has k different guesses for).

    Raises:
        EvaluationError: ``E_PREDICTIONS`` for an unreadable file, a malformed
            line, an unknown image or class, or a missing or repeated image.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise EvaluationError(f"cannot read {path}: {e}", code="E_PREDICTIONS") from e
    if fmt == "csv":
        rows = _csv_rows(path, text, names, class_to_idx)
    elif fmt == "ilsvrc":
        rows = _ilsvrc_rows(path, text, names, class_to_idx)
    else:
        raise EvaluationError(f"unknown prediction format {fmt!r}", code="E_PREDICTIONS")
    width = max(len(r) for r in rows)
    return np.array([r + [r[-1]] * (width - len(r)) for r in rows], dtype=np.int64)


def format_predictions(
    names: Sequence[str],
    ranked: IntArray,
    classes: Sequence[str],
    fmt: str = "csv",
    *,
    top: int = 5,
) -> str:
    """The text of a prediction file that :func:`read_predictions` reads back.

    Args:
        names: each row's image name.
        ranked: ``(images, k)`` class indices, best first.
        classes: class wnids in index order.
        fmt: ``csv`` (name, then wnids) or ``ilsvrc`` (1-based ids, one line
            per image in name order, as the devkit wants).
        top: how many guesses per image (at most ``k``).

    Raises:
        EvaluationError: ``E_OPTIONS`` for ``top`` below 1 or an unknown format.
    """
    if top < 1 or fmt not in PREDICTION_FORMATS:
        raise EvaluationError(
            f"need top >= 1 and a format in {PREDICTION_FORMATS}, got {top}, {fmt!r}",
            code="E_OPTIONS",
        )
    width = min(top, ranked.shape[1])
    order = sorted(range(len(names)), key=names.__getitem__)
    if fmt == "ilsvrc":
        return "".join(" ".join(str(c + 1) for c in ranked[i, :width]) + "\n" for i in order)
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["name", *(f"guess{i}" for i in range(1, width + 1))])
    writer.writerows([names[i], *(classes[c] for c in ranked[i, :width])] for i in order)
    return text.getvalue()


def _index(text: str) -> int | None:
    """The number ``text`` spells in plain ASCII digits, else None.

    ``"²"`` and ``"٣"`` are digits to ``str.isdigit`` but not to ``int``, and
    ``int`` refuses strings of over 4,300 digits: no class index is that long.
    """
    if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS:
        return int(text)
    return None


def _fail(path: Path, line: int, why: str) -> EvaluationError:
    return EvaluationError(f"{path}, line {line}: {why}", code="E_PREDICTIONS")


def _class(value: str, class_to_idx: Mapping[str, int], path: Path, line: int) -> int:
    value = value.strip()
    if value in class_to_idx:
        return class_to_idx[value]
    index = _index(value)
    if index is not None and index < len(class_to_idx):
        return index
    raise _fail(path, line, f"{value!r:.80} is neither a class of the release nor a class index")


def _csv_rows(
    path: Path, text: str, names: Sequence[str], class_to_idx: Mapping[str, int]
) -> list[list[int]]:
    wanted = {name: i for i, name in enumerate(names)}
    rows: list[list[int] | None] = [None] * len(names)
    for line, row in _numbered_rows(path, text):
        if line == 1 or not row:  # the header, blank lines
            continue
        name, guesses = row[0].strip(), [g for g in row[1:] if g.strip()]
        if name not in wanted:
            raise _fail(path, line, f"no image named {name!r:.80} in this split")
        if not guesses:
            raise _fail(path, line, "no guesses")
        if rows[wanted[name]] is not None:
            raise _fail(path, line, f"image {name!r} appears twice")
        rows[wanted[name]] = [_class(g, class_to_idx, path, line) for g in guesses]
    return _complete(path, rows, names)


def _numbered_rows(path: Path, text: str) -> Iterator[tuple[int, list[str]]]:
    """The CSV's rows with their line numbers; a row csv cannot parse names its line."""
    reader = csv.reader(text.splitlines())
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:  # a field over csv's size limit, a NUL byte, …
            raise _fail(path, reader.line_num, str(e)) from e
        yield reader.line_num, row


def _ilsvrc_rows(
    path: Path, text: str, names: Sequence[str], class_to_idx: Mapping[str, int]
) -> list[list[int]]:
    lines = [(n, t) for n, t in enumerate(text.splitlines(), start=1) if t.strip()]
    if len(lines) != len(names):
        raise EvaluationError(
            f"{path}: {len(lines)} lines for {len(names)} images", code="E_PREDICTIONS"
        )
    return [[_ilsvrc_class(f, class_to_idx, path, line) for f in t.split()] for line, t in lines]


def _ilsvrc_class(value: str, class_to_idx: Mapping[str, int], path: Path, line: int) -> int:
    """A 1-based ILSVRC2012_ID (class index + 1) or a wnid, as a 0-based class index."""
    if value in class_to_idx:
        return class_to_idx[value]
    index = _index(value)
    if index is not None and 1 <= index <= len(class_to_idx):
        return index - 1
    raise _fail(
        path, line, f"{value!r:.80} is neither a class id from 1 to {len(class_to_idx)} nor a wnid"
    )


def _complete(path: Path, rows: list[list[int] | None], names: Sequence[str]) -> list[list[int]]:
    missing = [names[i] for i, r in enumerate(rows) if r is None]
    if missing:
        raise EvaluationError(
            f"{path}: no predictions for {len(missing)} image(s), e.g. {missing[0]}",
            code="E_PREDICTIONS",
        )
    return [r for r in rows if r is not None]
