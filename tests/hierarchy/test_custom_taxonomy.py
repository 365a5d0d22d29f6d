"""Custom taxonomies: from_synsets, extended WordNet, custom ids, validation errors."""

from __future__ import annotations

import dataclasses

import pytest

from synsetdb.errors import SynsetdbError, TaxonomyError, TaxonomyFileError, UnknownSynsetError
from synsetdb.hierarchy import Depth, Entry, Synset, Taxonomy

DOG = "n02084071"
CAT = "n02121620"
CARNIVORE = "n02075296"
MAMMAL = "n01861778"


def tiny() -> list[Synset]:
    """animal > {pet, canid}; dog and fox-terrier-ish 'hound' under both; cat under pet."""
    return [
        Synset("animal", ("animal",), "a living thing that moves"),
        Synset("pet", ("pet",), "an animal kept for company", ("animal",)),
        Synset("canid", ("canid",), "dogs, wolves, foxes", ("animal",)),
        Synset("dog", ("dog", "domestic_dog"), "a domesticated canid", ("canid", "pet")),
        Synset("hound", ("hound",), "a hunting dog", ("canid", "pet")),
        Synset("wolf", ("wolf",), "a wild canid", ("canid",)),
        Synset("cat", ("cat",), "a small feline", ("pet",)),
        Synset("rex", ("Rex",), "a famous dog", (), ("dog",)),
    ]


@pytest.fixture(scope="module")
def small() -> Taxonomy:
    return Taxonomy.from_synsets(tiny(), name="tiny")


def test_from_synsets_structure(small: Taxonomy) -> None:
    assert len(small) == 8
    assert list(small) == [s.wnid for s in tiny()]
    assert small.name == "tiny"
    assert small.roots == ("animal",)
    assert small.parents("dog") == ("canid", "pet")
    assert set(small.children("pet")) == {"dog", "hound", "cat"}
    assert small.get("dog") == tiny()[3]
    assert small.get("rex").instance_hypernyms == ("dog",)
    assert small.get("rex").hypernyms == ()
    assert small.get("dog").lexname is None


def test_from_synsets_queries(small: Taxonomy) -> None:
    assert small.lca("dog", "wolf") == "canid"
    assert small.lca("dog", "cat") == "pet"
    assert small.lca("wolf", "cat") == "animal"
    assert small.lca("rex", "hound") == small.lca("dog", "hound")
    assert small.lcas("dog", "hound") == ["canid", "pet"]  # same depth: by id
    assert small.lca("hound", "dog") == "canid"
    assert small.depth("rex") == Depth(3, 3)
    assert small.height("animal") == 3
    assert small.paths_to_root("rex") == [
        ("rex", "dog", "canid", "animal"),
        ("rex", "dog", "pet", "animal"),
    ]
    assert small.descendants("pet", include_self=True)[:1] == ["pet"]
    assert set(small.descendants("pet")) == {"dog", "hound", "cat", "rex"}
    assert small.ancestors("rex") == ["dog", "canid", "pet", "animal"]
    assert small.is_a("rex", "pet") and not small.is_a("pet", "rex")


def test_from_synsets_search_and_suggest(small: Taxonomy) -> None:
    assert small.search("dog")[0].wnid == "dog"
    assert "hound" in [s.wnid for s in small.search("hunting")]
    with pytest.raises(UnknownSynsetError) as info:
        small.get("dgo")
    assert info.value.wnid == "dgo"


def test_every_query_rejects_unknown_ids(small: Taxonomy) -> None:
    missing = "doge"
    queries = [
        lambda: small.get(missing),
        lambda: small.parents(missing),
        lambda: small.children(missing),
        lambda: small.ancestors(missing),
        lambda: small.descendants(missing),
        lambda: small.depth(missing),
        lambda: small.height(missing),
        lambda: small.paths_to_root(missing),
        lambda: small.lca("dog", missing),
        lambda: small.lcas(missing, "dog"),
        lambda: small.is_a("dog", missing),
        lambda: small.is_a(missing, "dog"),
        lambda: small.subtree(missing),
        lambda: small.restrict(["dog", missing]),
        lambda: small.restrict([missing], keep_ancestors=False),
        lambda: small.extended([Synset("x", ("x",), "", (missing,))]).get(missing),
    ]
    for i, query in enumerate(queries):
        with pytest.raises((UnknownSynsetError, TaxonomyFileError)) as info:
            query()
        if isinstance(info.value, UnknownSynsetError):
            assert info.value.wnid == missing, i
        else:  # extended: the unknown parent is a file-style error
            assert info.value.code == "E_UNKNOWN_PARENT"


def test_unhashable_id_is_an_unknown_synset(small: Taxonomy) -> None:
    with pytest.raises(UnknownSynsetError) as info:
        small.get(["dog"])  # type: ignore[arg-type]
    assert info.value.wnid == "['dog']"


def test_empty_taxonomy() -> None:
    empty = Taxonomy.from_synsets([])
    assert len(empty) == 0
    assert empty.roots == ()
    assert empty.search("dog") == []
    assert empty.next_custom_id() == "c00000001"


def test_no_common_ancestor() -> None:
    forest = Taxonomy.from_synsets([Synset("a", ("a",)), Synset("b", ("b",))])
    assert forest.roots == ("a", "b")
    assert forest.lcas("a", "b") == []
    with pytest.raises(TaxonomyError) as info:
        forest.lca("a", "b")
    assert info.value.code == "E_NO_COMMON_ANCESTOR"


def test_duplicate_synset_rejected() -> None:
    synsets = [*tiny(), Synset("cat", ("cat",), "again", ("animal",))]
    with pytest.raises(TaxonomyFileError) as info:
        Taxonomy.from_synsets(synsets)
    err = info.value
    assert err.code == "E_DUPLICATE_SYNSET"
    assert err.path == "<synsets>"
    assert err.line == 9
    assert "'cat'" in str(err) and "<synsets>:7" in str(err)  # names the first definition
    assert isinstance(err, ValueError) and isinstance(err, SynsetdbError)


def test_unknown_parent_rejected() -> None:
    synsets = tiny()
    synsets[5] = Synset("wolf", ("wolf",), "", ("canis",))
    with pytest.raises(TaxonomyFileError) as info:
        Taxonomy.from_synsets(synsets)
    assert info.value.code == "E_UNKNOWN_PARENT"
    assert info.value.line == 6
    assert "'canis'" in str(info.value)


def test_cycle_rejected() -> None:
    synsets = [
        Synset("root", ("root",)),
        Synset("below", ("below",), "", ("a",)),  # under the cycle, not on it
        Synset("a", ("a",), "", ("root", "c")),
        Synset("b", ("b",), "", ("a",)),
        Synset("c", ("c",), "", ("b",)),
    ]
    with pytest.raises(TaxonomyFileError) as info:
        Taxonomy.from_synsets(synsets)
    err = info.value
    assert err.code == "E_CYCLE"
    assert err.line in (3, 4, 5)  # a synset on the cycle, not 'below'
    assert "cycle of parents" in str(err)
    for wnid in ("a", "b", "c"):
        assert f"{wnid} ->" in str(err) or f"-> {wnid}" in str(err)
    assert "below" not in str(err)


def test_self_parent_is_a_cycle() -> None:
    with pytest.raises(TaxonomyFileError) as info:
        Taxonomy.from_synsets([Synset("a", ("a",), "", ("a",))])
    assert info.value.code == "E_CYCLE"
    assert info.value.line == 1
    assert "a -> a" in str(info.value)


def test_entries_carry_their_location() -> None:
    entries = [
        Entry(Synset("a", ("a",)), "x.yaml", 3),
        Entry(Synset("b", ("b",), "", ("zz",)), "x.yaml", 7),
    ]
    with pytest.raises(TaxonomyFileError) as info:
        Taxonomy.from_entries(entries, name="x")
    assert (info.value.path, info.value.line) == ("x.yaml", 7)
    assert str(info.value).startswith("x.yaml:7: ")


def test_repeated_parent_is_one_edge() -> None:
    tax = Taxonomy.from_synsets([Synset("a", ("a",)), Synset("b", ("b",), "", ("a", "a"))])
    assert tax.parents("b") == ("a",)
    assert tax.paths_to_root("b") == [("b", "a")]


def test_low_level_constructor_checks() -> None:
    with pytest.raises(TaxonomyError) as info:
        Taxonomy(["a", "a"], [(), ()], frozenset(), ["a", "a"], ["", ""], [None, None], name="x")
    assert info.value.code == "E_DUPLICATE_SYNSET"
    looped = Taxonomy(
        ["a", "b"], [(1,), (0,)], frozenset(), ["a", "b"], ["", ""], [None] * 2, name="x"
    )
    with pytest.raises(TaxonomyError) as info:
        looped.depth("a")
    assert info.value.code == "E_CYCLE"


# ------------------------------------------------------------------ custom ids


def test_next_custom_id(small: Taxonomy, wordnet: Taxonomy) -> None:
    assert wordnet.next_custom_id() == "c00000001"
    assert small.next_custom_id(start=42) == "c00000042"
    taken = Taxonomy.from_synsets(
        [Synset("c00000001", ("x",)), Synset("c00000002", ("y",)), Synset("c00000004", ("z",))]
    )
    assert taken.next_custom_id() == "c00000003"
    assert taken.next_custom_id(start=4) == "c00000005"


# ------------------------------------------------------------------ extending WordNet


@pytest.fixture(scope="module")
def robodog(wordnet: Taxonomy) -> Taxonomy:
    """WordNet plus a robot dog under dog and a robot puppy under it (listed first)."""
    dog_id = wordnet.next_custom_id()
    puppy_id = wordnet.next_custom_id(start=2)
    puppy = Synset(puppy_id, ("robot_puppy",), "a small robot dog", (dog_id,))
    robot = Synset(dog_id, ("robot_dog",), "a dog-shaped robot", (DOG,))
    return wordnet.extended([puppy, robot])


def test_extended_adds_custom_synsets(wordnet: Taxonomy, robodog: Taxonomy) -> None:
    assert len(robodog) == len(wordnet) + 2
    assert len(wordnet) == 82_115  # the base is untouched
    assert "c00000001" not in wordnet
    assert robodog.name == "wordnet-3.0+custom"
    assert robodog.get("c00000001").lemmas == ("robot_dog",)
    assert robodog.parents("c00000001") == (DOG,)
    assert robodog.parents("c00000002") == ("c00000001",)
    assert "c00000001" in robodog.children(DOG)
    assert robodog.next_custom_id() == "c00000003"


def test_extended_answers_queries(wordnet: Taxonomy, robodog: Taxonomy) -> None:
    new, puppy = "c00000001", "c00000002"
    assert robodog.lca(new, CAT) == CARNIVORE
    assert robodog.lca(puppy, CAT) == CARNIVORE
    assert robodog.lca(new, DOG) == DOG
    assert robodog.lca(puppy, new) == new
    assert robodog.lcas(new, "n02085620") == [DOG]  # Chihuahua
    assert robodog.depth(new) == Depth(9, 14)
    assert robodog.depth(puppy) == Depth(10, 15)
    assert robodog.height(new) == 1
    assert robodog.height(DOG) == wordnet.height(DOG)
    assert robodog.is_a(puppy, MAMMAL)
    assert robodog.ancestors(puppy)[:2] == [new, DOG]
    assert robodog.roots == wordnet.roots
    assert len(robodog.paths_to_root(puppy)) == 2
    assert robodog.descendants(new) == [puppy]
    assert robodog.search("robot dog")[0].wnid == new


def test_extended_keeps_wordnet_records(wordnet: Taxonomy, robodog: Taxonomy) -> None:
    for wnid in (DOG, CAT, "n10900730", "n00001740"):
        assert robodog.get(wnid) == wordnet.get(wnid)
        assert robodog.get(wnid).lexname == wordnet.get(wnid).lexname
    assert robodog.depth(DOG) == wordnet.depth(DOG)
    assert robodog.lca(DOG, CAT) == CARNIVORE


def test_extended_search_keeps_wordnet_sense_order(robodog: Taxonomy) -> None:
    # Taxonomy.wordnet().search(word)[0] for each word (WordNet's first sense); an
    # extended taxonomy once lost the sense numbers and ranked these by wnid.
    first_sense = {
        "bank": "n09213565",  # sloping land
        "plant": "n03956922",  # industrial plant
        "bat": "n02139199",  # the mammal
        "glass": "n14881303",  # the material
    }
    for word, wnid in first_sense.items():
        assert robodog.search(word)[0].wnid == wnid, word


def test_extended_rejects_existing_ids(wordnet: Taxonomy) -> None:
    with pytest.raises(TaxonomyFileError) as info:
        wordnet.extended([Synset("c00000001", ("x",), "", (DOG,)), Synset(DOG, ("dog",))])
    err = info.value
    assert err.code == "E_DUPLICATE_SYNSET"
    assert err.line == 2
    assert "wordnet-3.0" in str(err)


# The remaining checks use the tiny taxonomy: extended takes the same path for any base.


def test_extended_rejects_duplicates_among_new(small: Taxonomy) -> None:
    twice = [Synset("c00000001", ("x",), "", ("dog",)), Synset("c00000001", ("y",), "", ("cat",))]
    with pytest.raises(TaxonomyFileError) as info:
        small.extended(twice)
    assert info.value.code == "E_DUPLICATE_SYNSET"
    assert info.value.line == 2


def test_extended_rejects_unknown_parent(small: Taxonomy) -> None:
    ok = Synset("c00000001", ("x",), "", ("dog",))
    with pytest.raises(TaxonomyFileError) as info:
        small.extended([ok, Synset("c00000002", ("y",), "", ("n02084072",))])
    assert info.value.code == "E_UNKNOWN_PARENT"
    assert info.value.line == 2


def test_extended_rejects_cycles(small: Taxonomy) -> None:
    loop = [
        Synset("c00000001", ("x",), "", ("dog", "c00000002")),
        Synset("c00000002", ("y",), "", ("c00000001",)),
    ]
    with pytest.raises(TaxonomyFileError) as info:
        small.extended(loop)
    assert info.value.code == "E_CYCLE"
    assert info.value.line in (1, 2)


def test_extended_synset_without_lemmas_is_searchable(wordnet: Taxonomy) -> None:
    with_senses = wordnet.restrict([DOG])  # keeps WordNet's sense numbers; small to build
    tax = with_senses.extended([Synset("c00000001", (), "a nameless dog", (DOG,))])
    assert tax.get("c00000001").name == "c00000001"
    assert tax.search("dog")[0].wnid == DOG
    with pytest.raises(UnknownSynsetError):
        tax.get("doggo")  # the suggestions for a word run a search too


def test_fingerprint(wordnet: Taxonomy, robodog: Taxonomy) -> None:
    assert robodog.fingerprint != wordnet.fingerprint
    a = Taxonomy.from_synsets(tiny(), name="a")
    assert len(a.fingerprint) == 64
    assert int(a.fingerprint, 16) >= 0
    assert Taxonomy.from_synsets(tiny(), name="b").fingerprint == a.fingerprint  # name aside

    def changed(i: int, **fields: object) -> str:
        synsets = tiny()
        synsets[i] = dataclasses.replace(synsets[i], **fields)  # type: ignore[arg-type]
        return Taxonomy.from_synsets(synsets).fingerprint

    assert changed(3, lexname="noun.animal") == a.fingerprint  # lexname is not content
    assert changed(3, gloss="a dog") != a.fingerprint
    assert changed(3, lemmas=("dog",)) != a.fingerprint
    assert changed(5, hypernyms=("animal",)) != a.fingerprint
    # The same edge as instance-of rather than is-a is different content.
    assert changed(7, hypernyms=("dog",), instance_hypernyms=()) != a.fingerprint


def test_bulk_views_on_a_small_taxonomy(small: Taxonomy) -> None:
    assert list(small.synsets()) == tiny()
    edges = set(small.edges())
    expected = {(s.wnid, p, p in s.instance_hypernyms) for s in tiny() for p in s.parents}
    assert edges == expected
    assert ("rex", "dog", True) in edges and ("dog", "pet", False) in edges
    pairs = list(small.closure_pairs())
    assert len(pairs) == len(set(pairs))
    assert set(pairs) == {(a, w) for w in small for a in small.ancestors(w, include_self=True)}
    assert ("animal", "rex") in pairs and ("rex", "rex") in pairs
    assert ("rex", "animal") not in pairs


def test_custom_id_suggestions() -> None:
    tax = Taxonomy.from_synsets(
        [Synset("c00000001", ("x",)), Synset("c00000002", ("y",)), Synset("c00000004", ("z",))]
    )
    with pytest.raises(UnknownSynsetError) as info:
        tax.get("c00000003")
    assert info.value.suggestions == ("c00000002", "c00000004", "c00000001")
    assert "c00000002 (y)" in str(info.value)
    assert tax.suggest("c00000003", n=1) == ["c00000002"]
    assert tax.suggest("c00009999") == []  # more than two digits away


def test_extended_small(small: Taxonomy) -> None:
    bigger = small.extended([Synset(small.next_custom_id(), ("puppy",), "", ("dog",))])
    assert bigger.name == "tiny+custom"
    assert bigger.lca("c00000001", "cat") == "pet"
    assert len(small) == 8
