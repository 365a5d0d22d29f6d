"""What the ingest benchmark needs besides the images: img2dataset's venv and a project template.

- ``bench/.venv-img2dataset`` (gitignored): a throwaway virtualenv with
  ``img2dataset==IMG2DATASET_VERSION``, never a project dependency. ``ensure_venv``
  makes it (``--prepare`` and full runs); ``require_venv`` only checks, so that
  ``--quick`` fails loudly instead of reaching for the network.
- A freshly initialised synsetdb project (``Project.init``, about 12 s here: it
  loads WordNet into the catalog), kept under ``bench/.cache/ingest/`` and
  keyed by a digest of synsetdb's source, so it is rebuilt whenever the code
  that made it changes. Each measured run ingests into a copy of it: a fresh
  project, without paying for the init inside or between the timings.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

from _ingest_images import CACHE
from _measure import log
from _peer_venv import PeerVenv

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-img2dataset"
IMG2DATASET_VERSION = "1.47.0"
PREPARE = "python bench/ingest.py --prepare"


PEER = PeerVenv(VENV, f"img2dataset=={IMG2DATASET_VERSION}", "img2dataset", PREPARE)
require_venv = PEER.require
ensure_venv = PEER.ensure


def _source_digest() -> str:
    """A digest of synsetdb's installed source: any change to it makes a new template."""
    import synsetdb

    package = Path(synsetdb.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            if path.suffix == ".py":
                digest.update(path.read_bytes())
            else:  # data files: size and mtime are enough, and much cheaper
                stat = path.stat()
                digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def ensure_template() -> Path:
    """A freshly initialised project for the current synsetdb source, made once."""
    from synsetdb.catalog.project import Project

    template = CACHE / f"template-{_source_digest()}"
    if (template / ".complete").exists():
        return template
    for old in CACHE.glob("template-*"):  # older code's; a day old, so no run still copies it
        if time.time() - old.stat().st_mtime > 86_400:
            shutil.rmtree(old, ignore_errors=True)
    partial = template.with_name(f".{template.name}.{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    log("initialising a template project (loads WordNet into a catalog; cached)")
    Project.init(partial).close()
    (partial / ".complete").write_text("ok\n")
    try:
        partial.rename(template)
    except OSError:  # a concurrent run made it first
        shutil.rmtree(partial, ignore_errors=True)
    return template


def fresh_project(template: Path, target: Path) -> Path:
    """A copy of the template at ``target``: a project as ``Project.init`` leaves it."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(template, target, ignore=shutil.ignore_patterns(".complete"))
    return target
