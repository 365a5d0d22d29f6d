"""Embedders: tiny images, colour histograms, HOG, SIFT bags of words, a torch module."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from PIL import Image

from synsetdb.errors import SynsetdbError
from synsetdb.evaluate.features import (
    EMBEDDER_NAMES,
    ColourHistogram,
    Embedder,
    Hog,
    LearnedEmbedder,
    SiftBagOfWords,
    SiftOptions,
    TinyImage,
    TorchEmbedder,
    embedder_named,
    fit_embedder,
    sift_descriptors,
)
from tests.fixtures.photos import photo


@pytest.fixture(scope="module")
def photos() -> list[Image.Image]:
    return [photo(name, (160, 120)) for name in ("chelsea", "astronaut", "coffee", "camera")]


def test_tiny_image_is_the_squashed_pixels() -> None:
    half = Image.new("RGB", (64, 40), (255, 0, 0))
    half.paste((0, 0, 255), (0, 20, 64, 40))  # bottom half blue
    row = TinyImage(side=2).embed([half])[0]
    assert row.tolist() == [1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1]
    normalised = TinyImage(side=2, normalise=True).embed([half])[0]
    assert normalised.mean() == pytest.approx(0, abs=1e-6)
    assert np.linalg.norm(normalised) == pytest.approx(1)
    assert not TinyImage(normalise=True).embed([Image.new("RGB", (5, 5), "grey")]).any()


def test_colour_histogram_counts_shares_per_joint_bin() -> None:
    image = Image.new("RGB", (4, 1), (0, 0, 0))
    image.putpixel((0, 0), (255, 255, 255))
    row = ColourHistogram(bins=2).embed([image])[0]
    assert row.tolist() == [0.75, 0, 0, 0, 0, 0, 0, 0.25]
    with pytest.raises(SynsetdbError) as e:
        ColourHistogram(bins=0)
    assert e.value.code == "E_OPTIONS"


def test_hog_rows_have_one_length(photos: list[Image.Image]) -> None:
    rows = Hog().embed(photos)
    assert rows.shape == (4, 1764) and rows.dtype == np.float32  # 7×7 blocks of 2×2×9
    assert not np.allclose(rows[0], rows[1])
    with pytest.raises(SynsetdbError) as e:
        Hog(side=8, cell=8, block=2)
    assert e.value.code == "E_OPTIONS"


def test_sift_descriptors_and_the_bag_of_words(photos: list[Image.Image]) -> None:
    found = sift_descriptors(photos[0])
    assert found.ndim == 2 and found.shape[1] == 128 and len(found) > 10
    assert len(sift_descriptors(photos[0], SiftOptions(max_descriptors=5))) == 5
    assert sift_descriptors(Image.new("RGB", (64, 64), "grey")).shape == (0, 128)
    bag = SiftBagOfWords(words=16)
    assert isinstance(bag, LearnedEmbedder)
    with pytest.raises(SynsetdbError) as e:
        bag.embed(photos)
    assert e.value.code == "E_NOT_FITTED"
    rows = fit_embedder(bag, photos).embed([*photos, Image.new("RGB", (64, 64), "grey")])
    assert rows.shape == (5, 16)
    assert np.allclose(rows[:4].sum(axis=1), 1) and not rows[4].any()


def test_a_bag_of_words_needs_keypoints() -> None:
    with pytest.raises(SynsetdbError) as e:
        SiftBagOfWords().fit([Image.new("RGB", (64, 64), "grey")])
    assert e.value.code == "E_OPTIONS"


@pytest.mark.parametrize("bad", [{"words": 0}, {"max_training": 0}, {"seed": -1}])
def test_a_bag_of_words_refuses_bad_options(bad: dict[str, int]) -> None:
    with pytest.raises(SynsetdbError) as e:
        SiftBagOfWords(**bad)
    assert e.value.code == "E_OPTIONS"


class _MeanColour(torch.nn.Module):
    """A tiny module: the mean of each channel, times two."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(2.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x.mean(dim=(2, 3))


def test_torch_embedder_runs_any_module_in_eval_mode(photos: list[Image.Image]) -> None:
    module = _MeanColour()
    module.train()
    embedder = TorchEmbedder(module, side=32, batch_size=3)
    rows = embedder.embed(photos)
    assert rows.shape == (4, 3) and module.training  # the flag is put back
    red = TorchEmbedder(module, side=8).embed([Image.new("RGB", (10, 10), (255, 0, 0))])[0]
    expected = 2 * (np.array([1.0, 0, 0]) - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    assert red == pytest.approx(expected, rel=1e-5)
    flat = TorchEmbedder(torch.nn.Flatten(), transform=lambda im: torch.zeros(1, 2, 2))
    assert flat.embed(photos[:2]).tolist() == [[0.0] * 4] * 2


def test_named_embedders_and_bad_names() -> None:
    for name in EMBEDDER_NAMES:
        assert isinstance(embedder_named(name), Embedder)
    with pytest.raises(SynsetdbError) as e:
        embedder_named("resnet")
    assert e.value.code == "E_OPTIONS"
    with pytest.raises(SynsetdbError) as e:
        TinyImage().embed([])
    assert e.value.code == "E_OPTIONS"


def test_missing_extras_are_named(
    photos: list[Image.Image], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "skimage.feature", None)
    with pytest.raises(SynsetdbError) as e:
        Hog().embed(photos)
    assert e.value.code == "E_MISSING_EXTRA" and "synsetdb[faces]" in str(e.value)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(SynsetdbError) as e:
        TorchEmbedder(object()).embed(photos)
    assert e.value.code == "E_MISSING_EXTRA" and "synsetdb[torch]" in str(e.value)
