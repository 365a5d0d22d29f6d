"""Custom taxonomies read from files: ImageNet's words/is_a/gloss, and YAML/JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from synsetdb.errors import SynsetdbError, TaxonomyFileError
from synsetdb.hierarchy import Depth, Taxonomy, load_imagenet_words, load_taxonomy_file

DOG = "n02084071"
CAT = "n02121620"
CARNIVORE = "n02075296"


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def file_error(
    call: Callable[[], object], path: Path, line: int | None, code: str
) -> TaxonomyFileError:
    """Run ``call``, expect a TaxonomyFileError at ``path:line`` with ``code``."""
    with pytest.raises(TaxonomyFileError) as info:
        call()
    err = info.value
    assert (err.path, err.line, err.code) == (str(path), line, code), str(err)
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert str(err).startswith(where)
    assert isinstance(err, SynsetdbError) and isinstance(err, ValueError)
    return err


# ------------------------------------------------------------------ ImageNet words / is_a / gloss

WORDS = (
    "n00000001\tanimal, beast\n"
    "n00000002\tpet\n"
    "\n"
    "n00000003\tcanid\n"
    "n00000004\tdog, domestic dog, Canis familiaris\n"
    "n00000005\tcat, true cat\n"
    "n00000006\twolf\n"
)
IS_A = (
    "n00000001 n00000002\n"
    "n00000001 n00000003\n"
    "n00000003 n00000004\n"
    "n00000002 n00000004\n"
    "\n"
    "n00000002 n00000005\n"
    "n00000003 n00000006\n"
)
GLOSS = "n00000004\ta member of the genus Canis\nn00000006\ta wild canid\n"


@pytest.fixture
def imagenet_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    return (
        write(tmp_path / "words.txt", WORDS),
        write(tmp_path / "wordnet.is_a.txt", IS_A),
        write(tmp_path / "gloss.txt", GLOSS),
    )


def test_imagenet_words_load(imagenet_files: tuple[Path, Path, Path]) -> None:
    tax = load_imagenet_words(*imagenet_files)
    assert tax.name == "imagenet"
    assert len(tax) == 6
    assert tax.roots == ("n00000001",)
    dog = tax.get("n00000004")
    assert dog.lemmas == ("dog", "domestic_dog", "Canis_familiaris")
    assert dog.words == "dog, domestic dog, Canis familiaris"
    assert dog.gloss == "a member of the genus Canis"
    assert dog.hypernyms == ("n00000003", "n00000002")
    assert tax.get("n00000005").gloss == ""
    assert tax.lca("n00000004", "n00000006") == "n00000003"
    assert tax.lca("n00000004", "n00000005") == "n00000002"
    assert tax.lcas("n00000006", "n00000005") == ["n00000001"]
    assert set(tax.descendants("n00000002")) == {"n00000004", "n00000005"}
    assert tax.depth("n00000004") == Depth(2, 2)
    assert tax.search("domestic dog")[0].wnid == "n00000004"


def test_imagenet_words_without_gloss(imagenet_files: tuple[Path, Path, Path]) -> None:
    words, is_a, _ = imagenet_files
    tax = load_imagenet_words(str(words), str(is_a), name="mine")
    assert tax.name == "mine"
    assert all(tax.get(w).gloss == "" for w in tax)


def test_imagenet_files_round_trip_the_ilsvrc_tree(wordnet: Taxonomy, tmp_path: Path) -> None:
    from synsetdb.hierarchy import named_set

    tree = wordnet.restrict(named_set("ilsvrc2012").wnids)
    words = write(tmp_path / "words.txt", "".join(f"{w}\t{tree.get(w).words}\n" for w in tree))
    is_a = write(
        tmp_path / "is_a.txt", "".join(f"{p} {w}\n" for w in tree for p in tree.parents(w))
    )
    gloss = write(tmp_path / "gloss.txt", "".join(f"{w}\t{tree.get(w).gloss}\n" for w in tree))
    loaded = load_imagenet_words(words, is_a, gloss)
    assert len(loaded) == 1_860
    assert loaded.roots == ("n00001740",)
    for wnid in tree:
        assert loaded.parents(wnid) == tree.parents(wnid)
        assert loaded.get(wnid).lemmas == tree.get(wnid).lemmas
        assert loaded.get(wnid).gloss == tree.get(wnid).gloss
    assert loaded.lca("n02085620", "n02123045") == CARNIVORE  # Chihuahua, tabby


def test_words_duplicate_id(imagenet_files: tuple[Path, Path, Path]) -> None:
    words, is_a, _ = imagenet_files
    write(words, WORDS + "n00000003\tcanid again\n")
    err = file_error(lambda: load_imagenet_words(words, is_a), words, 8, "E_DUPLICATE_SYNSET")
    assert "first at line 4" in str(err)


def test_words_line_without_tab(imagenet_files: tuple[Path, Path, Path]) -> None:
    words, is_a, _ = imagenet_files
    write(words, WORDS.replace("n00000005\tcat", "n00000005 cat"))
    file_error(lambda: load_imagenet_words(words, is_a), words, 6, "E_PARSE")


def test_words_line_without_id(imagenet_files: tuple[Path, Path, Path]) -> None:
    words, is_a, _ = imagenet_files
    write(words, WORDS + " \tnameless\n")
    file_error(lambda: load_imagenet_words(words, is_a), words, 8, "E_PARSE")


def test_is_a_unknown_parent(imagenet_files: tuple[Path, Path, Path]) -> None:
    words, is_a, _ = imagenet_files
    write(is_a, IS_A.replace("n00000003 n00000006", "n00000009 n00000006"))
    err = file_error(lambda: load_imagenet_words(words, is_a), is_a, 7, "E_UNKNOWN_PARENT")
    assert "'n00000009'" in str(err)


def test_is_a_unknown_child(imagenet_files: tuple[Path, Path, Path]) -> None:
    words, is_a, _ = imagenet_files
    write(is_a, "n00000001 n00000007\n" + IS_A)
    err = file_error(lambda: load_imagenet_words(words, is_a), is_a, 1, "E_UNKNOWN_PARENT")
    assert "'n00000007'" in str(err)


@pytest.mark.parametrize("bad", ["n00000001", "n00000001 n00000002 n00000003"])
def test_is_a_malformed_line(imagenet_files: tuple[Path, Path, Path], bad: str) -> None:
    words, is_a, _ = imagenet_files
    write(is_a, IS_A + bad + "\n")
    err = file_error(lambda: load_imagenet_words(words, is_a), is_a, 8, "E_PARSE")
    assert "parent child" in str(err)


def test_is_a_cycle(imagenet_files: tuple[Path, Path, Path]) -> None:
    words, is_a, _ = imagenet_files
    write(is_a, IS_A + "n00000006 n00000003\n")  # wolf above canid above wolf
    with pytest.raises(TaxonomyFileError) as info:
        load_imagenet_words(words, is_a)
    err = info.value
    assert err.code == "E_CYCLE"
    assert err.path == str(words)  # the cycle is reported at a member's words.txt line
    assert err.line in (4, 7)  # canid, wolf
    assert "n00000003" in str(err) and "n00000006" in str(err)


def test_gloss_malformed(imagenet_files: tuple[Path, Path, Path]) -> None:
    words, is_a, gloss = imagenet_files
    write(gloss, GLOSS + "n00000005 no tab here\n")
    file_error(lambda: load_imagenet_words(words, is_a, gloss), gloss, 3, "E_PARSE")


def test_gloss_duplicate(imagenet_files: tuple[Path, Path, Path]) -> None:
    words, is_a, gloss = imagenet_files
    write(gloss, GLOSS + "n00000004\tagain\n")
    file_error(lambda: load_imagenet_words(words, is_a, gloss), gloss, 3, "E_DUPLICATE_SYNSET")


def test_imagenet_missing_file(imagenet_files: tuple[Path, Path, Path], tmp_path: Path) -> None:
    words, is_a, _ = imagenet_files
    missing = tmp_path / "nope.txt"
    file_error(lambda: load_imagenet_words(missing, is_a), missing, None, "E_READ")
    file_error(lambda: load_imagenet_words(words, missing), missing, None, "E_READ")
    file_error(lambda: load_imagenet_words(words, is_a, missing), missing, None, "E_READ")


def test_imagenet_words_not_utf8(imagenet_files: tuple[Path, Path, Path]) -> None:
    words, is_a, _ = imagenet_files
    write(words, WORDS.encode() + "n00000007\tcaf\xe9\n".encode("latin-1"))
    file_error(lambda: load_imagenet_words(words, is_a), words, None, "E_READ")


# ------------------------------------------------------------------ YAML and JSON

YAML = """\
name: pets
synsets:
  - id: animal
    lemmas: [animal, beast]
    gloss: a living thing that moves
  - id: pet
    lemmas: [pet]
    parents: animal
  - id: dog
    lemmas: [dog, domestic dog]
    parents: [animal, pet]
  - name: cat
    parents: [pet]
  - lemmas: [wolf]
    parents: [animal]
"""


def test_yaml_loads(tmp_path: Path) -> None:
    tax = load_taxonomy_file(write(tmp_path / "pets.yaml", YAML))
    assert tax.name == "pets"
    assert list(tax) == ["animal", "pet", "dog", "c00000001", "c00000002"]
    assert tax.get("animal").gloss == "a living thing that moves"
    assert tax.get("dog").lemmas == ("dog", "domestic_dog")
    assert tax.get("c00000001").lemmas == ("cat",)  # 'name' stands in for lemmas
    assert tax.parents("pet") == ("animal",)  # a single parent may be a string
    assert tax.lca("dog", "c00000001") == "pet"
    assert tax.lca("dog", "c00000002") == "animal"
    assert set(tax.descendants("pet")) == {"dog", "c00000001"}
    assert tax.descendants("animal", include_self=True)[0] == "animal"


def test_yml_and_name_from_stem(tmp_path: Path) -> None:
    tax = load_taxonomy_file(write(tmp_path / "my-tax.yml", YAML.replace("name: pets\n", "")))
    assert tax.name == "my-tax"
    assert len(tax) == 5


def test_json_loads(tmp_path: Path) -> None:
    data = {
        "name": "pets-json",
        "synsets": [
            {"id": "animal", "lemmas": ["animal"]},
            {"id": "pet", "lemmas": ["pet"], "parents": ["animal"], "gloss": "kept"},
            {"id": "dog", "lemmas": ["dog"], "parents": ["pet"]},
            {"lemmas": ["cat"], "parents": ["pet"]},
        ],
    }
    tax = load_taxonomy_file(write(tmp_path / "pets.json", json.dumps(data, indent=2)))
    assert tax.name == "pets-json"
    assert tax.lca("dog", "c00000001") == "pet"
    assert tax.get("pet").gloss == "kept"
    assert tax.descendants("animal") == ["pet", "dog", "c00000001"]


def test_yaml_extends_wordnet(wordnet: Taxonomy, tmp_path: Path) -> None:
    text = """\
name: robots
extends: wordnet-3.0
synsets:
  - lemmas: [robot dog]
    gloss: a dog-shaped robot
    parents: [n02084071]
  - id: c00000005
    lemmas: [robot puppy]
    parents: [c00000001]
"""
    tax = load_taxonomy_file(write(tmp_path / "robots.yaml", text))
    assert tax.name == "robots"
    assert len(tax) == len(wordnet) + 2
    assert tax.get("c00000001").lemmas == ("robot_dog",)
    assert tax.lca("c00000001", CAT) == CARNIVORE
    assert tax.lca("c00000005", "n02085620") == DOG  # Chihuahua
    assert tax.descendants(DOG).count("c00000005") == 1
    assert tax.depth("c00000005") == Depth(10, 15)
    assert tax.get(DOG) == wordnet.get(DOG)


def test_yaml_extends_wordnet_unknown_parent(tmp_path: Path) -> None:
    text = """\
extends: wordnet
synsets:
  - lemmas: [robot dog]
    parents: [n02084071]
  - lemmas: [robot cat]
    parents: [n02121620, n02084072]
"""
    path = write(tmp_path / "robots.yaml", text)
    err = file_error(lambda: load_taxonomy_file(path), path, 5, "E_UNKNOWN_PARENT")
    assert "'n02084072'" in str(err)


def test_yaml_extends_existing_id(tmp_path: Path) -> None:
    text = "extends: wordnet-3.0\nsynsets:\n  - id: n02084071\n    lemmas: [dog]\n"
    path = write(tmp_path / "again.yaml", text)
    file_error(lambda: load_taxonomy_file(path), path, 3, "E_DUPLICATE_SYNSET")


def test_yaml_cannot_extend_other(tmp_path: Path) -> None:
    path = write(tmp_path / "old.yaml", "extends: wordnet-2.1\nsynsets: []\n")
    err = file_error(lambda: load_taxonomy_file(path), path, None, "E_PARSE")
    assert "wordnet-2.1" in str(err)


def test_yaml_unknown_parent_line(tmp_path: Path) -> None:
    path = write(tmp_path / "pets.yaml", YAML.replace("parents: [pet]", "parents: [pets]"))
    err = file_error(lambda: load_taxonomy_file(path), path, 12, "E_UNKNOWN_PARENT")
    assert "'pets'" in str(err)


def test_yaml_duplicate_id_line(tmp_path: Path) -> None:
    path = write(tmp_path / "pets.yaml", YAML + "  - id: pet\n    lemmas: [pet]\n")
    err = file_error(lambda: load_taxonomy_file(path), path, 16, "E_DUPLICATE_SYNSET")
    assert f"{path}:6" in str(err)  # the first definition


def test_yaml_cycle_line(tmp_path: Path) -> None:
    text = YAML.replace("    parents: animal\n", "    parents: [animal, dog]\n")
    path = write(tmp_path / "pets.yaml", text)
    with pytest.raises(TaxonomyFileError) as info:
        load_taxonomy_file(path)
    err = info.value
    assert (err.path, err.code) == (str(path), "E_CYCLE")
    assert err.line in (6, 9)  # pet or dog
    assert "pet" in str(err) and "dog" in str(err)


def test_yaml_syntax_error_line(tmp_path: Path) -> None:
    text = YAML.replace("gloss: a living thing that moves", "gloss: one: two")
    path = write(tmp_path / "pets.yaml", text)
    err = file_error(lambda: load_taxonomy_file(path), path, 5, "E_PARSE")
    assert "invalid YAML" in str(err)


def test_json_syntax_error_line(tmp_path: Path) -> None:
    text = (
        "{\n"
        '  "synsets": [\n'
        '    {"id": "a", "lemmas": ["a"]},\n'
        '    {"id": "b" "lemmas": []}\n'  # missing comma
        "  ]\n"
        "}\n"
    )
    path = write(tmp_path / "bad.json", text)
    file_error(lambda: load_taxonomy_file(path), path, 4, "E_PARSE")


def test_json_unknown_parent_line(tmp_path: Path) -> None:
    text = (
        "{\n"
        '  "synsets": [\n'
        '    {"id": "a", "lemmas": ["a"]},\n'
        '    {"id": "b", "lemmas": ["b"], "parents": ["a"]},\n'
        '    {"id": "c", "lemmas": ["c"], "parents": ["z"]}\n'
        "  ]\n"
        "}\n"
    )
    path = write(tmp_path / "t.json", text)
    file_error(lambda: load_taxonomy_file(path), path, 5, "E_UNKNOWN_PARENT")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("- a\n- b\n", 1),  # not a mapping
        ("name: x\n", 1),  # no synsets
        ("synsets: {a: 1}\n", 1),  # synsets not a list
        ("synsets:\n  - id: a\n    lemmas: [a]\n  - just a word\n", 4),  # item not a mapping
        ("synsets:\n  - id: a\n    gloss: no lemmas\n", 2),  # neither lemmas nor name
        ("synsets:\n  - id: a\n    lemmas: a\n", 2),  # lemmas not a list
        ("synsets:\n  - id: a\n    lemmas: [a, 3]\n", 2),  # a lemma not a string
        ("synsets:\n  - id: a\n    lemmas: [a]\n    parents: {b: c}\n", 2),  # bad parents
        ("synsets:\n  - id: a\n    lemmas: [a]\n    parents: [1]\n", 2),  # parent not a string
    ],
)
def test_yaml_shape_errors(tmp_path: Path, text: str, line: int) -> None:
    path = write(tmp_path / "bad.yaml", text)
    file_error(lambda: load_taxonomy_file(path), path, line, "E_PARSE")


def test_empty_synsets_list(tmp_path: Path) -> None:
    tax = load_taxonomy_file(write(tmp_path / "empty.yaml", "synsets: []\n"))
    assert len(tax) == 0


# ------------------------------------------------------------------ bugs found


def test_free_ids_skip_explicit_ids(tmp_path: Path) -> None:
    text = """\
synsets:
  - id: c00000002
    lemmas: [root]
  - lemmas: [a]
    parents: [c00000002]
  - lemmas: [b]
    parents: [c00000002]
"""
    tax = load_taxonomy_file(write(tmp_path / "ids.yaml", text))
    assert len(tax) == 3
    assert len(set(tax)) == 3


def test_empty_gloss_is_empty(tmp_path: Path) -> None:
    text = "synsets:\n  - id: a\n    lemmas: [a]\n    gloss:\n"
    tax = load_taxonomy_file(write(tmp_path / "g.yaml", text))
    assert tax.get("a").gloss == ""


def test_taxonomy_file_missing(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    file_error(lambda: load_taxonomy_file(path), path, None, "E_READ")


def test_taxonomy_file_not_utf8(tmp_path: Path) -> None:
    path = write(
        tmp_path / "latin1.yaml", "synsets:\n  - id: a\n    lemmas: [caf\xe9]\n".encode("latin-1")
    )
    file_error(lambda: load_taxonomy_file(path), path, None, "E_READ")


def test_tab_indented_json_error_has_a_line(tmp_path: Path) -> None:
    text = (
        '{\n\t"synsets": [\n\t\t{"id": "a", "lemmas": ["a"]},\n'
        '\t\t{"id": "b", "lemmas": ["b"], "parents": ["z"]}\n\t]\n}\n'
    )
    path = write(tmp_path / "tabs.json", text)
    file_error(lambda: load_taxonomy_file(path), path, 4, "E_UNKNOWN_PARENT")


def test_repeated_synsets_key(tmp_path: Path) -> None:
    text = (
        '{"synsets": [{"id": "a", "lemmas": ["a"]}],\n'
        ' "synsets": [{"id": "a", "lemmas": ["a"]}, {"id": "b", "lemmas": ["b"]}]}\n'
    )
    path = write(tmp_path / "twice.json", text)
    with pytest.raises(TaxonomyFileError):
        load_taxonomy_file(path)


# ------------------------------------------------------------------ ids and lemmas that would break


def test_extending_wordnet_refuses_made_up_wordnet_shaped_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path / "x.yaml",
        "extends: wordnet-3.0\n"
        "synsets:\n"
        "  - {id: c00000001, lemmas: [fine], parents: [n02084071]}\n"
        "  - {id: n99999999, lemmas: [robot dog], parents: [n02084071]}\n",
    )
    err = file_error(lambda: load_taxonomy_file(path), path, 4, "E_BAD_ID")
    assert "c00000001" in str(err)  # says what to use instead
    path.write_text(
        "extends: wordnet-3.0\n"
        "synsets:\n"
        "  - {id: robo-1, lemmas: [robot dog], parents: [n02084071]}\n"
    )
    assert "robo-1" in load_taxonomy_file(path)  # any id that cannot collide is fine


@pytest.mark.parametrize("lemma", ["tab\there", "line\nbreak"])
def test_lemmas_with_tabs_or_line_breaks_are_refused(tmp_path: Path, lemma: str) -> None:
    path = write(
        tmp_path / "x.json",
        json.dumps({"synsets": [{"id": "c00000001", "lemmas": ["ok", lemma]}]}),
    )
    file_error(lambda: load_taxonomy_file(path), path, 1, "E_PARSE")


def test_words_txt_lemma_with_a_tab_is_refused(tmp_path: Path) -> None:
    words = write(tmp_path / "words.txt", "n00000001\tanimal\nn00000002\tdog,\tcanine\there\n")
    is_a = write(tmp_path / "is_a.txt", "n00000001 n00000002\n")
    file_error(lambda: load_imagenet_words(words, is_a), words, 2, "E_PARSE")
