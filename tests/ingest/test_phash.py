"""The 64-bit DCT perceptual hash (synsetdb.ingest.phash)."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from PIL import Image
from scipy.fft import dctn

from synsetdb.ingest.phash import HASH_BITS, hamming, phash, to_signed, to_unsigned
from tests.fixtures.photos import COLOUR_PHOTOS, PHOTO_NAMES, encode, photo

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def _reference_phash(image: Image.Image) -> int:
    """An independent statement of the recipe: scipy's DCT, bits as a string, MSB first."""
    grey = image.convert("L").resize((32, 32), Image.Resampling.BOX)
    low = np.round(dctn(np.asarray(grey, dtype=np.float64), type=2, norm="ortho")[:8, :8], 6)
    unsigned = int("".join("1" if c > np.median(low) else "0" for c in low.flat), 2)
    return unsigned - 2**64 if unsigned >= 2**63 else unsigned


def _degraded(image: Image.Image) -> Image.Image:
    """The same photo resized to 60% and re-encoded at JPEG quality 30."""
    w, h = image.size
    small = image.resize((round(w * 0.6), round(h * 0.6)), Image.Resampling.LANCZOS)
    return Image.open(io.BytesIO(encode(small, "JPEG", quality=30)))


@pytest.mark.parametrize("name", PHOTO_NAMES)
def test_phash_matches_reference_recipe(name: str) -> None:
    image = photo(name)
    assert phash(image) == _reference_phash(image)


def test_phash_is_stable_for_the_same_picture() -> None:
    image = photo("chelsea")
    assert phash(image) == phash(image.copy()) == phash(photo("chelsea"))
    lossless = Image.open(io.BytesIO(encode(image, "PNG")))
    assert phash(lossless) == phash(image)


@pytest.mark.parametrize("name", PHOTO_NAMES)
def test_phash_is_close_for_a_resized_reencoded_copy(name: str) -> None:
    image = photo(name)
    assert hamming(phash(image), phash(_degraded(image))) <= 10


def test_phash_is_far_for_different_photos() -> None:
    hashes = {name: phash(photo(name)) for name in PHOTO_NAMES}
    distances = {
        (a, b): hamming(hashes[a], hashes[b]) for a, b in itertools.combinations(PHOTO_NAMES, 2)
    }
    # Everyday scenes: far apart, about half the bits on average.
    scenes = set(PHOTO_NAMES) - {"hubble_deep_field", "retina"}
    for (a, b), distance in distances.items():
        if a in scenes and b in scenes:
            assert distance >= 20, (a, b)
    assert sum(distances.values()) / len(distances) > 28
    # A telescope field and a fundus photo are both bright details on black: closer
    # (18 bits), yet still far outside any near-duplicate radius.
    assert min(distances.values()) >= 16


@pytest.mark.parametrize("name", COLOUR_PHOTOS)
def test_phash_fits_signed_int64(name: str) -> None:
    h = phash(photo(name))
    assert isinstance(h, int)
    assert INT64_MIN <= h <= INT64_MAX


def test_phash_uses_the_sign_bit() -> None:
    """Bit 0 (the DC term) is the most significant: above the median makes it negative."""
    hashes = [phash(photo(name)) for name in PHOTO_NAMES]
    assert any(h < 0 for h in hashes)
    # The DC coefficient of a natural photo dwarfs every other low frequency.
    assert all(h < 0 for h in hashes)


def test_phash_of_a_flat_image_sets_only_the_dc_bit() -> None:
    assert phash(Image.new("RGB", (64, 64), (90, 120, 200))) == INT64_MIN


def test_phash_ignores_colour_space_of_the_same_pixels() -> None:
    image = photo("coffee", (200, 150))
    assert hamming(phash(image), phash(image.convert("CMYK"))) <= 2
    assert phash(image.convert("L")) == phash(image.convert("L").convert("RGB"))


@pytest.mark.parametrize("mode", ["1", "L", "P", "LA", "RGBA", "CMYK", "I;16", "F"])
def test_phash_accepts_every_mode(mode: str) -> None:
    image = photo("astronaut", (64, 64))
    converted = (
        Image.fromarray(np.asarray(image.convert("L"), dtype=np.uint16) * 257)
        if mode == "I;16"
        else image.convert(mode)
    )
    assert INT64_MIN <= phash(converted) <= INT64_MAX


def test_phash_of_16_bit_equals_8_bit() -> None:
    grey = photo("camera").convert("L")
    wide = Image.fromarray(np.asarray(grey, dtype=np.uint16) * 257)
    assert wide.mode == "I;16"
    assert phash(wide) == phash(grey)


def test_phash_does_not_depend_on_image_size_much() -> None:
    big = photo("retina")  # 1411 x 1411
    assert hamming(phash(big), phash(big.resize((300, 300), Image.Resampling.LANCZOS))) <= 4


@pytest.mark.parametrize(
    ("signed", "unsigned"),
    [(0, 0), (1, 1), (-1, 2**64 - 1), (INT64_MIN, 2**63), (INT64_MAX, INT64_MAX)],
)
def test_signed_and_unsigned_forms(signed: int, unsigned: int) -> None:
    assert to_unsigned(signed) == unsigned
    assert to_unsigned(unsigned) == unsigned
    assert to_signed(unsigned) == signed
    assert to_signed(signed) == signed


@pytest.mark.parametrize("value", [2**64, INT64_MIN - 1, 10**30])
def test_out_of_range_values_are_refused(value: int) -> None:
    with pytest.raises(ValueError, match="64-bit"):
        to_unsigned(value)
    with pytest.raises(ValueError, match="64-bit"):
        hamming(value, 0)


def test_hamming_basics() -> None:
    assert HASH_BITS == 64
    assert hamming(0, -1) == 64
    assert hamming(-1, 2**64 - 1) == 0  # same bits, two representations
    assert hamming(INT64_MIN, 0) == 1
    assert hamming(0b1011, 0b0110) == 3


def test_hamming_is_symmetric_and_a_metric_on_photo_hashes() -> None:
    hashes = [phash(photo(name)) for name in PHOTO_NAMES[:6]]
    for a, b in itertools.product(hashes, repeat=2):
        assert hamming(a, b) == hamming(b, a)
        assert hamming(a, b) == hamming(to_unsigned(a), b) == hamming(a, to_unsigned(b))
        assert (hamming(a, b) == 0) == (a == b)
    for a, b, c in itertools.permutations(hashes, 3):
        assert hamming(a, c) <= hamming(a, b) + hamming(b, c)
