"""The loaders' own tar reader against archives written by Python's tarfile in every format."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from synsetdb.loaders._tar import TarFormatError, tar_members

LONG = "a-folder/" + "x" * 150 + ".jpg"  # over ustar's 100-byte name field


def archive(fmt: int, entries: list[tuple[str, bytes | None]]) -> bytes:
    """A tar of files (``bytes``) and directories (``None``), in order."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def members(data: bytes) -> list[tuple[str, bytes]]:
    return list(tar_members(io.BytesIO(data)))


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_files_come_out_in_order_with_their_bytes(fmt: int) -> None:
    entries: list[tuple[str, bytes | None]] = [
        ("k1.jpg", b"\xff\xd8" + bytes(range(256)) * 3),
        ("k1.cls", b"7"),
        ("dir", None),
        ("k2.json", b""),
        ("sub/k3.png", b"x" * 512),
    ]
    want = [(n, d) for n, d in entries if d is not None]
    assert members(archive(fmt, entries)) == want


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_long_and_unicode_names(fmt: int) -> None:
    entries: list[tuple[str, bytes | None]] = [(LONG, b"long"), ("café/ñ.cls", b"1"), ("b.c", b"2")]
    assert members(archive(fmt, entries)) == entries


def test_ustar_prefix_field() -> None:
    name = "p" * 90 + "/" + "n" * 90 + ".jpg"  # split into prefix and name by tarfile
    assert members(archive(tarfile.USTAR_FORMAT, [(name, b"z")])) == [(name, b"z")]


def test_the_reader_agrees_with_tarfile_on_a_real_shard(wds: Path) -> None:
    shard = wds / "train-000000.tar"
    with tarfile.open(shard) as tar:
        want = [(m.name, tar.extractfile(m).read()) for m in tar if m.isfile()]  # type: ignore[union-attr]
    with shard.open("rb") as f:
        assert list(tar_members(f)) == want


def test_an_empty_stream_has_no_members() -> None:
    assert members(b"") == [] and members(bytes(1024)) == []


def with_checksum(header: bytes) -> bytes:
    """A 512-byte header with its checksum field recomputed (so only the damage shows)."""
    spaced = header[:148] + b" " * 8 + header[156:512]
    return spaced[:148] + b"%06o\0 " % sum(spaced) + spaced[156:]


def pax_size(data: bytes, value: bytes) -> bytes:
    """``data`` behind a pax header whose ``size`` record says ``value``."""
    record = b"size=" + value + b"\n"
    record = b"%d %s" % (len(record) + 3, record)
    info = tarfile.TarInfo("PaxHeader")
    info.type, info.size = tarfile.XHDTYPE, len(record)
    header = info.tobuf(tarfile.USTAR_FORMAT)
    return header + record + bytes(-len(record) % 512) + data


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: b"not a tar at all" * 64, "not an octal number"),  # garbage checksum field
        (lambda d: d[:100] + b"x" + d[101:], "checksum does not match"),
        (lambda d: d[:700], "truncated"),  # cut inside the data
        (lambda d: d[:300], "truncated inside a header"),
        (lambda d: d[:148] + b"9999999\0" + d[156:], "not an octal number"),  # checksum field
        (lambda d: with_checksum(d[:124] + b"zz" + d[126:512]) + d[512:], "not an octal number"),
        (lambda d: pax_size(d, b"abc"), "pax size"),
        (lambda d: pax_size(d, b"-5"), "pax size"),
    ],
    ids=["garbage", "bad-checksum", "cut-in-data", "cut-in-header", "checksum-field",
         "size-field", "pax-size", "pax-negative"],
)  # fmt: skip
def test_damage_is_a_tar_format_error(damage: object, message: str) -> None:
    data = archive(tarfile.USTAR_FORMAT, [("a.jpg", b"j" * 1000), ("a.cls", b"0")])
    with pytest.raises(TarFormatError, match=message):
        members(damage(data))  # type: ignore[operator]
