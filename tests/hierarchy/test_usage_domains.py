"""WordNet's usage domains (``;u``): the bundled flags, against a plain parse of data.noun."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from synsetdb.hierarchy import (
    PERSON_ROOT,
    SENSITIVE_USAGE_DOMAINS,
    Synset,
    Taxonomy,
    UsageFlag,
    load_taxonomy_file,
)
from tests.fixtures.postgres import service_unavailable

DATA_NOUN = Path("/usr/share/wordnet/data.noun")
DISPARAGEMENT, ETHNIC_SLUR, OBSCENITY = "n06717170", "n06718862", "n07124340"
SLANG, ARCHAISM = "n07157273", "n07073447"
# Measured in WordNet 3.0's data.noun: synsets a domain marks as a whole, and
# with those where it marks one lemma only.
WHOLE = {DISPARAGEMENT: 39, ETHNIC_SLUR: 12, OBSCENITY: 8}
WITH_LEMMAS = {DISPARAGEMENT: 40, ETHNIC_SLUR: 13, OBSCENITY: 8}


def _plain_parse() -> dict[str, list[tuple[str, str, int]]]:
    """wnid -> [(domain wnid, domain pos, source word number)], read field by field."""
    if not DATA_NOUN.exists():
        service_unavailable(f"{DATA_NOUN} is missing: apt-get install wordnet-base")
    found: dict[str, list[tuple[str, str, int]]] = {}
    for line in DATA_NOUN.read_text(encoding="utf-8").splitlines():
        if line.startswith("  "):
            continue
        fields = line.split(" | ")[0].split()
        at = 4 + 2 * int(fields[3], 16)
        pointers = [fields[at + 1 + 4 * k : at + 5 + 4 * k] for k in range(int(fields[at]))]
        found[f"n{fields[0]}"] = [
            (f"{pos}{target}", pos, int(words[:2], 16))
            for symbol, target, pos, words in pointers
            if symbol == ";u"
        ]
    return found


def test_sensitive_domains_are_the_offensive_ones(wordnet: Taxonomy) -> None:
    assert SENSITIVE_USAGE_DOMAINS == {
        DISPARAGEMENT: "disparagement",
        ETHNIC_SLUR: "ethnic slur",
        OBSCENITY: "obscenity",
    }
    for wnid, name in SENSITIVE_USAGE_DOMAINS.items():
        assert wordnet.get(wnid).name == name
    assert wordnet.get(SLANG).name == "slang"  # a register, not in the sensitive map


@pytest.mark.parametrize("domain", list(WHOLE))
def test_counts_of_each_sensitive_domain(wordnet: Taxonomy, domain: str) -> None:
    assert len(wordnet.with_usage_domains([domain])) == WHOLE[domain]
    assert len(wordnet.with_usage_domains([domain], lemmas=True)) == WITH_LEMMAS[domain]


def test_counts_agree_with_a_plain_parse_of_data_noun(wordnet: Taxonomy) -> None:
    parsed = _plain_parse()
    pointers = [p for flags in parsed.values() for p in flags]
    assert len(pointers) == 1_066
    assert {pos for _, pos, _ in pointers} == {"n"}  # every usage domain is a noun
    assert sum(1 for _, _, word in pointers if word) == 406  # lexical: one lemma only
    flagged = {w for w, flags in parsed.items() if flags}
    assert len(flagged) == 936
    assert len({domain for domain, _, _ in pointers}) == 23
    for domain in WHOLE:
        whole = {w for w, fs in parsed.items() if any(d == domain and not n for d, _, n in fs)}
        anywhere = {w for w, fs in parsed.items() if any(d == domain for d, _, _ in fs)}
        assert len(whole) == WHOLE[domain]
        assert len(anywhere) == WITH_LEMMAS[domain]
        assert set(wordnet.with_usage_domains([domain])) == whole
        assert set(wordnet.with_usage_domains([domain], lemmas=True)) == anywhere
    # Every flag of every synset, lemma-only ones by their lemma.
    for wnid, flags in parsed.items():
        lemmas = wordnet.get(wnid).lemmas
        expected = [UsageFlag(d, lemmas[n - 1] if n else None) for d, _, n in flags]
        assert list(wordnet.usage_flags(wnid)) == expected, wnid


def test_sensitive_synsets_and_the_person_subtree(wordnet: Taxonomy) -> None:
    sensitive = wordnet.with_usage_domains(SENSITIVE_USAGE_DOMAINS)
    with_lemmas = wordnet.with_usage_domains(SENSITIVE_USAGE_DOMAINS, lemmas=True)
    assert (len(sensitive), len(with_lemmas)) == (47, 49)
    assert sum(wordnet.is_a(w, PERSON_ROOT) for w in sensitive) == 39
    assert sum(wordnet.is_a(w, PERSON_ROOT) for w in with_lemmas) == 41
    assert sensitive == sorted(sensitive)  # taxonomy (offset) order


def test_known_slurs(wordnet: Taxonomy) -> None:
    # n09698337: chink, Chinaman; n09638009: the n-word synset; n09682122: kike, …
    assert wordnet.usage_domains("n09698337") == (DISPARAGEMENT, ETHNIC_SLUR, SLANG)
    assert set(wordnet.usage_domains("n09638009")) == {DISPARAGEMENT, ETHNIC_SLUR}
    assert ETHNIC_SLUR in wordnet.usage_domains("n09682122")
    assert wordnet.usage_domains("n10076033") == (DISPARAGEMENT,)  # faggot, fag, …
    assert wordnet.usage_domains("n09815188") == (OBSCENITY,)  # asshole, bastard, …
    assert wordnet.usage_domains("n05526713") == (OBSCENITY,)  # obscene terms for penis
    assert wordnet.usage_domains("n02084071") == ()  # dog


def test_a_lemma_only_flag_does_not_mark_the_synset(wordnet: Taxonomy) -> None:
    black_person = "n09636339"  # Black, Black person, blackamoor, Negro, Negroid
    assert wordnet.usage_domains(black_person) == ()
    assert wordnet.usage_domains(black_person, lemmas=True) == (ARCHAISM, ETHNIC_SLUR)
    assert UsageFlag(ETHNIC_SLUR, "blackamoor") in wordnet.usage_flags(black_person)
    assert UsageFlag(ARCHAISM, "Negro") in wordnet.usage_flags(black_person)
    assert UsageFlag(ETHNIC_SLUR, "blackamoor").to_dict() == {
        "domain": ETHNIC_SLUR,
        "lemma": "blackamoor",
    }


def test_most_common_domains(wordnet: Taxonomy) -> None:
    counts = Counter(f.domain for w in wordnet for f in wordnet.usage_flags(w))
    assert counts.most_common(5) == [
        ("n06845599", 304),  # trade name
        ("n06295235", 239),  # plural
        ("n06851742", 163),  # trademark
        ("n07075172", 130),  # colloquialism
        (SLANG, 71),
    ]


def test_restricted_and_extended_taxonomies_keep_the_flags(wordnet: Taxonomy) -> None:
    slur = "n09698337"
    small = wordnet.restrict([slur, "n02084071"])
    assert small.usage_domains(slur) == wordnet.usage_domains(slur)
    assert small.with_usage_domains([ETHNIC_SLUR]) == [slur]  # the domain itself is absent
    assert wordnet.subtree(PERSON_ROOT).usage_domains(slur) == wordnet.usage_domains(slur)
    grown = wordnet.extended([Synset("c00000001", ("sea glass",), "", ("n14881303",))])
    assert grown.usage_domains(slur) == wordnet.usage_domains(slur)
    assert grown.usage_flags("c00000001") == ()


def test_custom_taxonomies_have_no_usage_domains(tmp_path: Path) -> None:
    tiny = Taxonomy.from_synsets([Synset("c00000001", ("thing",))])
    assert tiny.usage_flags("c00000001") == ()
    assert tiny.with_usage_domains(SENSITIVE_USAGE_DOMAINS, lemmas=True) == []
    path = tmp_path / "t.yaml"
    path.write_text("name: t\nsynsets:\n  - id: c00000002\n    lemmas: [widget]\n")
    assert load_taxonomy_file(path).usage_domains("c00000002") == ()
