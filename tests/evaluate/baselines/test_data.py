"""Reading a release's images for the baselines: hostile, damaged and swapped images."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from PIL import Image

from synsetdb.errors import SynsetdbError
from synsetdb.evaluate.baselines import cluster_synset, load_split, nn_voting
from synsetdb.evaluate.baselines.data import decode_small
from synsetdb.release import Manifest, Release
from tests.evaluate.baselines.toy import DOG, toy_release
from tests.fixtures.photos import encode


def _png(size: tuple[int, int]) -> bytes:
    return encode(Image.new("RGB", size, (200, 10, 10)), "PNG")


def test_images_are_decoded_small_and_upright() -> None:
    assert decode_small(_png((400, 100)), 160).size == (160, 40)
    assert decode_small(_png((30, 20)), 160).size == (30, 20)  # never enlarged


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image", _png((64, 48))[:-40], b"\x89PNG\r\n\x1a\n" + b"\x00" * 64],
    ids=["empty", "text", "cut short", "a bare PNG signature"],
)
def test_bytes_that_are_not_an_image_are_e_decode(data: bytes) -> None:
    with pytest.raises(SynsetdbError) as e:
        decode_small(data)
    assert e.value.code == "E_DECODE"


def test_a_decompression_bomb_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over Pillow's pixel limit Pillow only warns (up to twice it); both are refused."""
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    for side in (40, 64):  # 1,600 pixels: a warning; 4,096: Pillow's own error
        with pytest.raises(SynsetdbError) as e:
            decode_small(_png((side, side)))
        assert e.value.code == "E_BOMB", side


@pytest.fixture
def release(tmp_path: Path) -> Release:
    return toy_release(tmp_path / "blobs")


def _victim(release: Release) -> tuple[str, Path]:
    item = next(i for i in release.manifest.items if i.split == "train" and i.wnid == DOG)
    return item.name, release.blobs.path(item.blob)  # type: ignore[attr-defined]


def test_a_blob_whose_bytes_changed_is_refused_naming_its_item(release: Release) -> None:
    """Another image's bytes under the key would be scored as that item: they are re-hashed."""
    name, path = _victim(release)
    path.chmod(0o644)
    buffer = io.BytesIO()
    Image.new("RGB", (48, 40), (0, 0, 255)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())  # a valid image, but not the one the key names
    for run in (lambda: nn_voting(release, k=1), lambda: cluster_synset(release, DOG, 1)):
        with pytest.raises(SynsetdbError) as e:
            run()
        assert e.value.code == "E_BLOB_CORRUPT" and name in str(e.value)


def test_a_missing_blob_is_refused_naming_its_item(release: Release) -> None:
    name, path = _victim(release)
    path.unlink()
    with pytest.raises(SynsetdbError) as e:
        load_split(release, "train")
    assert e.value.code == "E_BLOB_MISSING" and name in str(e.value)


def test_an_item_that_is_no_image_is_refused_naming_it(release: Release) -> None:
    key = release.blobs.put(b"these bytes hash right but are no image")
    items = list(release.manifest.items)
    items[0] = dataclasses.replace(items[0], image=key, blob=key)
    manifest = Manifest(release.manifest.classes, release.manifest.hierarchy, tuple(items))
    damaged = Release("damaged", manifest, release.blobs)
    with pytest.raises(SynsetdbError) as e:
        load_split(damaged, items[0].split)
    assert e.value.code == "E_DECODE" and items[0].name in str(e.value)
