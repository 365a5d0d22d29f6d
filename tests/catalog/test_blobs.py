"""The content-addressed blob store, local and through fsspec."""

from __future__ import annotations

import hashlib
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from synsetdb.catalog import BlobStore, FsspecBlobStore, LocalBlobStore, blob_key, open_blob_store
from synsetdb.errors import CatalogError, ConfigError, NotFoundError


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield open_blob_store(tmp_path / "blobs")
    else:
        url = f"memory://blobs-{uuid.uuid4().hex}"
        blob_store = open_blob_store(url)
        yield blob_store
        if blob_store.fs.exists(url):  # type: ignore[attr-defined]
            blob_store.fs.rm(url, recursive=True)  # type: ignore[attr-defined]


def test_open_blob_store_picks_the_implementation(tmp_path: Path) -> None:
    assert isinstance(open_blob_store(tmp_path / "a"), LocalBlobStore)
    assert isinstance(open_blob_store(f"file://{tmp_path / 'b'}"), LocalBlobStore)
    assert isinstance(open_blob_store("memory://c"), FsspecBlobStore)


def test_put_get_round_trip_is_keyed_by_sha256(store: BlobStore) -> None:
    data = b"\xff\xd8\xff some jpeg bytes"
    key = store.put(data)
    assert key == hashlib.sha256(data).hexdigest() == blob_key(data)
    assert store.exists(key)
    assert store.get(key) == data
    assert store.get(key, verify=True) == data
    assert store.put(data) == key  # same bytes, same blob
    assert list(store.keys()) == [key]


def test_put_file_streams_and_matches_put(store: BlobStore, tmp_path: Path) -> None:
    data = bytes(range(256)) * 10_000  # 2.5 MB: several read chunks
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    key = store.put_file(path)
    assert key == blob_key(data)
    assert store.get(key, verify=True) == data


def test_missing_blob_is_not_found(store: BlobStore) -> None:
    with pytest.raises(NotFoundError) as info:
        store.get("0" * 64)
    assert info.value.code == "E_BLOB_MISSING"
    assert isinstance(info.value, KeyError)


def test_bad_keys_are_refused(store: BlobStore) -> None:
    for bad in ("../../etc/passwd", "ABC", "g" * 64, ""):
        with pytest.raises(CatalogError) as info:
            store.get(bad)
        assert info.value.code == "E_BAD_KEY"


def test_delete_removes_only_that_blob(store: BlobStore) -> None:
    a, b = store.put(b"a"), store.put(b"b")
    store.delete(a)
    store.delete(a)  # idempotent
    assert not store.exists(a)
    assert store.get(b) == b"b"


def test_verify_detects_corruption_on_disk(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    key = store.put(b"original")
    store.path(key).write_bytes(b"bit rot")
    assert store.get(key) == b"bit rot"
    with pytest.raises(CatalogError) as info:
        store.get(key, verify=True)
    assert info.value.code == "E_BLOB_CORRUPT"


def test_local_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    for i in range(20):
        store.put(f"blob {i}".encode())
    source = tmp_path / "f"
    source.write_bytes(b"file blob")
    store.put_file(source)
    leftovers = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file() and ".tmp" in p.name]
    leftovers += list((tmp_path / "blobs").rglob(".upload-*"))
    assert leftovers == []
    assert len(list(store.keys())) == 21


def test_failed_put_file_keeps_existing_blobs(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    kept = store.put(b"kept")
    with pytest.raises(FileNotFoundError):
        store.put_file(tmp_path / "does-not-exist")
    assert store.get(kept, verify=True) == b"kept"
    assert list(store.keys()) == [kept]


def test_put_file_never_reads_the_whole_file_at_once(
    store: BlobStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = bytes(range(256)) * 10_000
    path = tmp_path / "big.bin"
    path.write_bytes(data)

    def whole_file(self: Path) -> bytes:
        raise AssertionError(f"read {self} whole instead of streaming it")

    monkeypatch.setattr(Path, "read_bytes", whole_file)
    key = store.put_file(path)
    assert store.put_file(path) == key  # again: already stored, nothing left behind
    monkeypatch.undo()
    assert key == blob_key(data)
    assert store.get(key, verify=True) == data
    assert list(store.keys()) == [key]


def test_fsspec_put_file_leaves_no_temporary_objects(tmp_path: Path) -> None:
    url = f"memory://blobs-{uuid.uuid4().hex}"
    store = FsspecBlobStore(url)
    source = tmp_path / "f"
    source.write_bytes(b"file blob")
    for _ in range(2):
        store.put_file(source)
    with pytest.raises(FileNotFoundError):
        store.put_file(tmp_path / "does-not-exist")
    assert store.fs.find(f"{store.root}/tmp") == []
    assert list(store.keys()) == [blob_key(b"file blob")]
    store.fs.rm(url, recursive=True)


def test_blob_urls_needing_a_missing_package_name_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)  # as if not installed (import fails)
    with pytest.raises(ConfigError) as info:
        open_blob_store("s3://bucket/prefix")
    assert info.value.code == "E_BLOB_DRIVER"
    assert "synsetdb[s3]" in str(info.value)
    with pytest.raises(ConfigError) as unknown:
        open_blob_store("bogus://somewhere")
    assert unknown.value.code == "E_BLOB_URL"
