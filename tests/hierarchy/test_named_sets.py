"""Named synset sets: shipped class lists and the subtrees ImageNet's papers used."""

from __future__ import annotations

import pytest

from synsetdb.errors import NotFoundError, SynsetdbError
from synsetdb.hierarchy import (
    DENG2009_SUBTREES,
    PERSON_ROOT,
    Synset,
    SynsetSet,
    Taxonomy,
    is_wordnet_id,
    named_set,
    named_sets,
)

DOG = "n02084071"
MAMMAL = "n01861778"

FILE_SETS = {
    "ilsvrc2012": 1_000,
    "imagenet21k-fall11": 21_841,
    "imagenet21k-goog": 21_843,
    "imagenet12k": 11_821,
    "imagenet21k-p": 11_221,
    "imagenet21k-p-winter21": 10_450,
    "mini-imagenet": 100,
    "imagenet-a": 200,
    "imagenet-r": 200,
}
DENG2009_ROOTS = {
    "mammal": "n01861778",
    "bird": "n01503061",
    "fish": "n02512053",
    "reptile": "n01661091",
    "amphibian": "n01627424",
    "vehicle": "n04524313",
    "furniture": "n03405725",
    "musical-instrument": "n03800933",
    "geological-formation": "n09287968",
    "tool": "n04451818",
    "flower": "n11669921",
    "fruit": "n13134947",
}


def test_named_sets_lists_every_name() -> None:
    names = named_sets()
    assert names[:9] == list(FILE_SETS)
    assert {"person", "deng2009"} <= set(names)
    assert {f"deng2009-{k}" for k in DENG2009_ROOTS} <= set(names)
    assert len(names) == 9 + 2 + 12
    assert len(set(names)) == len(names)


def test_every_named_set_loads(wordnet: Taxonomy) -> None:
    for name in named_sets():
        s = named_set(name, wordnet)
        assert isinstance(s, SynsetSet)
        assert s.name == name
        assert len(s) > 0
        assert len(set(s.wnids)) == len(s), name
        assert s.source, name
        assert all(w in wordnet for w in s.wnids), name


@pytest.mark.parametrize(("name", "size"), list(FILE_SETS.items()))
def test_file_set_sizes(wordnet: Taxonomy, name: str, size: int) -> None:
    s = named_set(name)
    assert len(s) == size
    assert len(set(s.wnids)) == size
    assert all(is_wordnet_id(w) for w in s.wnids)
    assert all(w in wordnet for w in s.wnids)
    assert "timm" in s.source


def test_ilsvrc2012(wordnet: Taxonomy) -> None:
    s = named_set("ilsvrc2012")
    assert list(s.wnids) == sorted(s.wnids)  # torchvision / timm class index order
    assert s.wnids[0] == "n01440764"
    assert wordnet.get(s.wnids[0]).name == "tench"
    assert s.wnids[-1] == "n15075141"
    assert wordnet.get(s.wnids[-1]).name == "toilet tissue"
    assert "n02085620" in s.wnids  # Chihuahua
    assert DOG not in s.wnids  # 'dog' itself is not an ILSVRC-2012 class
    assert s.wnids.index("n02085620") == 151  # the well-known class index


def test_imagenet21k(wordnet: Taxonomy) -> None:
    s = named_set("imagenet21k-fall11")
    assert len(s) == 21_841
    synsets = [wordnet.get(w) for w in s.wnids]
    instance_only = [x.wnid for x in synsets if x.instance_hypernyms and not x.hypernyms]
    assert len(instance_only) == 4
    # The fall11 release famously lacks one ILSVRC-2012 class: teddy bear.
    missing = set(named_set("ilsvrc2012").wnids) - set(s.wnids)
    assert missing == {"n04399382"}
    assert DOG in s.wnids


def test_imagenet21k_versions(wordnet: Taxonomy) -> None:
    fall11 = set(named_set("imagenet21k-fall11").wnids)
    goog = set(named_set("imagenet21k-goog").wnids)
    assert goog - fall11 == {"n03931044", "n09859684"}  # picture, bleacher
    assert fall11 <= goog
    assert wordnet.get("n03931044").name == "picture"
    p, p_w21 = set(named_set("imagenet21k-p").wnids), set(named_set("imagenet21k-p-winter21").wnids)
    k12 = set(named_set("imagenet12k").wnids)
    assert p_w21 < p < k12 < fall11
    ilsvrc = set(named_set("ilsvrc2012").wnids)
    assert (len(ilsvrc & k12), len(ilsvrc & p), len(ilsvrc & p_w21)) == (993, 991, 991)


def test_what_winter21_removed_from_21k_p(wordnet: Taxonomy) -> None:
    """21K-P from fall11 minus 21K-P from winter21: 771 classes, every one a person."""
    p, p_w21 = set(named_set("imagenet21k-p").wnids), set(named_set("imagenet21k-p-winter21").wnids)
    removed = p - p_w21
    assert len(removed) == 771
    assert all(wordnet.is_a(w, PERSON_ROOT) for w in removed)
    person = set(named_set("person", wordnet).wnids)
    assert (len(p & person), len(p_w21 & person)) == (876, 105)
    assert len(set(named_set("imagenet21k-fall11").wnids) & person) == 2_836


def test_subsets_of_ilsvrc2012() -> None:
    ilsvrc = set(named_set("ilsvrc2012").wnids)
    for name in ("mini-imagenet", "imagenet-a", "imagenet-r"):
        assert set(named_set(name).wnids) <= ilsvrc, name


def test_person_is_the_person_subtree(wordnet: Taxonomy) -> None:
    s = named_set("person", wordnet)
    assert PERSON_ROOT == "n00007846"
    assert s.wnids[0] == PERSON_ROOT
    assert list(s.wnids) == wordnet.descendants(PERSON_ROOT, include_self=True)
    assert all(wordnet.is_a(w, PERSON_ROOT) for w in s.wnids)
    assert "n10900730" in s.wnids  # Mark Twain, an instance
    assert DOG not in s.wnids
    assert PERSON_ROOT in s.source


def test_person_defaults_to_wordnet(wordnet: Taxonomy) -> None:
    assert named_set("person").wnids == named_set("person", wordnet).wnids


def test_deng2009_roots(wordnet: Taxonomy) -> None:
    assert DENG2009_SUBTREES == DENG2009_ROOTS
    s = named_set("deng2009")
    assert s.wnids == tuple(DENG2009_ROOTS.values())
    assert len(s) == 12
    names = {wordnet.get(w).lemmas[0] for w in s.wnids}
    assert {"mammal", "bird", "fish", "reptile", "amphibian", "vehicle", "furniture"} <= names
    assert {"musical_instrument", "geological_formation", "tool", "flower"} <= names
    assert "edible_fruit" in names or "fruit" in names
    assert "Deng" in s.source


def test_deng2009_mammal(wordnet: Taxonomy) -> None:
    s = named_set("deng2009-mammal", wordnet)
    assert s.wnids[0] == MAMMAL
    assert DOG in s.wnids
    assert len(s) == 1 + len(wordnet.descendants(MAMMAL))
    assert "n01503061" not in s.wnids  # bird


@pytest.mark.parametrize("subtree", list(DENG2009_ROOTS))
def test_deng2009_subtrees(wordnet: Taxonomy, subtree: str) -> None:
    root = DENG2009_ROOTS[subtree]
    s = named_set(f"deng2009-{subtree}", wordnet)
    assert s.wnids == tuple(wordnet.descendants(root, include_self=True))


def test_subtree_sets_follow_the_given_taxonomy() -> None:
    tiny = Taxonomy.from_synsets(
        [
            Synset("n01861778", ("mammal",)),
            Synset("n02084071", ("dog",), "", ("n01861778",)),
        ]
    )
    s = named_set("deng2009-mammal", tiny)
    assert s.wnids == ("n01861778", "n02084071")
    assert tiny.name in s.source


def test_unknown_set_name() -> None:
    with pytest.raises(NotFoundError) as info:
        named_set("imagenet-1k")
    err = info.value
    assert err.code == "E_UNKNOWN_SET"
    assert isinstance(err, KeyError) and isinstance(err, SynsetdbError)
    assert "'imagenet-1k'" in str(err)
    assert "ilsvrc2012" in str(err)  # lists the known names


def test_every_set_has_a_one_line_title(wordnet: Taxonomy) -> None:
    """``synsetdb sets`` lists titles in 80 columns beside names up to 29 characters."""
    for name in named_sets():
        s = named_set(name, wordnet)
        assert s.title and len(s.title) <= 40, (name, s.title)
        assert s.title != s.source  # the full source stays available
