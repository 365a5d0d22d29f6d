"""A throwaway virtualenv holding one peer package (img2dataset, crowd-kit), never a dependency.

``require`` only checks, so that ``--quick`` runs fail loudly instead of
reaching for the network; ``ensure`` reuses a working venv or (re)makes it
with pip (``--prepare`` and full runs).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from _measure import log
from _nltk_env import BenchError, _succeeds, run_checked, venv_python


@dataclass(frozen=True)
class PeerVenv:
    """Where the venv lives, what it installs, how it is imported and made."""

    venv: Path
    requirement: str  # "img2dataset==1.47.0"
    module: str  # "img2dataset"
    prepare: str  # the command that makes it: "python bench/ingest.py --prepare"

    def require(self) -> Path:
        """The venv's interpreter; BenchError saying how to make it when missing or broken."""
        python = venv_python(self.venv)
        if not python.exists() or not _succeeds([python, "-c", f"import {self.module}"]):
            raise BenchError(
                f"{self.module} is not installed in {self.venv}; create it first with: "
                f"{self.prepare}"
            )
        return python

    def ensure(self) -> Path:
        """The venv's interpreter, the venv made or repaired first when needed."""
        try:
            return self.require()
        except BenchError:
            pass
        python = venv_python(self.venv)
        if not python.exists() or not _succeeds([python, "-c", "pass"]):
            log(f"creating {self.venv}")
            run_checked([sys.executable, "-m", "venv", "--clear", self.venv], "python -m venv")
        log(f"installing {self.requirement} into the venv (a minute or two)")
        run_checked(
            [
                *(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
                self.requirement,
            ],
            f"pip install {self.requirement} into {self.venv} (can pip reach PyPI?)",
        )
        return self.require()
