"""Structural queries on WordNet: LCA, depth, height, paths, closure, search."""

from __future__ import annotations

import itertools
import random
from collections import deque

import pytest

from synsetdb.errors import UnknownSynsetError
from synsetdb.hierarchy import ENTITY, Depth, Taxonomy

DOG = "n02084071"
CAT = "n02121620"
CANINE = "n02083346"
CARNIVORE = "n02075296"
MAMMAL = "n01861778"
DOMESTIC_ANIMAL = "n01317541"


# ------------------------------------------------------------------ brute force helpers


def walk_up(tax: Taxonomy, wnid: str) -> set[str]:
    """``wnid`` and every ancestor, found by following ``parents`` (not the closure)."""
    seen = {wnid}
    queue = deque([wnid])
    while queue:
        for p in tax.parents(queue.popleft()):
            if p not in seen:
                seen.add(p)
                queue.append(p)
    return seen


def brute_lcas(tax: Taxonomy, a: str, b: str) -> set[str]:
    common = walk_up(tax, a) & walk_up(tax, b)
    below = {c: walk_up(tax, c) - {c} for c in common}
    return {c for c in common if not any(c in below[d] for d in common if d != c)}


def sample_pairs(tax: Taxonomy, seed: int) -> list[tuple[str, str]]:
    """~300 pairs: uniform ones (LCA near the top), cousins, and DAG-heavy ones."""
    rng = random.Random(seed)
    wnids = list(tax)
    pairs = [(rng.choice(wnids), rng.choice(wnids)) for _ in range(100)]
    for _ in range(100):  # b is below a near ancestor of a: deep LCAs
        a = rng.choice(wnids)
        ups = tax.ancestors(a)[:4] or [a]
        below = tax.descendants(rng.choice(ups), include_self=True)
        pairs.append((a, rng.choice(below)))
    multi = [w for w in wnids if len(tax.parents(w)) > 1]
    for _ in range(100):  # multi-parent synsets and their relatives: several LCAs
        a = rng.choice(multi)
        relatives = tax.descendants(rng.choice(tax.parents(a)), include_self=True)
        pairs.append((a, rng.choice(relatives)))
    # Known pairs with two lowest common ancestors.
    pairs += [("n00117578", "n00118733"), ("n03206908", "n04597913")]
    return pairs


@pytest.fixture(scope="module")
def pairs(wordnet: Taxonomy) -> list[tuple[str, str]]:
    return sample_pairs(wordnet, seed=2009)


# ------------------------------------------------------------------ LCA


def test_lca_of_dog_and_cat_is_carnivore(wordnet: Taxonomy) -> None:
    assert wordnet.lca(DOG, CAT) == CARNIVORE
    assert wordnet.lca(CAT, DOG) == CARNIVORE
    assert wordnet.get(CARNIVORE).lemmas[0] == "carnivore"
    assert wordnet.lcas(DOG, CAT) == [CARNIVORE]


def test_lca_with_self_and_ancestor(wordnet: Taxonomy) -> None:
    assert wordnet.lca(DOG, DOG) == DOG
    assert wordnet.lcas(DOG, DOG) == [DOG]
    assert wordnet.lca(DOG, CANINE) == CANINE
    assert wordnet.lca(CANINE, DOG) == CANINE
    assert wordnet.lca(DOG, DOMESTIC_ANIMAL) == DOMESTIC_ANIMAL
    assert wordnet.lca(DOG, ENTITY) == ENTITY


def test_lca_ties_break_by_smaller_wnid(wordnet: Taxonomy) -> None:
    # belch and vomit are both expulsions and reflexes, at the same longest depth.
    belch, vomit = "n00117578", "n00118733"
    expulsion, reflex = "n00116687", "n00863513"
    assert set(wordnet.lcas(belch, vomit)) == {expulsion, reflex}
    assert wordnet.depth(expulsion).longest == wordnet.depth(reflex).longest
    assert wordnet.lca(belch, vomit) == expulsion
    assert wordnet.lca(vomit, belch) == expulsion


def test_lca_prefers_the_deepest_lowest_ancestor(wordnet: Taxonomy) -> None:
    dish, wooden_spoon = "n03206908", "n04597913"
    tableware, container = "n04381994", "n03094503"
    assert wordnet.lcas(dish, wooden_spoon) == [tableware, container]
    assert wordnet.depth(tableware).longest > wordnet.depth(container).longest
    assert wordnet.lca(dish, wooden_spoon) == tableware


def test_sample_has_several_multi_lca_pairs(
    wordnet: Taxonomy, pairs: list[tuple[str, str]]
) -> None:
    assert len(pairs) >= 300
    assert sum(len(wordnet.lcas(a, b)) > 1 for a, b in pairs) >= 10


def test_lcas_match_brute_force(wordnet: Taxonomy, pairs: list[tuple[str, str]]) -> None:
    for a, b in pairs:
        lcas = wordnet.lcas(a, b)
        assert len(lcas) == len(set(lcas)), (a, b)
        assert set(lcas) == brute_lcas(wordnet, a, b), (a, b)
        assert wordnet.lcas(b, a) == lcas, (a, b)


def test_lca_is_the_deepest_of_lcas(wordnet: Taxonomy, pairs: list[tuple[str, str]]) -> None:
    for a, b in pairs:
        lcas = wordnet.lcas(a, b)
        best = min(lcas, key=lambda w: (-wordnet.depth(w).longest, w))
        assert wordnet.lca(a, b) == best == lcas[0], (a, b)
        longest = [wordnet.depth(w).longest for w in lcas]
        assert longest == sorted(longest, reverse=True), (a, b)


def test_lca_is_symmetric(wordnet: Taxonomy, pairs: list[tuple[str, str]]) -> None:
    for a, b in pairs:
        assert wordnet.lca(a, b) == wordnet.lca(b, a), (a, b)


def test_lca_is_a_common_ancestor(wordnet: Taxonomy, pairs: list[tuple[str, str]]) -> None:
    for a, b in pairs:
        lca = wordnet.lca(a, b)
        assert wordnet.is_a(a, lca) and wordnet.is_a(b, lca), (a, b)


def test_lca_many_equals_lca(wordnet: Taxonomy, pairs: list[tuple[str, str]]) -> None:
    left, right = [a for a, _ in pairs], [b for _, b in pairs]
    assert wordnet.lca_many(left, right) == [wordnet.lca(a, b) for a, b in pairs]
    assert wordnet.lca_many([DOG, DOG], [CAT, DOG]) == [CARNIVORE, DOG]
    assert wordnet.lca_many([], []) == []


def test_lca_many_crosses_chunk_boundaries(wordnet: Taxonomy) -> None:
    rng = random.Random(11)
    left = rng.choices(wordnet.wnids, k=70_000)  # more than one 65,536-pair chunk
    right = rng.choices(wordnet.wnids, k=70_000)
    got = wordnet.lca_many(left, right)
    for i in (0, 65_535, 65_536, 69_999):
        assert got[i] == wordnet.lca(left[i], right[i])


def test_lca_many_rejects_bad_input(wordnet: Taxonomy) -> None:
    with pytest.raises(ValueError, match="equal lengths"):
        wordnet.lca_many([DOG], [])
    with pytest.raises(UnknownSynsetError) as info:
        wordnet.lca_many([DOG, "n02084072"], [CAT, CAT])
    assert info.value.wnid == "n02084072"


def test_lca_of_separate_roots_is_an_error() -> None:
    from synsetdb.errors import TaxonomyError
    from synsetdb.hierarchy import Synset

    forest = Taxonomy.from_synsets([Synset("c00000001", ("a",)), Synset("c00000002", ("b",))])
    for call in (
        lambda: forest.lca("c00000001", "c00000002"),
        lambda: forest.lca_many(["c00000001"], ["c00000002"]),
    ):
        with pytest.raises(TaxonomyError) as info:
            call()
        assert info.value.code == "E_NO_COMMON_ANCESTOR"


# ------------------------------------------------------------------ depth and height


def test_depth(wordnet: Taxonomy) -> None:
    assert wordnet.depth(DOG) == Depth(shortest=8, longest=13)
    assert wordnet.depth(ENTITY) == Depth(0, 0)
    assert wordnet.depth(CANINE) == Depth(12, 12)


def test_height(wordnet: Taxonomy) -> None:
    assert wordnet.height(DOG) == 5
    assert wordnet.height(ENTITY) == 19
    leaf = "n02085620"  # Chihuahua
    assert wordnet.children(leaf) == ()
    assert wordnet.height(leaf) == 0


def test_depth_agrees_with_paths(wordnet: Taxonomy) -> None:
    rng = random.Random(7)
    for wnid in rng.sample(list(wordnet), 300):
        lengths = [len(p) - 1 for p in wordnet.paths_to_root(wnid)]
        assert wordnet.depth(wnid) == Depth(min(lengths), max(lengths)), wnid


def test_height_agrees_with_children(wordnet: Taxonomy) -> None:
    rng = random.Random(8)
    for wnid in rng.sample(list(wordnet), 500):
        children = wordnet.children(wnid)
        expected = 1 + max(wordnet.height(c) for c in children) if children else 0
        assert wordnet.height(wnid) == expected, wnid


def test_height_of_entity_is_the_deepest_longest_depth(wordnet: Taxonomy) -> None:
    assert max(wordnet.depth(w).longest for w in wordnet) == wordnet.height(ENTITY)


# ------------------------------------------------------------------ paths


def test_dog_paths_to_root(wordnet: Taxonomy) -> None:
    paths = wordnet.paths_to_root(DOG)
    assert len(paths) == 2
    via_domestic, via_canine = paths
    for path in paths:
        assert path[0] == DOG
        assert path[-1] == ENTITY
        for child, parent in itertools.pairwise(path):
            assert parent in wordnet.parents(child)
    assert via_domestic[1] == DOMESTIC_ANIMAL
    assert via_domestic == (
        DOG,
        DOMESTIC_ANIMAL,
        "n00015388",  # animal
        "n00004475",  # organism
        "n00004258",  # living thing
        "n00003553",  # whole
        "n00002684",  # object
        "n00001930",  # physical entity
        ENTITY,
    )
    assert via_canine[1:4] == (CANINE, CARNIVORE, "n01886756")  # placental
    assert MAMMAL in via_canine
    assert len(via_canine) == 14


def test_paths_of_entity(wordnet: Taxonomy) -> None:
    assert wordnet.paths_to_root(ENTITY) == [(ENTITY,)]


# ------------------------------------------------------------------ parents and children


def test_parents_and_children_are_consistent(wordnet: Taxonomy) -> None:
    edges_up = {(c, p) for c in wordnet for p in wordnet.parents(c)}
    edges_down = {(c, p) for p in wordnet for c in wordnet.children(p)}
    assert edges_up == edges_down
    assert len(edges_up) == sum(len(wordnet.parents(w)) for w in wordnet)  # no repeats


def test_parents_match_the_synset_record(wordnet: Taxonomy) -> None:
    rng = random.Random(3)
    for wnid in rng.sample(list(wordnet), 500):
        synset = wordnet.get(wnid)
        assert wordnet.parents(wnid) == synset.hypernyms + synset.instance_hypernyms


def test_children_of_dog(wordnet: Taxonomy) -> None:
    children = wordnet.children(DOG)
    assert "n02085374" in children  # toy dog
    assert "n02110341" in children  # dalmatian
    assert all(DOG in wordnet.parents(c) for c in children)
    assert len(children) == len(set(children))


# ------------------------------------------------------------------ ancestors and descendants


def test_ancestors_nearest_first(wordnet: Taxonomy) -> None:
    ancestors = wordnet.ancestors(DOG)
    assert ancestors[0] in wordnet.parents(DOG)
    assert ancestors[0] == CANINE
    assert ancestors[-1] == ENTITY
    assert DOG not in ancestors
    assert wordnet.ancestors(DOG, include_self=True) == [DOG, *ancestors]
    assert set(ancestors) == walk_up(wordnet, DOG) - {DOG}
    longest = [wordnet.depth(a).longest for a in ancestors]
    assert longest == sorted(longest, reverse=True)


def test_first_ancestor_is_always_a_parent(wordnet: Taxonomy) -> None:
    rng = random.Random(4)
    for wnid in rng.sample(list(wordnet), 500):
        ancestors = wordnet.ancestors(wnid)
        assert ancestors[0] in wordnet.parents(wnid), wnid
        assert set(ancestors) == walk_up(wordnet, wnid) - {wnid}, wnid
        # Deepest (longest depth) first, ties by wnid: the order lca searches in.
        keys = [(-wordnet.depth(a).longest, a) for a in ancestors]
        assert keys == sorted(keys), wnid


def test_entity_has_no_ancestors(wordnet: Taxonomy) -> None:
    assert wordnet.ancestors(ENTITY) == []
    assert wordnet.ancestors(ENTITY, include_self=True) == [ENTITY]


def test_descendants_of_entity(wordnet: Taxonomy) -> None:
    below = wordnet.descendants(ENTITY)
    assert len(below) == 82_114
    assert len(set(below)) == 82_114
    assert ENTITY not in below
    assert set(below) | {ENTITY} == set(wordnet)
    everything = wordnet.descendants(ENTITY, include_self=True)
    assert everything == [ENTITY, *below]


def test_descendants_breadth_first(wordnet: Taxonomy) -> None:
    below = wordnet.descendants(CANINE)
    position = {w: i for i, w in enumerate(below)}
    assert set(wordnet.children(CANINE)) == set(below[: len(wordnet.children(CANINE))])
    for wnid in below:  # each node comes after at least one parent inside the subtree
        inside = [p for p in wordnet.parents(wnid) if p in position]
        assert not inside or min(position[p] for p in inside) < position[wnid]


def test_descendants_of_a_leaf(wordnet: Taxonomy) -> None:
    assert wordnet.descendants("n02085620") == []
    assert wordnet.descendants("n02085620", include_self=True) == ["n02085620"]


def test_descendants_and_is_a_agree(wordnet: Taxonomy) -> None:
    below = set(wordnet.descendants(MAMMAL))
    assert DOG in below and CAT in below
    assert all(wordnet.is_a(w, MAMMAL) for w in below)
    rng = random.Random(5)
    for wnid in rng.sample(list(wordnet), 2000):
        assert wordnet.is_a(wnid, MAMMAL) == (wnid in below or wnid == MAMMAL), wnid


def test_is_a(wordnet: Taxonomy) -> None:
    assert wordnet.is_a(DOG, MAMMAL)
    assert not wordnet.is_a(MAMMAL, DOG)
    assert wordnet.is_a(DOG, DOG)
    assert wordnet.is_a(DOG, DOMESTIC_ANIMAL)
    assert not wordnet.is_a(DOG, CAT)
    assert wordnet.is_a("n10900730", "n10794014")  # Mark Twain (instance) is a writer
    assert wordnet.is_a("n10900730", "n00007846")  # ... and a person


# ------------------------------------------------------------------ search


def test_search_dog(wordnet: Taxonomy) -> None:
    hits = wordnet.search("dog")
    assert hits[0].wnid == DOG
    assert len(hits) == 20
    assert len({h.wnid for h in hits}) == 20
    assert [h.wnid for h in wordnet.search("dog", limit=3)] == [h.wnid for h in hits[:3]]


def test_search_is_case_and_underscore_insensitive(wordnet: Taxonomy) -> None:
    for query in ("Canis familiaris", "canis_familiaris", "  CANIS   Familiaris "):
        assert wordnet.search(query)[0].wnid == DOG, query
    assert wordnet.search("domestic dog")[0].wnid == DOG


def test_search_glosses(wordnet: Taxonomy) -> None:
    hits = [h.wnid for h in wordnet.search("member of the genus Canis")]
    assert DOG in hits


def test_exact_lemma_beats_gloss(wordnet: Taxonomy) -> None:
    hits = [h.wnid for h in wordnet.search("carnivore")]
    assert hits[0] == CARNIVORE


def test_search_nothing(wordnet: Taxonomy) -> None:
    assert wordnet.search("xyzzy") == []
    assert wordnet.search("") == []
    assert wordnet.search("  ,;! ") == []


def test_search_falls_back_to_lemma_substrings(wordnet: Taxonomy) -> None:
    hits = [h.wnid for h in wordnet.search("chihuahu")]
    assert "n02085620" in hits


def test_suggest_words(wordnet: Taxonomy) -> None:
    assert wordnet.suggest("dog")[0] == DOG
    assert len(wordnet.suggest("dog", n=3)) == 3


def test_unknown_words_suggest_search_hits(wordnet: Taxonomy) -> None:
    with pytest.raises(UnknownSynsetError) as info:
        wordnet.parents("dog")
    assert info.value.suggestions[0] == DOG


def test_search_instances(wordnet: Taxonomy) -> None:
    assert wordnet.search("Mark Twain")[0].wnid == "n10900730"


@pytest.mark.parametrize(
    "typed",
    [
        "n02084071 ",  # stray whitespace
        "\tN02084071",  # capital prefix
        "02084071",  # a bare offset
        "2084071",  # a bare offset without its padding
        "n2084071",  # an id without its padding
        "n0208407",  # a prefix
        "n02084072",  # one digit off
    ],
)
def test_suggest_ids_as_people_type_them(wordnet: Taxonomy, typed: str) -> None:
    assert wordnet.suggest(typed)[0] == DOG
    with pytest.raises(UnknownSynsetError) as info:
        wordnet.get(typed)
    assert info.value.suggestions[0] == DOG
    assert "n02084071 (dog)" in str(info.value)


def test_suggest_prefixes_list_the_ids_they_start(wordnet: Taxonomy) -> None:
    hits = wordnet.suggest("n020840", n=20)
    assert DOG in hits and all(h.startswith("n020840") for h in hits)
    assert wordnet.suggest("n99") == []
    assert wordnet.suggest("   ") == []


def test_ids_as_people_type_them_read_as_wnids() -> None:
    from synsetdb.hierarchy.taxonomy import as_wnid

    for typed in ("n02084071", "02084071", "N02084071", " n2084071 ", "2084071"):
        assert as_wnid(typed) == "n02084071", typed
    assert as_wnid("C12") == "c00000012"
    assert as_wnid("dog") is None and as_wnid("n123456789") is None
