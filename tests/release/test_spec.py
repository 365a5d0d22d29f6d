"""Release spec files: the documented example parses; a bad value is E_SPEC naming file and key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from synsetdb.errors import ReleaseError
from synsetdb.release import ReleaseSpec, SplitConfig, load_spec, load_synset_list, parse_spec

DOCS = Path(__file__).resolve().parents[2] / "docs" / "release.md"


def _docs_example() -> str:
    blocks = re.findall(r"```toml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "docs/release.md should hold exactly one TOML example"
    return blocks[0]


def test_the_documented_example_parses(tmp_path: Path) -> None:
    (tmp_path / "unsafe-synsets.txt").write_text("# reviewed\nn10000000  # a slur\n\nn10000001\n")
    spec_file = tmp_path / "imagenet.toml"
    spec_file.write_text(_docs_example(), encoding="utf-8")
    spec = load_spec(spec_file)
    assert spec.seed == 2012 and spec.parent is None
    assert spec.selection.sets == ("ilsvrc2012",)
    assert spec.selection.subtrees == ("n02512053",)
    assert spec.selection.wnids == ("n11978233",)
    assert spec.selection.exclude_sets == ("imagenet-a",)
    assert spec.selection.exclude_subtrees == ("n01440764",)
    assert spec.selection.exclude_wnids == ("n02084071",)
    assert spec.selection.statuses == ("accepted",) and not spec.selection.official_only
    assert (spec.selection.min_images, spec.selection.max_images) == (100, 1300)
    assert spec.splits == SplitConfig((("test", 0.1), ("val", 50)), "keep", 6)
    assert spec.filters.person and spec.filters.blur_faces
    assert spec.filters.unsafe == ("n10000000", "n10000001")
    assert spec.source == str(spec_file)
    resolved = spec.to_dict()
    assert resolved["splits"]["held_out"] == {"test": 0.1, "val": 50}
    assert str(tmp_path) not in repr(resolved)  # no paths in what the manifest stores


def test_defaults_and_label_choices() -> None:
    spec = parse_spec('[selection]\nwnids = ["n02084071"]\n')
    assert spec == ReleaseSpec(spec.selection, source="<spec>")
    assert spec.selection.min_images == 1 and spec.selection.max_images is None
    assert spec.splits.held_out == () and spec.splits.official == "keep"
    official = parse_spec('[selection]\nwnids = ["n02084071"]\nlabels = "official"\n')
    assert official.selection.official_only
    assert "rejected" not in official.selection.statuses
    listed = parse_spec('[selection]\nsets = ["person"]\nlabels = ["undecided", "accepted"]\n')
    assert listed.selection.statuses == ("accepted", "undecided")


BAD = [
    ("seed = -1\n", "seed"),
    ('seed = "x"\n', "seed"),
    ("seed = true\n", "seed"),
    ('colour = "red"\n', "colour"),
    ('parent = ""\n', "parent"),
    ("[selection]\n", "selection"),
    ('[selection]\nsets = ["imagenet-9k"]\n', "selection.sets[0]"),
    ('[selection]\nwnids = "n02084071"\n', "selection.wnids"),
    ('[selection]\nwnids = ["n0208/4071"]\n', "selection.wnids[0]"),
    ('[selection]\nwnids = ["n02084071"]\nlabels = "all"\n', "selection.labels"),
    ('[selection]\nwnids = ["n02084071"]\nlabels = ["verified"]\n', "selection.labels"),
    ('[selection]\nwnids = ["n02084071"]\nmin_images = 0\n', "selection.min_images"),
    ('[selection]\nwnids = ["n02084071"]\nmin_images = 5\nmax_images = 4\n', "max_images"),
    ('[selection]\nwnids = ["n02084071"]\nexclude = ["n02084071"]\n', "selection.exclude"),
    ('[selection]\nwnids = ["n02084071"]\n[selection.exclude]\nroots = []\n', "exclude.roots"),
    ("[splits]\nval = -5\n", "splits.val"),
    ("[splits]\nval = 1.5\n", "splits.val"),
    ('[splits]\nval = "50"\n', "splits.val"),
    ("[splits]\ntrain = 100\n", "splits.train"),
    ("[splits]\nVal = 5\n", "splits.Val"),
    ("[splits]\nval = 0.6\ntest = 0.4\n", "splits"),
    ('[splits]\nofficial = "merge"\n', "splits.official"),
    ("[splits]\nnear_duplicate_radius = 21\n", "splits.near_duplicate_radius"),
    ('[filters]\nperson = "yes"\n', "filters.person"),
    ("[filters]\nblur_faces = 1\n", "filters.blur_faces"),
    ("[filters]\nunsafe = 3\n", "filters.unsafe"),
    ("[filters]\nfaces = true\n", "filters.faces"),
    ("filters = 3\n", "filters"),
]


@pytest.mark.parametrize(("text", "key"), BAD)
def test_a_bad_value_names_the_file_and_the_key(tmp_path: Path, text: str, key: str) -> None:
    if not text.startswith("[selection]"):
        text = text + '\n[selection]\nwnids = ["n02084071"]\n'
    spec_file = tmp_path / "bad.toml"
    spec_file.write_text(text)
    with pytest.raises(ReleaseError) as caught:
        load_spec(spec_file)
    assert caught.value.code == "E_SPEC"
    assert str(spec_file) in str(caught.value) and key in str(caught.value)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ReleaseError, match="cannot read spec") as caught:
        load_spec(tmp_path / "missing.toml")
    assert caught.value.code == "E_SPEC"
    (tmp_path / "broken.toml").write_text("[selection\nwnids = [")
    with pytest.raises(ReleaseError, match="not valid TOML") as caught:
        load_spec(tmp_path / "broken.toml")
    assert caught.value.code == "E_SPEC"
    (tmp_path / "latin1.toml").write_bytes(b'description = "caf\xe9"\n')
    with pytest.raises(ReleaseError) as caught:
        load_spec(tmp_path / "latin1.toml")
    assert caught.value.code == "E_SPEC"


def test_unsafe_lists_resolve_relative_to_the_spec(tmp_path: Path) -> None:
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "a.txt").write_text("n10000001\nn10000000\n")
    (tmp_path / "b.txt").write_text("n10000000\n")
    spec_file = tmp_path / "spec.toml"
    spec_file.write_text(
        '[selection]\nsets = ["person"]\n[filters]\nunsafe = ["lists/a.txt", "b.txt"]\n'
    )
    assert load_spec(spec_file).filters.unsafe == ("n10000000", "n10000001")
    spec_file.write_text('[selection]\nsets = ["person"]\n[filters]\nunsafe = "nowhere.txt"\n')
    with pytest.raises(ReleaseError, match=r"nowhere\.txt") as caught:
        load_spec(spec_file)
    assert caught.value.code == "E_SPEC"


def test_synset_lists_skip_comments_and_name_the_bad_line(tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("# header\n\n  n10000000   # trailing comment\nn10000001\nn10000000\n")
    assert load_synset_list(good) == ("n10000000", "n10000001")
    bad = tmp_path / "bad.txt"
    bad.write_text("n10000000\n# fine\nn10000001 n10000002\n")
    with pytest.raises(ReleaseError) as caught:
        load_synset_list(bad)
    assert caught.value.code == "E_SPEC" and f"{bad}:3:" in str(caught.value)
    bad.write_text("dog\n")
    with pytest.raises(ReleaseError, match=":1:"):
        load_synset_list(bad)
