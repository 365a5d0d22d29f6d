"""The versions table on the real bundled sets and on a project's releases, and its diffs."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from synsetdb.audit.versions import (
    FALL11_P,
    WINTER21_P,
    VersionList,
    diff_versions,
    version_lists,
    versions_table,
    winter21_removal,
)
from synsetdb.catalog import Project
from synsetdb.errors import NotFoundError, SynsetdbError
from synsetdb.hierarchy import PERSON_ROOT, Synset, Taxonomy, named_set, named_sets
from tests.audit.versions_project import (
    CHIHUAHUA,
    FAGOT,
    GOOK,
    TENCH,
    build_versions_project,
)

TEDDY = "n04399382"  # the one ILSVRC-2012 class fall11 lacks

# name: (classes, in the person subtree, marked sensitive as a whole, on a lemma only)
EXPECTED = {
    "ilsvrc2012": (1_000, 3, 0, 0),
    "imagenet21k-fall11": (21_841, 2_836, 1, 1),
    "imagenet21k-goog": (21_843, 2_837, 1, 1),
    "imagenet12k": (11_821, 964, 1, 1),
    "imagenet21k-p": (11_221, 876, 1, 1),
    "imagenet21k-p-winter21": (10_450, 105, 0, 0),
    "mini-imagenet": (100, 0, 0, 0),
    "imagenet-a": (200, 1, 0, 0),
    "imagenet-r": (200, 2, 0, 0),
    "person": (10_297, 10_297, 39, 2),
    "deng2009": (12, 0, 0, 0),
}


@pytest.fixture(scope="module")
def sets_table(wordnet: Taxonomy) -> Any:
    return versions_table(taxonomy=wordnet)


@pytest.fixture(scope="module")
def project(
    wordnet_project_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Project]:
    root = build_versions_project(wordnet_project_template, tmp_path_factory.mktemp("v") / "p")
    opened = Project.open(root)
    yield opened
    opened.close()


def test_every_named_set_is_a_row(sets_table: Any) -> None:
    assert [r.key for r in sets_table.rows] == named_sets()
    assert all(r.kind == "set" and r.key == r.name and r.title for r in sets_table.rows)
    assert sets_table.taxonomy == "wordnet-3.0"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_counts_of_the_bundled_sets(sets_table: Any, name: str) -> None:
    row = sets_table.rows[sets_table.index(name)]
    assert (row.classes, row.person, row.sensitive, row.sensitive_lemma) == EXPECTED[name]
    assert row.not_wordnet == 0  # every id of every shipped list is a WordNet 3.0 noun


def test_overlaps_of_the_imagenet_versions(sets_table: Any) -> None:
    o = sets_table.overlap_of
    assert o("ilsvrc2012", "imagenet21k-fall11") == 999  # fall11 lacks teddy bear
    assert o("ilsvrc2012", "imagenet21k-goog") == 999
    assert o("ilsvrc2012", "imagenet12k") == 993
    assert o("ilsvrc2012", FALL11_P) == o("ilsvrc2012", WINTER21_P) == 991
    assert o("imagenet21k-fall11", "imagenet21k-goog") == 21_841
    assert o("imagenet21k-fall11", "imagenet12k") == 11_821
    assert o(FALL11_P, WINTER21_P) == 10_450
    assert o("person", "imagenet21k-fall11") == 2_836
    assert o("mini-imagenet", "ilsvrc2012") == 100
    assert o("imagenet-a", "imagenet-r") == 86


def test_the_overlap_matrix_is_every_intersection(sets_table: Any, wordnet: Taxonomy) -> None:
    sets = [set(named_set(name, wordnet).wnids) for name in named_sets()]
    matrix = sets_table.overlap
    assert len(matrix) == len(sets) and all(len(row) == len(sets) for row in matrix)
    for i, j in itertools.product(range(len(sets)), repeat=2):
        assert matrix[i][j] == len(sets[i] & sets[j]), (i, j)
    assert [matrix[i][i] for i in range(len(sets))] == [r.classes for r in sets_table.rows]


def test_what_the_2021_filtering_removed(sets_table: Any, wordnet: Taxonomy) -> None:
    w = winter21_removal(wordnet)
    assert w == sets_table.winter21
    assert (w.before, w.after) == (FALL11_P, WINTER21_P)
    assert (w.before_classes, w.after_classes, w.removed, w.added) == (11_221, 10_450, 771, 0)
    assert (w.removed_person, w.person_before, w.person_after) == (771, 876, 105)
    assert w.removed_sensitive == 1  # gook, slant-eye
    removed = set(named_set(FALL11_P).wnids) - set(named_set(WINTER21_P).wnids)
    assert len(removed) == 771 and all(wordnet.is_a(x, PERSON_ROOT) for x in removed)


def test_diff_of_fall11_and_ilsvrc2012(wordnet: Taxonomy) -> None:
    d = diff_versions("imagenet21k-fall11", "ilsvrc2012", taxonomy=wordnet, limit=5)
    assert (d.a_classes, d.b_classes, d.both) == (21_841, 1_000, 999)
    assert (d.only_a_count, d.only_b_count) == (20_842, 1)
    assert (d.only_a_person, d.only_b_person) == (2_833, 0)
    assert len(d.only_a) == 5 and d.listed == 5
    assert [c.wnid for c in d.only_a] == sorted(c.wnid for c in d.only_a)
    teddy = d.only_b[0]
    assert (teddy.wnid, teddy.name, teddy.person, teddy.sensitive) == (TEDDY, "teddy", False, False)
    assert teddy.wordnet
    everything = diff_versions("imagenet21k-fall11", "ilsvrc2012", taxonomy=wordnet)
    assert len(everything.only_a) == 20_842 and everything.listed is None
    data = json.loads(json.dumps(d.to_dict()))
    assert data["only_b"] == [
        {"wnid": TEDDY, "name": "teddy", "person": False, "sensitive": False, "wordnet": True}
    ]


def test_the_diff_flags_persons_and_sensitive_classes(wordnet: Taxonomy) -> None:
    d = diff_versions(FALL11_P, WINTER21_P, taxonomy=wordnet)
    assert (d.only_a_count, d.only_b_count, d.only_a_person) == (771, 0, 771)
    flagged = [c for c in d.only_a if c.sensitive]
    assert [(c.wnid, c.name) for c in flagged] == [(GOOK, "gook")]
    assert all(c.person for c in d.only_a)


def test_an_unknown_version_is_named_with_the_known_ones(wordnet: Taxonomy) -> None:
    with pytest.raises(NotFoundError) as caught:
        diff_versions("imagenet-21k", "ilsvrc2012", taxonomy=wordnet)
    err = caught.value
    assert err.code == "E_UNKNOWN_VERSION"
    assert isinstance(err, KeyError) and isinstance(err, SynsetdbError)
    assert "'imagenet-21k'" in str(err) and "imagenet21k-fall11" in str(err)
    with pytest.raises(NotFoundError):
        versions_table(taxonomy=wordnet).index("nope")


def test_the_table_is_json_ready(sets_table: Any) -> None:
    data = json.loads(json.dumps(sets_table.to_dict()))
    assert set(data) == {"taxonomy", "rows", "overlap", "winter21_removal"}
    assert data["overlap"]["keys"] == [r["key"] for r in data["rows"]]
    assert data["rows"][0] == {
        "key": "ilsvrc2012",
        "name": "ilsvrc2012",
        "kind": "set",
        "title": "ILSVRC-2012 classification classes",
        "classes": 1_000,
        "person": 3,
        "sensitive": 0,
        "sensitive_lemma": 0,
        "not_wordnet": 0,
    }
    assert data["winter21_removal"]["removed"] == 771


# ----------------------------------------------------------------------------- releases


def test_releases_join_the_named_sets(project: Project) -> None:
    table = versions_table(project)
    keys = [r.key for r in table.rows]
    assert keys == [*named_sets(), "release:ilsvrc2012", "r1"]
    r1 = table.rows[table.index("r1")]
    assert (r1.kind, r1.name, r1.title) == ("release", "r1", "release r1")
    assert (r1.classes, r1.person, r1.sensitive, r1.sensitive_lemma, r1.not_wordnet) == (
        4,
        2,
        2,
        0,
        0,
    )
    named = table.rows[table.index("release:ilsvrc2012")]
    assert (named.name, named.kind, named.classes) == ("ilsvrc2012", "release", 2)
    assert table.overlap_of("r1", "ilsvrc2012") == 2  # the named set: tench, Chihuahua
    assert table.overlap_of("r1", "release:ilsvrc2012") == 2
    assert table.overlap_of("r1", "person") == 2
    assert table.overlap_of("r1", "imagenet21k-fall11") == 3  # fagot is no fall11 class


def test_a_diff_of_a_release_and_a_set(project: Project) -> None:
    d = diff_versions("r1", "release:ilsvrc2012", project)
    assert [c.wnid for c in d.only_a] == [GOOK, FAGOT]
    assert [(c.name, c.person, c.sensitive) for c in d.only_a] == [
        ("gook", True, True),
        ("fagot", True, True),
    ]
    assert d.only_b == () and d.both == 2
    d = diff_versions("ilsvrc2012", "r1", project, limit=0)
    assert (d.only_a_count, d.only_b_count, d.only_a, d.only_b) == (998, 2, (), ())
    assert d.both == len({TENCH, CHIHUAHUA})


def test_the_releases_are_read_in_one_query(project: Project) -> None:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(project.catalog.engine, "before_cursor_execute", count)
    try:
        lists = version_lists(project)
    finally:
        event.remove(project.catalog.engine, "before_cursor_execute", count)
    assert len(seen) == 1
    assert [v.key for v in lists][-2:] == ["release:ilsvrc2012", "r1"]


# ----------------------------------------------------------------------------- other taxonomies


def test_custom_synsets_count_as_not_wordnet(wordnet: Taxonomy) -> None:
    grown = wordnet.extended([Synset("c00000001", ("lifeguard trainee",), "", (PERSON_ROOT,))])
    custom = VersionList("mine", "mine", "release", "release mine", ("c00000001", TENCH, GOOK))
    table = versions_table(taxonomy=grown, lists=[custom])
    row = table.rows[0]
    assert (row.classes, row.person, row.sensitive, row.not_wordnet) == (3, 2, 1, 1)
    d = diff_versions("mine", "mine", taxonomy=grown, lists=[custom])
    assert d.both == 3 and d.only_a == ()
    d = diff_versions("mine", "ilsvrc2012", taxonomy=grown, lists=[custom, *version_lists()])
    assert [(c.wnid, c.name, c.person, c.wordnet) for c in d.only_a] == [
        ("c00000001", "lifeguard trainee", True, False),
        (GOOK, "gook", True, True),
    ]


def test_a_taxonomy_without_the_person_subtree_falls_back_to_wordnet() -> None:
    tiny = Taxonomy.from_synsets([Synset("c00000001", ("thing",))], name="tiny")
    table = versions_table(taxonomy=tiny)
    assert table.taxonomy == "wordnet-3.0"
    assert table.rows[table.index("person")].classes == 10_297
