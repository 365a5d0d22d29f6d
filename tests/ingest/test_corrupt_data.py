"""Corrupt data inside files that still decode: real photographs, damaged as disks and networks do.

Pillow decodes a JPEG with kilobytes zeroed mid-scan without an error (libjpeg
warns and fills grey blocks), and ignores the CRCs of PNG image data; each of
these was accepted before E_CORRUPT_DATA.
"""

from __future__ import annotations

import json
import random
import struct
import zlib
from pathlib import Path

import pytest
from sqlalchemy import select

from synsetdb.catalog import Project, schema
from synsetdb.errors import ConfigError
from synsetdb.imaging.integrity import jpeg_layout
from synsetdb.ingest import FolderSource, IngestConfig, ingest
from synsetdb.ingest.items import Inspected, Rejected
from synsetdb.ingest.validate import Flagged, ValidationConfig, inspect_image
from tests.fixtures.photos import PHOTO_NAMES, encode, photo

REJECT, FLAG = ValidationConfig(), ValidationConfig(corrupt="flag")
# Baseline JPEGs as cameras and libraries write them: 4:2:0 and 4:4:4, with and
# without restart markers, at the sizes ingest decodes in full and at 1/2 scale.
FLAVOURS = [
    {"quality": 90, "subsampling": 2},
    {"quality": 75, "subsampling": 0},
    {"quality": 85, "subsampling": 2, "restart_marker_blocks": 4},
]


def _zeroed(data: bytes, fraction: float, length: int) -> bytes:
    """``length`` bytes zeroed at ``fraction`` of the way through the first scan's data."""
    layout = jpeg_layout(data)
    assert layout is not None
    start, end, _ = layout.scans[0]
    at = start + int((end - start - length) * fraction)
    return data[:at] + bytes(length) + data[at + length :]


def _code(data: bytes, config: ValidationConfig = REJECT) -> str:
    result = inspect_image(data, config)
    return result.code if isinstance(result, Rejected) else "OK"


@pytest.mark.parametrize("flavour", FLAVOURS, ids=["420", "444", "restart-markers"])
@pytest.mark.parametrize("size", [None, (640, 480)], ids=["full", "half-scale"])
def test_jpegs_with_kilobytes_zeroed_mid_file_are_rejected(
    flavour: dict[str, int], size: tuple[int, int] | None
) -> None:
    rng = random.Random(13)
    caught = tried = 0
    for name in PHOTO_NAMES:
        sound = encode(photo(name, size), "JPEG", **flavour)
        assert _code(sound) == "OK", name  # the same photo, undamaged, is accepted
        for fraction in (0.2, 0.5, 0.8):
            damaged = _zeroed(sound, fraction, rng.choice((1024, 2048, 4096)))
            code = _code(damaged)
            assert code in ("E_CORRUPT_DATA", "E_DECODE", "OK"), code
            caught += code == "E_CORRUPT_DATA"
            tried += 1
    # A zeroed run can leave the block count exactly right (libjpeg then warns of
    # nothing either), or starve only part of the last MCU, which no row shows.
    # Measured: 4:4:4 and files with restart markers 39 of 39; 4:2:0 31-34 of 39.
    assert caught >= 0.75 * tried, (caught, tried)


def test_the_reject_says_what_libjpeg_would_have_warned() -> None:
    sound = encode(photo("astronaut"), "JPEG", quality=90)
    result = inspect_image(_zeroed(sound, 0.5, 3000), REJECT)
    assert isinstance(result, Rejected) and result.code == "E_CORRUPT_DATA"
    assert result.detail.startswith("JPEG: ") and result.sha256 is not None


def test_restart_markers_destroyed_by_zeroed_bytes() -> None:
    sound = encode(photo("coffee"), "JPEG", quality=85, restart_marker_blocks=2)
    result = inspect_image(_zeroed(sound, 0.3, 2048), REJECT)
    assert isinstance(result, Rejected) and result.code == "E_CORRUPT_DATA"


def test_bytes_lost_or_inserted_mid_scan() -> None:
    sound = encode(photo("rocket"), "JPEG", quality=90)
    layout = jpeg_layout(sound)
    assert layout is not None
    middle = (layout.scans[0][0] + layout.scans[0][1]) // 2
    assert _code(sound[:middle] + sound[middle + 1500 :]) == "E_CORRUPT_DATA"
    filler = bytes(random.Random(4).randrange(0, 255) for _ in range(1500))
    assert _code(sound[:middle] + filler + sound[middle:]) in ("E_CORRUPT_DATA", "E_DECODE")


def test_sound_jpegs_of_every_kind_are_accepted() -> None:
    """No false alarm: progressive, grey, 4:2:2, odd sizes, tiny and large, every scale."""
    for i, name in enumerate(PHOTO_NAMES):
        image = photo(name, (333 + 7 * i, 251 + 5 * i))
        for options in (
            {"progressive": True},
            {"subsampling": 1, "quality": 95},
            {"restart_marker_rows": 1},
        ):
            assert _code(encode(image, "JPEG", **options)) == "OK", (name, options)
        assert _code(encode(image.convert("L"), "JPEG")) == "OK", name
    big = encode(photo("astronaut", (2048, 2048)), "JPEG")
    assert _code(big) == "OK"
    assert _code(big, ValidationConfig(resize_side=512)) == "OK"
    assert _code(encode(photo("coins", (40, 33)), "JPEG")) == "OK"


def test_cut_files_are_still_truncated() -> None:
    sound = encode(photo("chelsea"), "JPEG", quality=90)
    assert _code(sound[: len(sound) * 2 // 3]) == "E_TRUNCATED"


def _png_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    pos, found = 8, []
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        found.append((data[pos + 4 : pos + 8], pos, length))
        pos += 12 + length
    return found


def test_png_with_damaged_image_data_is_corrupt() -> None:
    sound = encode(photo("coffee"), "PNG")
    assert _code(sound) == "OK"
    _, pos, _length = [c for c in _png_chunks(sound) if c[0] == b"IDAT"][1]
    zeroed = bytearray(sound)
    zeroed[pos + 8 + 100 : pos + 8 + 3100] = bytes(3000)
    assert _code(bytes(zeroed)) == "E_CORRUPT_DATA"  # was E_DECODE: inflate failed
    # Under "flag" the CRC does not reject it: it is flagged, or a decode error
    # when what is left cannot be inflated.
    flagged = inspect_image(bytes(zeroed), FLAG)
    assert isinstance(flagged, Flagged) or flagged.code == "E_DECODE"


def test_png_whose_crc_alone_is_damaged_is_corrupt_or_flagged() -> None:
    sound = encode(photo("astronaut", (320, 240)), "PNG")
    _, pos, length = next(c for c in _png_chunks(sound) if c[0] == b"IDAT")
    broken = bytearray(sound)
    broken[pos + 8 + length] ^= 0xFF  # the chunk's CRC, not its data
    result = inspect_image(bytes(broken), REJECT)
    assert isinstance(result, Rejected) and result.code == "E_CORRUPT_DATA"
    assert "IDAT" in result.detail
    flagged = inspect_image(bytes(broken), FLAG)
    assert isinstance(flagged, Flagged) and flagged.code == "E_CORRUPT_DATA"
    assert flagged.width == 320 and flagged.thumbnail  # decoded and rendered as usual


def test_png_with_a_text_chunk_after_the_image_data_damaged() -> None:
    sound = encode(photo("rocket", (200, 150)), "PNG")
    iend = sound.rindex(b"IEND") - 4
    body = b"Comment\x00scanned 1998"
    chunk = struct.pack(">I", len(body)) + b"tEXt" + body
    chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body) ^ 1)
    assert _code(sound[:iend] + chunk + sound[iend:]) == "E_CORRUPT_DATA"


def test_flag_accepts_a_damaged_jpeg_with_its_finding() -> None:
    sound = encode(photo("camera"), "JPEG", quality=90)
    damaged = _zeroed(sound, 0.4, 2048)
    result = inspect_image(damaged, FLAG)
    assert isinstance(result, Flagged) and isinstance(result, Inspected)
    assert result.code == "E_CORRUPT_DATA" and result.detail.startswith("JPEG")
    assert result.thumbnail is not None and (result.width, result.height) == (512, 512)
    assert type(inspect_image(sound, FLAG)) is Inspected  # sound images are not flagged


def test_policy_is_checked() -> None:
    with pytest.raises(ConfigError, match="corrupt"):
        ValidationConfig(corrupt="ignore")


def test_a_rejected_corrupt_input_loses_nothing_already_stored(
    wordnet_project: Path, tmp_path: Path
) -> None:
    """A damaged copy of an image already stored is rejected and logged; the stored image,
    its blob and its label are untouched, and the good files beside it are stored."""
    wnid = "n02121808"
    sound = encode(photo("chelsea"), "JPEG", quality=90)
    first, second = tmp_path / "first" / wnid, tmp_path / "second" / wnid
    first.mkdir(parents=True)
    second.mkdir(parents=True)
    (first / "cat.jpg").write_bytes(sound)
    (second / "cat-damaged.jpg").write_bytes(_zeroed(sound, 0.5, 3000))
    (second / "coffee.jpg").write_bytes(encode(photo("coffee"), "JPEG"))
    project = Project.open(wordnet_project)
    config = IngestConfig(workers=0)
    assert ingest(project, FolderSource(first.parent), config).added == 1
    report = ingest(project, FolderSource(second.parent), config)
    assert (report.added, report.rejected, dict(report.codes)) == (1, 1, {"E_CORRUPT_DATA": 1})
    log = schema.ingest_item.c
    with project.catalog.engine.connect() as conn:
        rows = conn.execute(select(log.key, log.status, log.code, log.detail)).all()
        images = conn.execute(select(schema.image.c.id, schema.image.c.blob_key)).all()
    damaged = [r for r in rows if r.key.endswith("cat-damaged.jpg")]
    assert [(r.status, r.code) for r in damaged] == [("rejected", "E_CORRUPT_DATA")]
    assert damaged[0].detail.startswith("JPEG")
    assert len(images) == 2
    for _, blob_key in images:
        assert project.blobs.get(blob_key)
    assert project.blobs.get(min(images)[1]) in (sound, encode(photo("coffee"), "JPEG"))


def test_a_flagged_image_is_stored_and_its_finding_logged(
    wordnet_project: Path, tmp_path: Path
) -> None:
    """--corrupt flag: the image is kept, and the ingest log says what was wrong with it."""
    import contextlib

    from click.testing import CliRunner

    from synsetdb.cli import cli

    folder = tmp_path / "photos" / "n02084071"
    folder.mkdir(parents=True)
    (folder / "damaged.jpg").write_bytes(
        _zeroed(encode(photo("camera"), "JPEG", quality=90), 0.4, 2048)
    )
    with contextlib.chdir(wordnet_project):
        runner = CliRunner()
        report = runner.invoke(
            cli, ["ingest", "folder", "--corrupt", "flag", "--json", str(tmp_path / "photos")]
        )
        found = runner.invoke(cli, ["ingest", "log", "--code", "E_CORRUPT_DATA"])
    data = json.loads(report.stdout)
    assert (data["added"], data["rejected"], data["codes"]) == (1, 0, {"E_CORRUPT_DATA": 1})
    assert f"E_CORRUPT_DATA  {folder / 'damaged.jpg'} (added, with a finding)" in found.stdout
    assert "1 input(s)" in found.stdout


def test_sound_grey_photographs_are_not_taken_for_starved_data() -> None:
    """Grey photographs of the ingest bench, sound (Pillow wrote them) with mid-grey runs in
    their last row of blocks: a check of that run alone rejected 24 of its 5,000."""
    import sys

    bench = str(Path(__file__).resolve().parents[2] / "bench")
    sys.path.insert(0, bench)
    try:
        from _ingest_images import make_jpeg  # the bench's own generator, deterministic
    finally:
        sys.path.remove(bench)
    for i in (536, 596, 686, 1345, 2335):
        assert _code(make_jpeg(i)) == "OK", i
