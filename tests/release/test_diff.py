"""``diff_releases``: classes and images added and removed, moves between splits, relabels."""

from __future__ import annotations

import json
from pathlib import Path

from synsetdb.release import Manifest, ReleaseClass, ReleaseItem, diff_releases
from tests.fixtures.releases import induced_hierarchy, small_release

DOG, CAT, SUNFLOWER, LEMON = "n02084071", "n02121808", "n11978233", "n07749582"


def _manifest(items: list[tuple[str, str, str]]) -> Manifest:
    wnids = tuple(sorted({w for _, w, _ in items}))
    return Manifest(
        classes=tuple(ReleaseClass(i, w, w) for i, w in enumerate(wnids)),
        hierarchy=induced_hierarchy(wnids),
        items=tuple(
            sorted(
                (ReleaseItem(img * 64, w, s, img * 64, f"{w}_{img}") for img, w, s in items),
                key=lambda it: (it.split, it.wnid, it.name),
            )
        ),
    )


def test_every_kind_of_change_is_found() -> None:
    a = _manifest(
        [
            ("a", DOG, "train"),
            ("b", DOG, "val"),  # moves to train
            ("c", CAT, "train"),  # relabelled dog
            ("d", CAT, "train"),  # removed, with its class when e goes too
            ("e", SUNFLOWER, "val"),  # removed
            ("f", DOG, "train"),  # gains a second class
            ("f", CAT, "train"),
        ]
    )
    b = _manifest(
        [
            ("a", DOG, "train"),
            ("b", DOG, "train"),
            ("c", DOG, "train"),
            ("f", DOG, "val"),
            ("f", LEMON, "val"),
            ("g", LEMON, "test"),  # added, with a new class
        ]
    )
    diff = diff_releases(a, b)
    assert diff.a == a.sha256 and diff.b == b.sha256 and diff.changed
    assert diff.classes_added == (LEMON,)
    assert diff.classes_removed == (CAT, SUNFLOWER)
    assert diff.images_added == (("g" * 64, LEMON, "test"),)
    assert diff.images_removed == (("d" * 64, CAT, "train"), ("e" * 64, SUNFLOWER, "val"))
    assert diff.moved == (("b" * 64, DOG, "val", "train"), ("f" * 64, DOG, "train", "val"))
    assert diff.relabelled == (
        ("c" * 64, (CAT,), (DOG,)),
        ("f" * 64, (DOG, CAT), (DOG, LEMON)),
    )
    assert diff.counts() == {
        "classes_added": 1,
        "classes_removed": 2,
        "images_added": 1,
        "images_removed": 2,
        "moved": 2,
        "relabelled": 2,
        "held_out_to_train": 1,
    }
    # b was held out (val) in a and is trained on in b: flagged
    assert diff.held_out_to_train == (("b" * 64, DOG, "val", "train"),)
    data = json.loads(json.dumps(diff.to_dict()))
    assert data["moved"][0] == {"image": "b" * 64, "wnid": DOG, "from": "val", "to": "train"}
    assert data["relabelled"][1] == {"image": "f" * 64, "from": [DOG, CAT], "to": [DOG, LEMON]}
    assert data["held_out_to_train"] == [
        {"image": "b" * 64, "wnid": DOG, "from": "val", "to": "train"}
    ]
    reverse = diff_releases(b, a)
    assert reverse.images_added == diff.images_removed
    assert reverse.classes_removed == diff.classes_added


def test_a_release_against_itself(tmp_path: Path) -> None:
    release = small_release(tmp_path / "blobs")
    diff = diff_releases(release, release.manifest)
    assert diff.identical and not diff.changed
    assert set(diff.counts().values()) == {0}


def test_a_held_out_image_relabelled_into_train_is_flagged() -> None:
    a = _manifest([("a", DOG, "val"), ("b", CAT, "test"), ("c", CAT, "val")])
    b = _manifest([("a", CAT, "train"), ("b", CAT, "train"), ("c", CAT, "val"), ("c", DOG, "val")])
    diff = diff_releases(a, b)
    # a: another class and train; b: the same class, moved; c: held out on both sides
    assert diff.held_out_to_train == (
        ("a" * 64, CAT, "val", "train"),
        ("b" * 64, CAT, "test", "train"),
    )
    assert diff.moved == (("b" * 64, CAT, "test", "train"),)
    assert diff_releases(b, a).held_out_to_train == ()  # train -> val is no leak into train
