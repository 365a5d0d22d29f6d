"""The committed demo bundle: its listing, images, synsets and licences agree with each other."""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

import synsetdb
from synsetdb.hierarchy import DENG2009_SUBTREES, Taxonomy

BUNDLE = Path(synsetdb.__file__).parent / "demo" / "bundle"
COLUMNS = ["path", "wnid", "label", "source", "title", "author", "licence", "origin", "sha256"]
MAX_BYTES = 5 * 1024 * 1024


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with (BUNDLE / "items.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def test_every_field_is_filled(rows: list[dict[str, str]]) -> None:
    assert rows
    empty = [(row["path"], column) for row in rows for column in COLUMNS if not row[column]]
    assert empty == []


def test_listing_matches_the_files_exactly(rows: list[dict[str, str]]) -> None:
    listed = [row["path"] for row in rows]
    on_disk = sorted(
        path.relative_to(BUNDLE).as_posix()
        for path in (BUNDLE / "images").rglob("*")
        if path.is_file()
    )
    assert len(listed) == len(set(listed)), "a path listed twice"
    assert sorted(listed) == on_disk


def test_sha256s_are_right_and_no_two_images_share_bytes(rows: list[dict[str, str]]) -> None:
    wrong = [
        row["path"]
        for row in rows
        if hashlib.sha256((BUNDLE / row["path"]).read_bytes()).hexdigest() != row["sha256"]
    ]
    assert wrong == []
    repeated = [digest for digest, n in Counter(row["sha256"] for row in rows).items() if n > 1]
    assert repeated == []


def test_each_image_sits_in_its_synsets_folder_named_after_its_source(
    rows: list[dict[str, str]],
) -> None:
    misplaced = [
        row["path"]
        for row in rows
        if not row["path"].startswith(f"images/{row['wnid']}/{row['source']}-")
        or not row["path"].endswith(".jpg")
    ]
    assert misplaced == []


def test_every_image_is_an_rgb_jpeg_of_the_documented_size(rows: list[dict[str, str]]) -> None:
    for row in rows:
        with Image.open(BUNDLE / row["path"]) as image:
            assert (image.format, image.mode) == ("JPEG", "RGB"), row["path"]
            image.load()  # decodes the whole image, not only its header
            if row["title"].startswith("U+"):  # an emoji on its white canvas
                assert image.size == (192, 192), row["path"]
            else:  # a photograph: the shorter side is 256 px
                assert min(image.size) == 256, row["path"]


def test_every_wnid_is_a_wordnet_noun_labelled_with_its_lemma(
    rows: list[dict[str, str]], wordnet: Taxonomy
) -> None:
    for row in rows:
        assert row["wnid"] in wordnet, row["path"]
        assert row["label"] == wordnet.get(row["wnid"]).lemmas[0], row["path"]


def test_synsets_span_the_2009_subtrees_with_enough_images_each(
    rows: list[dict[str, str]], wordnet: Taxonomy
) -> None:
    counts = Counter(row["wnid"] for row in rows)
    assert len(counts) >= 12
    assert min(counts.values()) >= 5, counts.most_common()[-1]
    subtrees = {
        name
        for wnid in counts
        for name, root in DENG2009_SUBTREES.items()
        if wordnet.is_a(wnid, root)
    }
    assert len(subtrees) >= 4, subtrees
    in_a_subtree = [
        wnid for wnid in counts if any(wordnet.is_a(wnid, r) for r in DENG2009_SUBTREES.values())
    ]
    assert len(in_a_subtree) >= 12


def test_no_synset_is_an_ancestor_of_another(rows: list[dict[str, str]], wordnet: Taxonomy) -> None:
    """Each image shows exactly one class: a poodle class beside a dog class would blur that."""
    wnids = sorted({row["wnid"] for row in rows})
    nested = [(a, b) for a in wnids for b in wnids if a != b and wordnet.is_a(a, b)]
    assert nested == []


def test_every_source_has_a_licence_file_naming_its_licences(
    rows: list[dict[str, str]],
) -> None:
    licence_files = {path.stem for path in (BUNDLE / "LICENSES").glob("*.txt")}
    sources = {row["source"] for row in rows}
    assert sources <= licence_files, sources - licence_files
    for source in sources:
        text = (BUNDLE / "LICENSES" / f"{source}.txt").read_text(encoding="utf-8")
        for licence in {row["licence"] for row in rows if row["source"] == source}:
            assert licence in text, (source, licence)
        assert len(text) > 1000, f"{source}: the full licence text is missing"


def test_readme_lists_every_synset(rows: list[dict[str, str]]) -> None:
    readme = (BUNDLE / "README.md").read_text(encoding="utf-8")
    assert [wnid for wnid in {row["wnid"] for row in rows} if wnid not in readme] == []


def test_the_bundle_stays_small() -> None:
    total = sum(path.stat().st_size for path in BUNDLE.rglob("*") if path.is_file())
    assert total < MAX_BYTES, f"{total} bytes"
