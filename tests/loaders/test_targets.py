"""Hierarchical targets on the fixture's classes: dog, domestic cat, sunflower (WordNet 3.0).

The fixture's induced hierarchy, by depth along each class's longest path::

    0 entity  1 physical_entity  2 object  3 whole  4 living_thing  5 organism
    dog:       6 animal 7 chordate 8 vertebrate 9 mammal 10 placental 11 carnivore
               12 canine 13 dog            (also animal > domestic_animal > dog: depth 8)
    cat:       ... 11 carnivore 12 feline 13 cat 14 domestic_cat  (also via domestic_animal)
    sunflower: 6 plant 7 vascular_plant 8 spermatophyte 9 angiosperm 10 flower 11 sunflower
"""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from synsetdb.errors import ReleaseError
from synsetdb.loaders import AncestorTarget, ClassFilter, SuperclassTarget
from synsetdb.loaders.targets import longest_paths
from synsetdb.release import Manifest, Release, ReleaseClass

DOG, CAT, SUNFLOWER = "n02084071", "n02121808", "n11978233"
ENTITY, ANIMAL, PLANT, DOMESTIC = "n00001740", "n00015388", "n00017222", "n01317541"
CHORDATE, MAMMAL, CARNIVORE, ANGIOSPERM = "n01466257", "n01861778", "n02075296", "n11665372"
VASCULAR = "n13083586"


def test_at_mammal_depth_the_two_animals_share_a_target(release: Release) -> None:
    coarse = AncestorTarget(release.manifest, depth=9)
    assert coarse.ancestors == (MAMMAL, MAMMAL, ANGIOSPERM)
    assert coarse.classes == [MAMMAL, ANGIOSPERM]  # sorted by wnid
    assert [coarse(0), coarse(1), coarse(2)] == [0, 0, 1]
    assert coarse.class_to_idx == {MAMMAL: 0, ANGIOSPERM: 1}


@pytest.mark.parametrize(
    ("depth", "ancestors"),
    [
        (0, (ENTITY, ENTITY, ENTITY)),
        (6, (ANIMAL, ANIMAL, PLANT)),
        (7, (CHORDATE, CHORDATE, VASCULAR)),  # the longest path, not via domestic_animal
        (11, (CARNIVORE, CARNIVORE, SUNFLOWER)),
        (13, (DOG, "n02121620", SUNFLOWER)),  # cat; sunflower is shallower: itself
        (40, (DOG, CAT, SUNFLOWER)),
    ],
)
def test_ancestor_at_each_depth(release: Release, depth: int, ancestors: tuple[str, ...]) -> None:
    target = AncestorTarget(release, depth=depth)  # a Release works as well as its manifest
    assert target.ancestors == ancestors
    assert [target.classes[target(c)] for c in range(3)] == list(ancestors)


def test_the_longest_path_is_the_one_used(release: Release) -> None:
    paths = AncestorTarget(release.manifest, depth=0).paths
    assert len(paths[DOG]) == 14 and paths[DOG][7] == CHORDATE
    assert len(paths[CAT]) == 15 and DOMESTIC not in paths[CAT]
    assert paths[SUNFLOWER][-3:] == (ANGIOSPERM, "n11669921", SUNFLOWER)


def diamond(extra: dict[str, tuple[str, ...]] | None = None) -> Manifest:
    """root -> (b, a) -> leaf: two equally long paths; the class is ``leaf``."""
    hierarchy = {"root": (), "a": ("root",), "b": ("root",), "leaf": ("b", "a"), **(extra or {})}
    return Manifest((ReleaseClass(0, "leaf", "leaf"),), hierarchy, ())


def test_equally_long_paths_are_broken_by_sorted_order() -> None:
    assert longest_paths(diamond().taxonomy(), ["leaf"]) == {"leaf": ("root", "a", "leaf")}
    assert AncestorTarget(diamond(), depth=1).ancestors == ("a",)
    # a longer path through b wins over sorted order
    longer = diamond({"b": ("mid",), "mid": ("root",)})
    assert AncestorTarget(longer, depth=1).ancestors == ("mid",)


def test_a_cycle_in_the_hierarchy_is_e_manifest() -> None:
    with pytest.raises(ReleaseError) as err:  # no manifest can hold one
        diamond({"root": ("leaf",)})
    assert err.value.code == "E_MANIFEST" and "cycle" in str(err.value)


def test_a_negative_depth_is_e_targets(release: Release) -> None:
    with pytest.raises(ReleaseError) as err:
        AncestorTarget(release.manifest, depth=-1)
    assert err.value.code == "E_TARGETS"


# ----------------------------------------------------------------------------- superclasses


def test_superclasses_map_each_class_to_the_one_it_falls_under(release: Release) -> None:
    breeds = SuperclassTarget(release.manifest, [PLANT, MAMMAL])
    assert breeds.mapping == (1, 1, 0)
    assert [breeds(0), breeds(1), breeds(2)] == [1, 1, 0]
    assert breeds.classes == [PLANT, MAMMAL] and breeds.dropped == ()
    assert all(breeds.keeps(c) for c in range(3))
    assert SuperclassTarget(release.manifest, [SUNFLOWER, ANIMAL]).mapping == (1, 1, 0)


def test_a_class_under_two_superclasses_is_e_superclass_overlap(release: Release) -> None:
    with pytest.raises(ReleaseError) as err:
        SuperclassTarget(release.manifest, [MAMMAL, DOMESTIC, PLANT])
    assert err.value.code == "E_SUPERCLASS_OVERLAP"
    message = str(err.value)
    assert "2 class(es)" in message and f"{DOG} (dog) under {MAMMAL}, {DOMESTIC}" in message
    assert CAT in message and SUNFLOWER not in message


def test_a_class_under_none_is_e_superclass_unmatched_or_dropped(release: Release) -> None:
    with pytest.raises(ReleaseError) as err:
        SuperclassTarget(release.manifest, [MAMMAL])
    assert err.value.code == "E_SUPERCLASS_UNMATCHED"
    assert f"{SUNFLOWER} (sunflower)" in str(err.value) and DOG not in str(err.value)
    mammals = SuperclassTarget(release.manifest, [MAMMAL], unmatched="drop")
    assert isinstance(mammals, ClassFilter)
    assert [mammals.keeps(c) for c in range(3)] == [True, True, False]
    assert mammals.dropped == (SUNFLOWER,)
    with pytest.raises(ReleaseError) as err:
        mammals(2)
    assert err.value.code == "E_SUPERCLASS_UNMATCHED"


@pytest.mark.parametrize(
    ("superclasses", "code"),
    [
        (["n99999999"], "E_SUPERCLASS_UNKNOWN"),
        ([], "E_TARGETS"),
        ([MAMMAL, MAMMAL], "E_TARGETS"),
    ],
)
def test_bad_superclass_lists(release: Release, superclasses: list[str], code: str) -> None:
    with pytest.raises(ReleaseError) as err:
        SuperclassTarget(release.manifest, superclasses, unmatched="drop")
    assert err.value.code == code


def test_an_unknown_unmatched_option_is_e_targets(release: Release) -> None:
    with pytest.raises(ReleaseError) as err:
        SuperclassTarget(release.manifest, [MAMMAL], unmatched="ignore")  # type: ignore[arg-type]
    assert err.value.code == "E_TARGETS"


def test_many_unmatched_classes_are_listed_briefly() -> None:
    classes = tuple(ReleaseClass(i, f"c{i:02d}", f"class {i}") for i in range(25))
    hierarchy = {"root": (), "other": (), **{c.wnid: ("root",) for c in classes}}
    manifest = Manifest(classes, hierarchy, ())
    with pytest.raises(ReleaseError) as err:
        SuperclassTarget(manifest, ["other"])
    assert "25 class(es)" in str(err.value) and "and 15 more" in str(err.value)


def test_targets_pickle_for_workers(release: Release) -> None:
    for target in (
        AncestorTarget(release.manifest, depth=9),
        SuperclassTarget(release.manifest, [MAMMAL], unmatched="drop"),
    ):
        copy = pickle.loads(pickle.dumps(target))
        assert copy.mapping == target.mapping and copy.classes == target.classes
        assert copy(0) == target(0)


def test_targets_do_not_change_the_manifest(release: Release) -> None:
    before = dataclasses.replace(release.manifest).sha256
    AncestorTarget(release.manifest, depth=3)
    SuperclassTarget(release.manifest, [ANIMAL, PLANT])
    assert release.manifest.sha256 == before
