"""The output folder of an export: atomic files, a checksum journal, resuming, refusing.

Each output file is written under a temporary name (``.<name>.part``) and
renamed when complete, then its sha256 is appended to ``SHA256SUMS``, which is
therefore also the journal of what is done. A hidden state file written before
the first output file records what the export is (format, release, options:
its *identity*) and how it cuts the release into files. A later run with the
same identity resumes: files whose checksum in ``SHA256SUMS`` still matches
are kept, the rest redone. At the end ``SHA256SUMS`` is rewritten sorted,
everything is synced, and ``export.json`` is written last.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import FormatError
from .base import ExportReport

__all__ = ["STATE_FILE", "SUMMARY_FILE", "SUMS_FILE", "ExportDir", "HashingWriter", "file_sha256"]

log = logging.getLogger(__name__)

STATE_FILE = ".synsetdb-export.json"
SUMS_FILE = "SHA256SUMS"
SUMMARY_FILE = "export.json"
_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class HashingWriter:
    """A write-only file that hashes and counts what goes through it (tarfile's fileobj)."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self._digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._digest.update(data)
        self._raw.write(data)
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self._raw.flush()

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


class ExportDir:
    """One export's output folder; see the module docstring.

    Attributes:
        root: the folder.
        plan: how the previous run of this export cut the release into files
            (None on a fresh export, or when the export has no plan).
        done: relative path -> (sha256, bytes) of every file complete so far.
    """

    def __init__(self, root: Path, identity: dict[str, Any], report: ExportReport) -> None:
        self.root = root
        self.identity = identity
        self.report = report
        self.plan: Any = None
        self.done: dict[str, tuple[str, int]] = {}
        self._journal: dict[str, str] = {}
        self._sums: BinaryIO | None = None

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls, root: Path, identity: dict[str, Any], report: ExportReport, *, overwrite: bool
    ) -> ExportDir:
        """Open ``root`` for this export: fresh, resumed, or (``overwrite``) cleared first.

        Nothing is written yet (see :meth:`begin`).

        Raises:
            FormatError: ``E_EXPORT_EXISTS`` when ``root`` holds another export and
                not ``overwrite``, or holds files that are not a synsetdb export
                (with ``overwrite`` too: only the old export's own files are removed).
        """
        self = cls(root, identity, report)
        if root.exists() and not root.is_dir():
            raise FormatError(f"{root} exists and is not a folder", code="E_EXPORT_EXISTS")
        entries = sorted(root.iterdir()) if root.exists() else []
        if not entries:
            return self
        previous = _read_state(root)
        if previous is None:
            raise FormatError(
                f"{root} holds files that are not a synsetdb export; choose an empty folder",
                code="E_EXPORT_EXISTS",
            )
        if previous.get("identity") == identity:
            self.plan = previous.get("plan")
            self._journal = _read_sums(root / SUMS_FILE)
            (root / SUMMARY_FILE).unlink(missing_ok=True)  # complete again only at the end
            log.info("resuming the export in %s (%d files recorded)", root, len(self._journal))
            return self
        if not overwrite:
            other = previous.get("identity", {})
            raise FormatError(
                f"{root} holds another export ({_describe(other)}); "
                "use --overwrite to replace it or choose another folder",
                code="E_EXPORT_EXISTS",
            )
        _remove_export(root)
        return self

    def begin(self, plan: Any) -> None:
        """Record the identity and the plan, then open the journal: the first write."""
        self.plan = plan
        self.root.mkdir(parents=True, exist_ok=True)
        state = {"identity": self.identity, "plan": plan}
        _write_atomic(self.root / STATE_FILE, _json_bytes(state))
        self._sums = (self.root / SUMS_FILE).open("ab")

    def close(self) -> None:
        if self._sums is not None:
            self._sums.close()
            self._sums = None

    # ------------------------------------------------------------------ files

    def is_done(self, rel: str) -> bool:
        """Whether an earlier run completed ``rel`` and it still has its recorded sha256."""
        if rel in self.done:
            return True
        expected = self._journal.get(rel)
        path = self.root / rel
        if expected is None or not path.is_file() or file_sha256(path) != expected:
            return False
        self.done[rel] = (expected, path.stat().st_size)
        self.report.files_skipped += 1
        return True

    @contextlib.contextmanager
    def create(self, rel: str) -> Iterator[HashingWriter]:
        """A writer for ``rel``; it appears under its name only when the block completes."""
        with self._staged(rel) as tmp:
            with tmp.open("wb") as raw:
                writer = HashingWriter(raw)
                yield writer
            tmp.replace(self.root / rel)
        self._record(rel, writer.hexdigest(), writer.size)

    @contextlib.contextmanager
    def create_path(self, rel: str) -> Iterator[Path]:
        """A temporary path for a writer that wants a file name (pyarrow); renamed when done."""
        with self._staged(rel) as tmp:
            yield tmp
            sha, size = file_sha256(tmp), tmp.stat().st_size
            tmp.replace(self.root / rel)
        self._record(rel, sha, size)

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Write a whole file; kept as it is when it already holds exactly ``data``."""
        sha = hashlib.sha256(data).hexdigest()
        path = self.root / rel
        if path.is_file() and path.stat().st_size == len(data) and file_sha256(path) == sha:
            if self._journal.get(rel) != sha:
                self._journal_line(rel, sha)
            self.done[rel] = (sha, len(data))
            self.report.files_skipped += 1
            return
        with self.create(rel) as writer:
            writer.write(data)

    @contextlib.contextmanager
    def _staged(self, rel: str) -> Iterator[Path]:
        """``.<name>.part`` next to ``rel``; removed if the block fails."""
        path = self.root / rel
        tmp = path.with_name(f".{path.name}.part")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        try:
            yield tmp
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def _record(self, rel: str, sha: str, size: int) -> None:
        self._journal_line(rel, sha)
        self.done[rel] = (sha, size)
        self.report.files_written += 1
        self.report.bytes_written += size

    def _journal_line(self, rel: str, sha: str) -> None:
        assert self._sums is not None, "begin() first"
        self._sums.write(f"{sha}  {rel}\n".encode())
        self._sums.flush()

    # ------------------------------------------------------------------ the end

    def finish(self, files: list[str], summary: dict[str, Any]) -> None:
        """Rewrite ``SHA256SUMS`` for ``files`` (sorted), sync, then write ``export.json``."""
        self.close()
        lines = "".join(f"{self.done[rel][0]}  {rel}\n" for rel in sorted(files))
        _write_atomic(self.root / SUMS_FILE, lines.encode())
        os.sync()  # every file durable before export.json says the export is complete
        body = {**summary, "identity": self.identity}
        _write_atomic(self.root / SUMMARY_FILE, _json_bytes(body))


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode()


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.part")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_state(root: Path) -> dict[str, Any] | None:
    """The state of the export in ``root``: the state file, else export.json's identity."""
    for name in (STATE_FILE, SUMMARY_FILE):
        try:
            data = json.loads((root / name).read_bytes())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("identity"), dict):
            return data
    return None


def _read_sums(path: Path) -> dict[str, str]:
    """``sha256sum`` lines (``hex  name``); the last line for a name wins, bad lines are skipped."""
    journal: dict[str, str] = {}
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError:
        return journal
    for line in text.splitlines():
        sha, sep, rel = line.partition("  ")
        if sep and len(sha) == 64 and rel:
            journal[rel] = sha
    return journal


def _remove_export(root: Path) -> None:
    """Delete the export in ``root``: the files its journal lists and its own bookkeeping.

    Refuses (before deleting anything) when ``root`` also holds a file the
    export did not write: ``--overwrite`` replaces an export, never a folder.
    """
    recorded = set(_read_sums(root / SUMS_FILE)) | {STATE_FILE, SUMS_FILE, SUMMARY_FILE}
    files = [p for p in root.rglob("*") if p.is_file() or p.is_symlink()]
    foreign = [p for p in files if not _is_export_file(p.relative_to(root), recorded)]
    if foreign:
        raise FormatError(
            f"{root} holds an export and files it did not write, e.g. {foreign[0]}; "
            "nothing was removed: move them away or choose another folder",
            code="E_EXPORT_EXISTS",
        )
    log.info("overwriting the export in %s", root)
    for path in files:
        path.unlink()
    folders = {folder for p in files for folder in p.relative_to(root).parents} - {Path()}
    for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):  # deepest first
        with contextlib.suppress(OSError):  # not empty: an empty folder of someone else's
            (root / folder).rmdir()


def _is_export_file(rel: Path, recorded: set[str]) -> bool:
    """Whether an export wrote ``rel``: journaled, bookkeeping, or a staged ``.<name>.part``."""
    name = rel.name
    return rel.as_posix() in recorded or (name.startswith(".") and name.endswith(".part"))


def _describe(identity: dict[str, Any]) -> str:
    release = identity.get("release") or {}
    return f"{identity.get('format', '?')} of {release.get('name', '?')}"
