"""k-means clusters of a synset's images, and their contact sheets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from synsetdb.errors import SynsetdbError
from synsetdb.evaluate.baselines import cluster_synset, write_contact_sheets
from synsetdb.evaluate.features import ColourHistogram
from synsetdb.release import Release
from tests.evaluate.baselines.toy import ANIMAL, DOG


def test_an_inner_node_splits_into_its_colours(colours_release: Release, tmp_path: Path) -> None:
    clusters = cluster_synset(colours_release, ANIMAL, 2)
    # animal's subtree: three red (dog) and three green (cat) images over both splits
    members = [set(c.members) for c in clusters.clusters]
    assert {frozenset(m) for m in members} == {
        frozenset({"train-n00000003-0", "train-n00000003-1", "val-n00000003-0"}),
        frozenset({"train-n00000004-0", "train-n00000004-1", "val-n00000004-0"}),
    }
    for cluster in clusters.clusters:
        assert list(cluster.distances) == sorted(cluster.distances)
    data = clusters.to_dict()
    assert data["k"] == 2 and sum(c["size"] for c in data["clusters"]) == 6
    sheets = write_contact_sheets(colours_release, clusters, tmp_path / "sheets", thumb=32)
    assert [p.name for p in sheets] == ["cluster-00.png", "cluster-01.png"]
    with Image.open(sheets[0]) as sheet:
        assert sheet.size == (3 * 32, 32)


def test_clusters_of_one_split_with_another_embedder(colours_release: Release) -> None:
    clusters = cluster_synset(colours_release, DOG, 1, ColourHistogram(), splits=["train"])
    assert clusters.clusters[0].members in {
        ("train-n00000003-0", "train-n00000003-1"),
        ("train-n00000003-1", "train-n00000003-0"),
    }
    assert "ColourHistogram" in clusters.embedder


@pytest.mark.parametrize(
    ("wnid", "k", "options", "code"),
    [
        ("n09999999", 2, {}, "E_NOT_IN_RELEASE"),
        (DOG, 4, {}, "E_OPTIONS"),
        (DOG, 0, {}, "E_OPTIONS"),
        (DOG, 1, {"seed": -1}, "E_OPTIONS"),
        (DOG, 1, {"splits": ["train", "test"]}, "E_NO_SPLIT"),
    ],
)
def test_bad_requests_fail_with_a_code(
    colours_release: Release, wnid: str, k: int, options: dict[str, Any], code: str
) -> None:
    with pytest.raises(SynsetdbError) as e:
        cluster_synset(colours_release, wnid, k, **options)
    assert e.value.code == code
