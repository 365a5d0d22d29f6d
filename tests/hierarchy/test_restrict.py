"""Sub-hierarchies: restrict (with and without ancestors) and subtree."""

from __future__ import annotations

import pytest

from synsetdb.errors import TaxonomyError, UnknownSynsetError
from synsetdb.hierarchy import ENTITY, Depth, Taxonomy, named_set

DOG = "n02084071"
CAT = "n02121620"
CANINE = "n02083346"
CARNIVORE = "n02075296"
MAMMAL = "n01861778"
DOMESTIC_ANIMAL = "n01317541"


@pytest.fixture(scope="module")
def ilsvrc_tree(wordnet: Taxonomy) -> Taxonomy:
    return wordnet.restrict(named_set("ilsvrc2012").wnids)


@pytest.fixture(scope="module")
def mammals(wordnet: Taxonomy) -> Taxonomy:
    return wordnet.subtree(MAMMAL)


def test_ilsvrc2012_tree_has_the_devkit_size(ilsvrc_tree: Taxonomy) -> None:
    assert len(ilsvrc_tree) == 1_860
    assert ilsvrc_tree.roots == (ENTITY,)
    assert ilsvrc_tree.name == "wordnet-3.0[1860]"


def test_ilsvrc2012_tree_is_closed_upwards(wordnet: Taxonomy, ilsvrc_tree: Taxonomy) -> None:
    classes = named_set("ilsvrc2012").wnids
    expected = set().union(*(wordnet.ancestors(w, include_self=True) for w in classes))
    assert set(ilsvrc_tree) == expected
    for wnid in ilsvrc_tree:  # every WordNet edge between kept nodes is kept
        assert ilsvrc_tree.parents(wnid) == wordnet.parents(wnid), wnid
        assert ilsvrc_tree.depth(wnid) == wordnet.depth(wnid), wnid
    assert list(ilsvrc_tree) == sorted(ilsvrc_tree)


def test_closure_pairs_of_the_ilsvrc2012_tree(wordnet: Taxonomy, ilsvrc_tree: Taxonomy) -> None:
    pairs = list(ilsvrc_tree.closure_pairs())
    assert len(pairs) == len(set(pairs))
    expected = {(a, w) for w in ilsvrc_tree for a in wordnet.ancestors(w, include_self=True)}
    assert set(pairs) == expected
    assert sum(a == ENTITY for a, _ in pairs) == 1_860


def test_ilsvrc2012_leaves_are_the_classes(ilsvrc_tree: Taxonomy) -> None:
    classes = set(named_set("ilsvrc2012").wnids)
    leaves = {w for w in ilsvrc_tree if not ilsvrc_tree.children(w)}
    assert leaves <= classes
    assert len(leaves) == 1_000  # no ILSVRC-2012 class is an ancestor of another


def test_restricted_tree_answers_queries(ilsvrc_tree: Taxonomy) -> None:
    assert ilsvrc_tree.lca("n02085620", "n02123045") == CARNIVORE  # Chihuahua, tabby
    assert ilsvrc_tree.get(DOG).lemmas[0] == "dog"
    assert ilsvrc_tree.get(DOG).lexname == "noun.animal"
    assert ilsvrc_tree.search("dog")[0].wnid == DOG
    assert ilsvrc_tree.height(ENTITY) < 19
    assert "n00007846" in ilsvrc_tree  # person: above scuba diver, groom, ballplayer
    with pytest.raises(UnknownSynsetError):
        ilsvrc_tree.get("n10900730")  # Mark Twain is above no ILSVRC class


def test_restrict_without_ancestors_links_nearest(wordnet: Taxonomy) -> None:
    small = wordnet.restrict([DOG, MAMMAL, ENTITY, CAT], keep_ancestors=False)
    assert set(small) == {DOG, MAMMAL, ENTITY, CAT}
    assert small.parents(DOG) == (MAMMAL,)
    assert small.parents(CAT) == (MAMMAL,)
    assert small.parents(MAMMAL) == (ENTITY,)
    assert small.parents(ENTITY) == ()
    assert small.roots == (ENTITY,)
    assert set(small.children(MAMMAL)) == {DOG, CAT}
    assert small.get(DOG).hypernyms == (MAMMAL,)
    assert small.lca(DOG, CAT) == MAMMAL
    assert small.depth(DOG) == Depth(2, 2)
    assert small.height(ENTITY) == 2


def test_restrict_without_ancestors_keeps_both_branches(wordnet: Taxonomy) -> None:
    # dog is under canine and under domestic animal: both stay its parents.
    small = wordnet.restrict([DOG, CARNIVORE, DOMESTIC_ANIMAL, ENTITY], keep_ancestors=False)
    assert set(small.parents(DOG)) == {CARNIVORE, DOMESTIC_ANIMAL}
    assert small.parents(CARNIVORE) == (ENTITY,)
    assert small.lcas(DOG, DOG) == [DOG]
    assert len(small.paths_to_root(DOG)) == 2


def test_restrict_without_ancestors_may_have_several_roots(wordnet: Taxonomy) -> None:
    small = wordnet.restrict([DOG, CAT], keep_ancestors=False)
    assert set(small.roots) == {DOG, CAT}
    with pytest.raises(TaxonomyError) as info:
        small.lca(DOG, CAT)
    assert info.value.code == "E_NO_COMMON_ANCESTOR"
    assert small.lcas(DOG, CAT) == []


def test_restrict_with_ancestors_of_one_synset(wordnet: Taxonomy) -> None:
    chain = wordnet.restrict([DOG])
    assert set(chain) == set(wordnet.ancestors(DOG, include_self=True))
    assert chain.paths_to_root(DOG) == wordnet.paths_to_root(DOG)


def test_restrict_to_nothing(wordnet: Taxonomy) -> None:
    assert len(wordnet.restrict([])) == 0
    assert len(wordnet.restrict([], keep_ancestors=False)) == 0


def test_restrict_keeps_instance_edges(wordnet: Taxonomy) -> None:
    twain = "n10900730"
    small = wordnet.restrict([twain])
    assert small.get(twain).instance_hypernyms == wordnet.get(twain).instance_hypernyms
    assert small.get(twain).hypernyms == ()


def test_subtree_of_mammal(wordnet: Taxonomy, mammals: Taxonomy) -> None:
    below = wordnet.descendants(MAMMAL)
    assert mammals.roots == (MAMMAL,)
    assert len(mammals) == 1 + len(below)
    assert set(mammals) == {MAMMAL, *below}
    assert DOG in mammals and CAT in mammals
    assert DOMESTIC_ANIMAL not in mammals


def test_subtree_keeps_inner_edges(wordnet: Taxonomy, mammals: Taxonomy) -> None:
    for wnid in mammals:
        inside = tuple(p for p in wordnet.parents(wnid) if p in mammals)
        assert set(mammals.parents(wnid)) == set(inside), wnid
    assert mammals.parents(DOG) == (CANINE,)
    assert mammals.depth(DOG) == Depth(4, 4)  # canine, carnivore, placental, mammal
    assert mammals.lca(DOG, CAT) == CARNIVORE
    assert mammals.height(MAMMAL) == wordnet.height(MAMMAL)


def test_subtree_of_a_leaf(wordnet: Taxonomy) -> None:
    leaf = wordnet.subtree("n02085620")
    assert list(leaf) == ["n02085620"]
    assert leaf.roots == ("n02085620",)
