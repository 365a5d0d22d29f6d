"""An empty release says why nothing matched and what to do (E_EMPTY_RELEASE), in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from synsetdb.catalog import Catalog, Project
from synsetdb.cli import cli
from synsetdb.errors import ReleaseError
from synsetdb.hierarchy import Taxonomy
from synsetdb.release import build_manifest, parse_spec
from tests.fixtures.photos import jpeg_variants
from tests.release.catalog_rows import Row, add_rows, ingest_photos, random_hashes

DOG, CAT, LEMON, MAMMAL = "n02084071", "n02121620", "n07749582", "n01861778"
TENCH, GOLDFISH = "n01440764", "n01443537"


def _why(catalog: Catalog, taxonomy: Taxonomy, spec_text: str) -> str:
    with pytest.raises(ReleaseError) as caught:
        build_manifest(catalog, taxonomy, parse_spec(spec_text, source="s.toml"))
    assert caught.value.code == "E_EMPTY_RELEASE"
    message = str(caught.value)
    assert message.startswith("s.toml: ") and "\n" not in message
    return message


def _rows(catalog: Catalog, counts: dict[str, int], status: str, start: int = 0) -> None:
    hashes = iter(random_hashes(sum(counts.values()), seed=start + 1))
    add_rows(
        catalog,
        [
            Row(f"{w}-{status}-{i}", w, next(hashes), status=status)
            for w, n in counts.items()
            for i in range(n)
        ],
    )


def test_unverified_candidates_are_named_with_what_to_do(
    catalog: Catalog, sample_taxonomy: Taxonomy
) -> None:
    _rows(catalog, {DOG: 20, CAT: 20, LEMON: 18}, "candidate")
    message = _why(
        catalog, sample_taxonomy, f'[selection]\nwnids = ["{DOG}", "{CAT}", "{LEMON}"]\n'
    )
    assert (
        "the 58 images of these 3 synsets are unverified candidates (status 'candidate'); "
        "a release takes accepted images by default"
    ) in message
    assert "synsetdb label accept --synset WNID" in message
    assert "synsetdb label trust test-rows:candidate" in message
    assert '[selection] labels = ["accepted", "candidate"]' in message


def test_rejected_and_mixed_statuses(catalog: Catalog, sample_taxonomy: Taxonomy) -> None:
    _rows(catalog, {DOG: 3}, "rejected")
    message = _why(catalog, sample_taxonomy, f'[selection]\nwnids = ["{DOG}"]\n')
    assert "the 3 images of this synset are rejected (status 'rejected')" in message
    _rows(catalog, {CAT: 4}, "undecided", start=5)
    _rows(catalog, {CAT: 6}, "candidate", start=9)
    message = _why(
        catalog,
        sample_taxonomy,
        f'[selection]\nwnids = ["{DOG}", "{CAT}"]\nlabels = ["accepted"]\n',
    )
    assert (
        "the 13 images of these 2 synsets are 6 unverified candidates (status 'candidate'), "
        "4 undecided (status 'undecided') and 3 rejected (status 'rejected')"
    ) in message
    assert '[selection] labels = ["accepted", "candidate", "undecided"]' in message


def test_a_subtree_without_images_and_classes_below_the_minimum(
    catalog: Catalog, sample_taxonomy: Taxonomy
) -> None:
    message = _why(catalog, sample_taxonomy, f'[selection]\nsubtrees = ["{MAMMAL}"]\n')
    selected = len(sample_taxonomy.descendants(MAMMAL, include_self=True))
    assert f"the catalog holds no images of the {selected} selected synsets" in message
    assert "ingest some first" in message
    _rows(catalog, {DOG: 5, CAT: 3}, "accepted")
    message = _why(
        catalog, sample_taxonomy, f'[selection]\nsubtrees = ["{MAMMAL}"]\nmin_images = 10\n'
    )
    assert "2 classes have images, the largest 5 (n02084071): under min_images = 10" in message
    message = _why(catalog, sample_taxonomy, f'[selection]\nwnids = ["{CAT}"]\nmin_images = 4\n')
    assert "1 class has images, the largest 3 (n02121620): under min_images = 4" in message
    excluded = f'[selection]\nwnids = ["{CAT}"]\n[selection.exclude]\nwnids = ["{CAT}"]\n'
    assert "the selection, less its exclusions, names no synset" in _why(
        catalog, sample_taxonomy, excluded
    )


def test_official_only_without_official_splits(catalog: Catalog, sample_taxonomy: Taxonomy) -> None:
    _rows(catalog, {LEMON: 4}, "accepted")
    message = _why(
        catalog, sample_taxonomy, f'[selection]\nwnids = ["{LEMON}"]\nlabels = "official"\n'
    )
    assert "none of the 4 images of this synset came with an official split" in message


def test_the_first_release_of_a_folder_says_what_to_do(
    wordnet_project: Path, tmp_path: Path
) -> None:
    project = Project.open(wordnet_project)
    photos = jpeg_variants(9)
    folder = tmp_path / "photos"
    ingest_photos(project, folder, {TENCH: photos[:5], GOLDFISH: photos[5:]}, status="candidate")
    project.close()
    spec = tmp_path / "v1.toml"
    spec.write_text(f'[selection]\nwnids = ["{TENCH}", "{GOLDFISH}"]\n[splits]\nval = 1\n')
    result = CliRunner().invoke(
        cli, ["--project", str(wordnet_project), "release", "create", "v1", "--spec", str(spec)]
    )
    assert result.exit_code == 1
    err = result.stderr
    assert err.startswith("error [E_EMPTY_RELEASE]") and len(err.strip().splitlines()) == 1
    assert "the 9 images of these 2 synsets are unverified candidates" in err
    assert f"synsetdb label trust folder:{folder}" in err
