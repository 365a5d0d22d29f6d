"""The files evaluation writes: checked before the work, and never left half-written."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import pytest

from synsetdb.errors import EvaluationError
from synsetdb.evaluate._files import check_outputs, write_atomically


def test_outputs_may_not_overwrite_inputs_or_each_other(tmp_path: Path) -> None:
    data, plot = tmp_path / "p.csv", tmp_path / "p.png"
    check_outputs([plot], inputs=[data])  # fine
    for outputs, inputs in (([data], [data]), ([plot, tmp_path / "." / "p.png"], [])):
        with pytest.raises(EvaluationError) as e:
            check_outputs(outputs, inputs=inputs)
        assert e.value.code == "E_OPTIONS"
    for output in (tmp_path / "absent" / "p.png", tmp_path):
        with pytest.raises(EvaluationError) as e:
            check_outputs([output])
        assert e.value.code == "E_WRITE"


def test_a_failed_write_leaves_the_earlier_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("the earlier predictions\n")

    def half_then_fail(out: IO[bytes]) -> None:
        out.write(b"name,g\n")
        raise OSError(28, "No space left on device")

    with pytest.raises(EvaluationError) as e:
        write_atomically(path, half_then_fail)
    assert e.value.code == "E_WRITE" and "No space left" in str(e.value)
    assert path.read_text() == "the earlier predictions\n"
    assert [p.name for p in tmp_path.iterdir()] == ["p.csv"]  # no partial file left
    write_atomically(path, lambda out: out.write(b"new\n"))
    assert path.read_bytes() == b"new\n"
