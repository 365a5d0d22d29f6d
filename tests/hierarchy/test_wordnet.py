"""The bundled WordNet 3.0 noun hierarchy: counts, records, errors, wnid helpers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from synsetdb.errors import NotFoundError, SynsetdbError, TaxonomyError, UnknownSynsetError
from synsetdb.hierarchy import ENTITY, Synset, Taxonomy, is_wordnet_id, offset_of, wnid_of

DOG = "n02084071"
CANINE = "n02083346"
DOMESTIC_ANIMAL = "n01317541"


def test_holds_every_wordnet_noun(wordnet: Taxonomy) -> None:
    assert len(wordnet) == 82_115
    assert len(set(wordnet)) == 82_115
    assert wordnet.name == "wordnet-3.0"
    assert all(is_wordnet_id(w) for w in wordnet)


def test_wnids_are_in_offset_order(wordnet: Taxonomy) -> None:
    wnids = list(wordnet.wnids)
    assert wnids == sorted(wnids)
    assert wnids[0] == ENTITY
    assert list(wordnet) == wnids


def test_entity_is_the_only_root(wordnet: Taxonomy) -> None:
    assert ENTITY == "n00001740"
    assert wordnet.roots == (ENTITY,)
    assert wordnet.parents(ENTITY) == ()


def test_dog_record(wordnet: Taxonomy) -> None:
    dog = wordnet.get(DOG)
    assert dog.wnid == DOG
    assert dog.lemmas == ("dog", "domestic_dog", "Canis_familiaris")
    assert dog.hypernyms == (CANINE, DOMESTIC_ANIMAL)
    assert dog.instance_hypernyms == ()
    assert dog.parents == (CANINE, DOMESTIC_ANIMAL)
    assert dog.lexname == "noun.animal"
    assert dog.gloss.startswith("a member of the genus Canis")
    assert dog.name == "dog"
    assert dog.words == "dog, domestic dog, Canis familiaris"
    assert wordnet.get(CANINE).lemmas[0] == "canine"
    assert wordnet.get(DOMESTIC_ANIMAL).lemmas[0] == "domestic_animal"


def test_dog_to_dict_is_json_ready(wordnet: Taxonomy) -> None:
    assert wordnet.get(DOG).to_dict() == {
        "wnid": DOG,
        "name": "dog",
        "lemmas": ["dog", "domestic_dog", "Canis_familiaris"],
        "gloss": wordnet.get(DOG).gloss,
        "hypernyms": [CANINE, DOMESTIC_ANIMAL],
        "instance_hypernyms": [],
        "lexname": "noun.animal",
    }


def test_instance_only_and_multi_parent_counts(wordnet: Taxonomy) -> None:
    synsets = list(wordnet.synsets())
    assert [s.wnid for s in synsets] == list(wordnet)
    assert synsets[::997] == [wordnet.get(w) for w in wordnet.wnids[::997]]
    instance_only = [s for s in synsets if s.instance_hypernyms and not s.hypernyms]
    multi_parent = [s for s in synsets if len(s.parents) > 1]
    assert len(instance_only) == 7_725
    assert len(multi_parent) == 2_213
    # Every WordNet noun carries its lexicographer file.
    lexnames = {s.lexname for s in synsets}
    assert None not in lexnames
    assert all(name.startswith("noun.") for name in lexnames if name)
    assert len(lexnames) == 26  # noun.Tops plus the 25 noun categories
    assert wordnet.get(ENTITY).lexname == "noun.Tops"


def test_edges(wordnet: Taxonomy) -> None:
    edges = list(wordnet.edges())
    # WordNet 3.0 nouns: 75,850 hypernym (@) and 8,577 instance hypernym (@i) pointers.
    assert len(edges) == 84_427
    assert sum(is_instance for *_, is_instance in edges) == 8_577
    assert len(set(edges)) == len(edges)
    assert (DOG, CANINE, False) in edges
    assert ("n10900730", "n10794014", True) in edges  # Mark Twain, writer


def test_instance_hypernym_record(wordnet: Taxonomy) -> None:
    # Mark Twain is an instance of writer and of humorist: @i parents only.
    twain = wordnet.get("n10900730")
    assert twain.lemmas == ("Clemens", "Samuel_Langhorne_Clemens", "Mark_Twain")
    assert twain.hypernyms == ()
    assert twain.instance_hypernyms == ("n10794014", "n10191943")  # writer, humorist
    assert wordnet.parents(twain.wnid) == twain.instance_hypernyms


def test_every_synset_reaches_entity(wordnet: Taxonomy) -> None:
    assert all(wordnet.is_a(w, ENTITY) for w in wordnet)
    assert ENTITY in wordnet.ancestors(DOG)
    assert wordnet.ancestors(DOG)[-1] == ENTITY


def test_contains_and_repr(wordnet: Taxonomy) -> None:
    assert DOG in wordnet
    assert "n02084072" not in wordnet
    assert repr(wordnet) == "<Taxonomy 'wordnet-3.0': 82115 synsets>"


def test_each_load_is_a_fresh_equal_taxonomy(wordnet: Taxonomy) -> None:
    again = Taxonomy.wordnet()
    assert again is not wordnet
    assert again.wnids == wordnet.wnids
    assert again.get(DOG) == wordnet.get(DOG)
    assert again.fingerprint == wordnet.fingerprint


def test_suggestions_for_a_near_miss_id(wordnet: Taxonomy) -> None:
    suggestions = wordnet.suggest("n02084072")
    assert suggestions[0] == DOG  # one digit away and the nearest offset
    assert wordnet.suggest("n99999999") == []
    assert 0 < len(suggestions) <= 5
    assert all(w in wordnet for w in suggestions)


def test_unknown_synset_error(wordnet: Taxonomy) -> None:
    with pytest.raises(UnknownSynsetError) as info:
        wordnet.get("n02084072")
    err = info.value
    assert err.code == "E_UNKNOWN_SYNSET"
    assert isinstance(err, KeyError)
    assert isinstance(err, NotFoundError)
    assert isinstance(err, TaxonomyError)
    assert isinstance(err, SynsetdbError)
    assert err.wnid == "n02084072"
    assert DOG in err.suggestions
    assert err.suggestions == tuple(wordnet.suggest("n02084072"))
    # Plain message (not KeyError's quoted repr), naming the id and the suggestions.
    assert str(err).startswith("unknown synset 'n02084072'; did you mean n02084071 (dog)")


def test_wnid_helpers() -> None:
    assert wnid_of(2084071) == DOG
    assert wnid_of(1740) == ENTITY
    assert offset_of(DOG) == 2084071
    assert offset_of("c00000001") is None
    assert is_wordnet_id(DOG)
    for bad in ("c00000001", "n0208407", "n020840711", "N02084071", "x02084071", ""):
        assert not is_wordnet_id(bad)
        assert offset_of(bad) is None


def test_synset_value_semantics() -> None:
    a = Synset("c00000001", ("sea_glass",), "frosted glass", ("n03438257",), lexname="x")
    b = Synset("c00000001", ("sea_glass",), "frosted glass", ("n03438257",), lexname=None)
    assert a == b  # lexname is not part of identity
    assert hash(a) == hash(b)
    assert a.name == "sea glass"
    assert Synset("c00000002", ()).name == "c00000002"
    with pytest.raises(AttributeError):
        a.wnid = "c00000003"  # type: ignore[misc]


def test_loading_wordnet_does_not_import_nltk() -> None:
    # A meta-path finder records any attempt, so even a guarded `try: import nltk` shows.
    script = textwrap.dedent(
        """
        import sys

        attempts = []

        class Spy:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "nltk":
                    attempts.append(name)
                return None

        sys.meta_path.insert(0, Spy())
        from synsetdb.hierarchy import Taxonomy

        tax = Taxonomy.wordnet()
        assert len(tax) == 82115
        assert tax.lca("n02084071", "n02121620") == "n02075296"
        assert "nltk" not in sys.modules, "nltk was imported"
        assert not attempts, f"tried to import {attempts}"
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
