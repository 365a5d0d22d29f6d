"""docs/audit.md lists every check, generated from the registry by tools/build_audit_docs.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from synsetdb.audit import registry

ROOT = Path(__file__).resolve().parents[2]


def test_docs_list_every_check_as_the_registry_documents_it() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "build_audit_docs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    text = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    for code in registry():
        assert f"#### {code}\n" in text
