"""Content-addressed blob storage: a local folder by default, any fsspec URL otherwise.

A blob's key is the sha256 of its bytes (hex), so the same bytes are stored
once and a read can prove it got what was written. Writes are atomic: bytes go
to a temporary name first and are renamed into place, so a crash never leaves
a half-written blob under a real key.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from ..errors import CatalogError, ConfigError, NotFoundError

__all__ = ["BlobStore", "FsspecBlobStore", "LocalBlobStore", "blob_key", "open_blob_store"]

_KEY = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20
# The synsetdb extra that installs each fsspec protocol's package.
_EXTRAS = {"s3": "s3", "s3a": "s3"}


def blob_key(data: bytes) -> str:
    """The key a blob with these bytes has: its sha256, hex."""
    return hashlib.sha256(data).hexdigest()


def _relative(key: str) -> str:
    """Where a blob lives under the store's root: ``ab/abcd…``.

    One level of 256 folders, as git's loose objects and DVC's cache use: all
    of them exist after the first few thousand blobs, so a bulk ingest stops
    paying for folder creation almost at once (a second ``cd/`` level meant a
    new folder, a costly metadata write, for nearly every blob of the first
    hundred thousand), while 28 million blobs (ImageNet-21k with thumbnails)
    still make only ~110,000 entries per folder, which ext4, XFS and APFS
    index without trouble.
    """
    if not _KEY.match(key):
        raise CatalogError(f"not a blob key (sha256 hex): {key!r}", code="E_BAD_KEY")
    return f"{key[:2]}/{key}"


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd``; a short write (a disk filling up) continues or raises."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _check(key: str, data: bytes) -> bytes:
    actual = blob_key(data)
    if actual != key:
        raise CatalogError(
            f"blob {key} is corrupt: its bytes hash to {actual}", code="E_BLOB_CORRUPT"
        )
    return data


@runtime_checkable
class BlobStore(Protocol):
    """Where image bytes (originals and renditions) live."""

    url: str

    def put(self, data: bytes, *, key: str | None = None) -> str:
        """Store bytes (if not already there) and return their key.

        ``key``, when given, is the caller's sha256 of ``data`` (saves hashing twice).
        """
        ...

    def sync(self) -> None:
        """Make every blob written so far durable."""
        ...

    def put_file(self, path: str | Path) -> str:
        """Store a file's bytes, streaming, and return their key."""
        ...

    def get(self, key: str, *, verify: bool = False) -> bytes:
        """The bytes of a blob; with ``verify``, re-hash them (``E_BLOB_CORRUPT``)."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def keys(self) -> Iterator[str]:
        """Every stored key, in no particular order."""
        ...


class LocalBlobStore:
    """Blobs in a local folder, fanned out as ``ab/abcd…``.

    With ``durable`` (the default) every write is fsynced before it is renamed
    into place. Bulk writers pass ``durable=False`` and call ``sync()`` once per
    batch instead, before committing rows that name the blobs: one flush per
    batch rather than one per file, with the same guarantee.
    """

    def __init__(self, root: str | Path, *, durable: bool = True) -> None:
        self.root = Path(root)
        self.url = self._root = str(self.root)  # _root: the str form, for the hot path
        self.durable = durable
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot use blob folder {root}: {exc}", code="E_BLOB_URL") from exc

    def path(self, key: str) -> Path:
        """Where a blob lives on disk (it may not exist)."""
        return self.root / _relative(key)

    def put(self, data: bytes, *, key: str | None = None) -> str:
        key = key or blob_key(data)
        # os.path on str, not pathlib: put() runs twice per ingested image.
        target = os.path.join(self._root, _relative(key))  # noqa: PTH118
        if not os.path.exists(target):  # noqa: PTH110
            self._write_atomic(target, data)
        return key

    def sync(self) -> None:
        """Make every blob written so far durable (all writers' pending data)."""
        os.sync()

    def put_file(self, path: str | Path) -> str:
        digest = hashlib.sha256()
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out, Path(path).open("rb") as src:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            key = digest.hexdigest()
            target = self.path(key)
            target.parent.mkdir(parents=True, exist_ok=True)
            Path(tmp_name).replace(target)
            return key
        finally:
            Path(tmp_name).unlink(missing_ok=True)

    def get(self, key: str, *, verify: bool = False) -> bytes:
        try:
            data = self.path(key).read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"no blob {key} in {self.url}", code="E_BLOB_MISSING") from None
        return _check(key, data) if verify else data

    def exists(self, key: str) -> bool:
        return self.path(key).exists()

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        for path in self.root.glob("??/*"):
            if _KEY.match(path.name):
                yield path.name

    def _write_atomic(self, target: str, data: bytes) -> None:
        # A name private to this process and thread, so no random names (mkstemp is
        # slow) and no clash; the folder is made only when the first open fails.
        folder, name = os.path.split(target)
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.{threading.get_ident()}.tmp")  # noqa: PTH118
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        try:
            fd = os.open(tmp, flags, 0o644)
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)  # noqa: PTH103
            fd = os.open(tmp, flags, 0o644)
        try:
            try:
                _write_all(fd, data)
                if self.durable:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, target)  # noqa: PTH105
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)  # noqa: PTH108
            raise


class FsspecBlobStore:
    """Blobs under any fsspec URL (``s3://bucket/prefix``, ``memory://x``, …)."""

    def __init__(self, url: str, **storage_options: Any) -> None:
        import fsspec

        self.url = url
        protocol = url.split("://", 1)[0]
        try:
            self.fs, root = fsspec.core.url_to_fs(url, **storage_options)
        except ImportError as exc:  # fsspec knows the protocol; its package is missing
            extra = _EXTRAS.get(protocol)
            install = f"; pip install 'synsetdb[{extra}]'" if extra else ""
            raise ConfigError(
                f"blob store {protocol}:// needs a package that is not installed ({exc}){install}",
                code="E_BLOB_DRIVER",
            ) from None
        except ValueError as exc:  # "Protocol not known"
            raise ConfigError(
                f"blob store URL {url!r}: {exc}; use a local path or an fsspec URL",
                code="E_BLOB_URL",
            ) from None
        self.root = root.rstrip("/")

    def _path(self, key: str) -> str:
        return f"{self.root}/{_relative(key)}"

    def put(self, data: bytes, *, key: str | None = None) -> str:
        key = key or blob_key(data)
        if not self.exists(key):
            self._write_atomic(key, data)
        return key

    def sync(self) -> None:
        """Nothing to do: every write to an object store or filesystem here is whole."""

    def put_file(self, path: str | Path) -> str:
        # Hash while copying, in chunks, to a temporary name; then move it to its key.
        digest = hashlib.sha256()
        tmp = f"{self.root}/tmp/{uuid.uuid4().hex}"
        try:
            with Path(path).open("rb") as src, self.fs.open(tmp, "wb") as out:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            key = digest.hexdigest()
            if not self.exists(key):
                self.fs.mv(tmp, self._path(key))
            return key
        finally:
            if self.fs.exists(tmp):
                self.fs.rm_file(tmp)

    def get(self, key: str, *, verify: bool = False) -> bytes:
        try:
            data: bytes = self.fs.cat_file(self._path(key))
        except FileNotFoundError:
            raise NotFoundError(f"no blob {key} in {self.url}", code="E_BLOB_MISSING") from None
        return _check(key, data) if verify else data

    def exists(self, key: str) -> bool:
        return bool(self.fs.exists(self._path(key)))

    def delete(self, key: str) -> None:
        if self.exists(key):
            self.fs.rm_file(self._path(key))

    def keys(self) -> Iterator[str]:
        for path in self.fs.glob(f"{self.root}/??/*"):
            name = str(path).rsplit("/", 1)[-1]
            if _KEY.match(name):
                yield name

    def _write_atomic(self, key: str, data: bytes) -> None:
        # Object stores publish a PUT whole; on file-like stores the rename makes it atomic.
        tmp = f"{self.root}/tmp/{uuid.uuid4().hex}"
        with self.fs.open(tmp, "wb") as f:
            f.write(data)
        self.fs.mv(tmp, self._path(key))


def open_blob_store(url: str | Path, *, durable: bool = True, **storage_options: Any) -> BlobStore:
    """A blob store for a local path (or ``file://`` URL) or any fsspec URL.

    ``durable=False`` skips the per-file fsync of local stores (see
    ``LocalBlobStore``); object stores are durable on every write anyway.
    """
    text = str(url)
    if "://" not in text:
        return LocalBlobStore(text, durable=durable)
    if text.startswith("file://"):
        return LocalBlobStore(text.removeprefix("file://"), durable=durable)
    return FsspecBlobStore(text, **storage_options)
