"""torch is the ``torch`` extra: only the datasets import it, and only when used."""

from __future__ import annotations

import subprocess
import sys

import pytest

import synsetdb.loaders


def modules_after(code: str) -> set[str]:
    """The top-level modules a fresh interpreter has imported after running ``code``."""
    script = (
        f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_synsetdb_and_the_torch_free_modules_do_not_import_torch() -> None:
    code = (
        "import synsetdb, synsetdb.loaders\n"
        "from synsetdb.loaders import AncestorTarget, SuperclassTarget, decode_image, DraftResize\n"
        "from synsetdb.loaders.targets import longest_paths\n"
        "from synsetdb.loaders.errors import ShardCorruptError"
    )
    assert "torch" not in modules_after(code)


def test_the_datasets_bring_torch() -> None:
    assert "torch" in modules_after("from synsetdb.loaders import WebDatasetShards")


def test_every_public_name_resolves() -> None:
    for name in synsetdb.loaders.__all__:
        assert getattr(synsetdb.loaders, name) is not None
    assert sorted(dir(synsetdb.loaders)) == sorted(synsetdb.loaders.__all__)
    with pytest.raises(AttributeError):
        synsetdb.loaders.ImageFolder  # noqa: B018  (torchvision's name, not ours)
