"""The bundled WordNet data is reproducible from Debian's wordnet-base dict files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fixtures.postgres import service_unavailable

ROOT = Path(__file__).resolve().parents[2]
DEBIAN_WORDNET = Path("/usr/share/wordnet")
BUNDLED = ROOT / "src" / "synsetdb" / "hierarchy" / "data" / "wordnet30_nouns.npz"


def test_build_wordnet_reproduces_the_bundled_file_byte_for_byte(tmp_path: Path) -> None:
    if not (DEBIAN_WORDNET / "data.noun").exists():
        service_unavailable(f"{DEBIAN_WORDNET} is missing: apt-get install wordnet-base")
    out = tmp_path / "wordnet30_nouns.npz"
    script = ROOT / "tools" / "build_wordnet.py"
    proc = subprocess.run(
        [sys.executable, str(script), str(DEBIAN_WORDNET), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "82115 synsets" in proc.stdout
    assert out.read_bytes() == BUNDLED.read_bytes()
