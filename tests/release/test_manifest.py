"""The manifest: canonical bytes, identity, validation on read, the induced taxonomy."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest

from synsetdb.errors import ReleaseError
from synsetdb.release import Manifest, ReleaseClass, ReleaseItem
from tests.fixtures.releases import small_release


@pytest.fixture
def manifest(tmp_path: Path) -> Manifest:
    return small_release(tmp_path / "blobs").manifest


def test_round_trip_keeps_bytes_and_identity(manifest: Manifest) -> None:
    again = Manifest.from_bytes(manifest.to_bytes())
    assert again == manifest
    assert again.to_bytes() == manifest.to_bytes() and again.sha256 == manifest.sha256
    # any equivalent JSON (whitespace, key order) reads back to the same identity
    pretty = json.dumps(json.loads(manifest.to_bytes()), indent=2).encode()
    assert Manifest.from_bytes(pretty).sha256 == manifest.sha256


def test_identity_changes_with_content(manifest: Manifest) -> None:
    moved = replace(manifest.items[0], split="val")
    other = replace(manifest, items=(moved, *manifest.items[1:]))
    assert other.sha256 != manifest.sha256


def test_lookups(manifest: Manifest) -> None:
    assert manifest.splits == ("train", "val")
    assert manifest.class_to_idx == {"n02084071": 0, "n02121808": 1, "n11978233": 2}
    assert len(manifest.items_in("val")) == 9
    with pytest.raises(ReleaseError) as e:
        manifest.items_in("test")
    assert e.value.code == "E_NO_SPLIT"


def test_induced_taxonomy(manifest: Manifest) -> None:
    taxonomy = manifest.taxonomy()
    assert taxonomy.roots == ("n00001740",)
    assert taxonomy.lca("n02084071", "n02121808") == "n02075296"  # carnivore
    assert taxonomy.height("n02084071") == 0 and taxonomy.get("n02121808").name == "domestic cat"
    assert len(taxonomy) == len(manifest.hierarchy)


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"format": "something-else/1"}',
        b'{"format": "synsetdb-release/1", "classes": []}',
    ],
)
def test_malformed_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(ReleaseError) as e:
        Manifest.from_bytes(data)
    assert e.value.code == "E_MANIFEST"


def _mutated(manifest: Manifest, path: tuple[str | int, ...], value: object) -> bytes:
    raw = json.loads(manifest.to_bytes())
    target = raw
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(raw).encode()


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("classes", 1, 0), 5),  # indices not 0..n-1
        (("classes", 1, 1), "n02084071"),  # a class twice
        (("items", 0, 1), "n09999999"),  # an item of an unknown class
        (("items", 1, 4), "n02084071_0000"),  # two items with one name
        (("items", 0, 6), "yes"),  # blurred not a boolean
        (("items", 0, 7), [[1, 2, 3]]),  # a box of three numbers
        (("items", 0), ["too", "short"]),
        (("hierarchy", "n02084071"), ["n09999999"]),  # a parent outside the hierarchy
    ],
)
def test_invalid_content_is_refused(
    manifest: Manifest, path: tuple[str | int, ...], value: object
) -> None:
    with pytest.raises(ReleaseError) as e:
        Manifest.from_bytes(_mutated(manifest, path, value))
    assert e.value.code == "E_MANIFEST"


def test_a_class_missing_from_the_hierarchy_is_refused() -> None:
    item = ReleaseItem("a" * 64, "n02084071", "train", "a" * 64, "x")
    with pytest.raises(ReleaseError) as e:
        Manifest(classes=(ReleaseClass(0, "n02084071", "dog"),), hierarchy={}, items=(item,))
    assert e.value.code == "E_MANIFEST"


def test_the_same_content_in_another_order_is_the_same_manifest(manifest: Manifest) -> None:
    items = list(manifest.items)
    random.Random(1).shuffle(items)
    hierarchy = {w: tuple(reversed(p)) for w, p in reversed(list(manifest.hierarchy.items()))}
    assert any(len(p) > 1 for p in hierarchy.values())  # some parents really are reordered
    again = Manifest(classes=manifest.classes, hierarchy=hierarchy, items=tuple(items))
    same = replace(manifest, spec={}, catalog_state={}, synsetdb_version="")
    assert again.to_bytes() == same.to_bytes() and again.sha256 == same.sha256
    assert again.items == same.items  # kept in the canonical order, not only hashed in it
    assert list(again.items) == sorted(again.items, key=lambda it: (it.split, it.wnid, it.name))


@pytest.mark.parametrize(
    "hierarchy",
    [
        {"n02084071": ("n02084071",)},  # its own parent
        {"n02084071": ("a",), "a": ("b",), "b": ("n02084071",)},
        {"n02084071": ("a", "c"), "a": (), "c": ("d",), "d": ("c",)},  # a loop above one path
    ],
)
def test_a_cycle_in_the_hierarchy_is_refused(hierarchy: dict[str, tuple[str, ...]]) -> None:
    with pytest.raises(ReleaseError, match="cycle") as e:
        Manifest(classes=(ReleaseClass(0, "n02084071", "dog"),), hierarchy=hierarchy, items=())
    assert e.value.code == "E_MANIFEST"
