"""Releases shared by the baseline tests (built once: decoding photographs takes a second)."""

from __future__ import annotations

import pytest

from synsetdb.release import Release
from tests.evaluate.baselines.toy import nested_release, toy_release
from tests.fixtures.releases import small_release


@pytest.fixture(scope="session")
def photos_release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """tests.fixtures.releases.small_release: dog, cat, sunflower; train 6 / val 3 each."""
    return small_release(tmp_path_factory.mktemp("photos") / "blobs")


@pytest.fixture(scope="session")
def colours_release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """The hand-made solid-colour release of ``toy``."""
    return toy_release(tmp_path_factory.mktemp("colours") / "blobs")


@pytest.fixture(scope="session")
def nested_colours_release(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """``toy``'s release with animal a class above dog and cat."""
    return nested_release(tmp_path_factory.mktemp("nested") / "blobs")
