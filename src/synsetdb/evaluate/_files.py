"""The files evaluation writes (plots, predictions): checked before the work, written whole."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from ..errors import EvaluationError

__all__ = ["check_outputs", "write_atomically"]


def check_outputs(outputs: Sequence[Path], inputs: Sequence[Path] = ()) -> None:
    """Refuse, before any work, outputs that would overwrite an input or each other.

    Raises:
        EvaluationError: ``E_OPTIONS`` when an output is an input or named
            twice; ``E_WRITE`` when its folder does not exist or it is a folder.
    """
    seen = {path.resolve() for path in inputs}
    for path in outputs:
        target = path.resolve()
        if target in seen:
            raise EvaluationError(
                f"{path} is named twice: as an input or another output", code="E_OPTIONS"
            )
        seen.add(target)
        if not target.parent.is_dir():
            raise EvaluationError(f"cannot write {path}: no folder {path.parent}", code="E_WRITE")
        if target.is_dir():
            raise EvaluationError(f"cannot write {path}: it is a folder", code="E_WRITE")


def write_atomically(path: Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Call ``write`` on a temporary file beside ``path``, then move it into place.

    An earlier file at ``path`` is replaced only once the new one is whole.

    Raises:
        EvaluationError: ``E_WRITE`` naming the file when it cannot be written.
    """
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with partial.open("wb") as out:
            write(out)
        partial.replace(path)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise EvaluationError(f"cannot write {path}: {e.strerror or e}", code="E_WRITE") from e
    return path
