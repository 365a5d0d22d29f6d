"""Building manifests from a real catalog (SQLite, PostgreSQL): selection, counts, names, hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from synsetdb.catalog import Catalog, migrate
from synsetdb.errors import ReleaseError
from synsetdb.hierarchy import Taxonomy
from synsetdb.release import build_manifest, parse_spec
from synsetdb.release.builder import item_names
from tests.release.catalog_rows import Row, add_rows, image_id, random_hashes

DOG, CAT, CARNIVORE, MAMMAL = "n02084071", "n02121620", "n02075296", "n01861778"
LEMON, SUNFLOWER, VIOLIN = "n07749582", "n11978233", "n04536866"

SPEC = f"""
seed = 5
[selection]
wnids = ["{DOG}", "{CAT}", "{LEMON}"]
[splits]
val = 4
"""


def _rows() -> list[Row]:
    hashes = iter(random_hashes(200, seed=1))
    rows = []
    for wnid, n in ((DOG, 20), (CAT, 15), (LEMON, 12)):
        for i in range(n):
            rows.append(Row(f"{wnid}-{i}", wnid, next(hashes), file_name=f"{wnid}_{i}.JPEG"))
    rows[0] = Row(f"{DOG}-0", DOG, rows[0].phash, boxes=((1, 2, 30, 40), (0, 0, 5, 5)))
    rows.append(Row("shared", CAT, 42, file_name="photo.jpg"))
    rows.append(Row("shared", DOG, 42, file_name="photo.jpg"))  # one picture, two classes
    rows.append(Row("other-photo", LEMON, next(hashes), file_name="dir/photo.jpg"))
    rows.append(Row("near-0", DOG, 42 ^ 0b11))  # a near duplicate of "shared"
    rows.append(Row("undecided", DOG, next(hashes), status="undecided"))
    rows.append(Row("rejected", CAT, next(hashes), status="rejected"))
    rows.append(Row("violin", VIOLIN, next(hashes)))  # not selected
    return rows


def test_a_build_is_reproducible_and_well_formed(
    catalog: Catalog, sample_taxonomy: Taxonomy
) -> None:
    add_rows(catalog, _rows())
    spec = parse_spec(SPEC)
    built = build_manifest(catalog, sample_taxonomy, spec)
    again = build_manifest(catalog, sample_taxonomy, spec)
    manifest = built.manifest
    assert manifest.to_bytes() == again.manifest.to_bytes()
    assert manifest.sha256 == again.manifest.sha256
    # classes in sorted wnid order, named by their first lemma
    assert [(c.index, c.wnid, c.name) for c in manifest.classes] == [
        (0, DOG, "dog"),
        (1, CAT, "cat"),
        (2, LEMON, "lemon"),
    ]
    # the induced hierarchy: every class and all its ancestors, mapped to their parents
    for wnid in manifest.wnids:
        for ancestor in sample_taxonomy.ancestors(wnid, include_self=True):
            assert manifest.hierarchy[ancestor] == tuple(sorted(sample_taxonomy.parents(ancestor)))
    assert VIOLIN not in manifest.hierarchy
    # items: accepted only, sorted by (split, wnid, name); 20 + 1 + 1 dogs, 15 + 1 cats, 13 lemons
    items = manifest.items
    assert list(items) == sorted(items, key=lambda it: (it.split, it.wnid, it.name))
    per_class = {w: sum(it.wnid == w for it in items) for w in manifest.wnids}
    assert per_class == {DOG: 22, CAT: 16, LEMON: 13}
    assert not any(it.image in (image_id("undecided"), image_id("rejected")) for it in items)
    # val = 4 per class, train the rest; the shared picture sits in one split under both classes
    assert sum(it.split == "val" for it in items) == 12
    shared = [it for it in items if it.image == image_id("shared")]
    near = next(it for it in items if it.image == image_id("near-0"))
    assert {it.wnid for it in shared} == {DOG, CAT}
    assert len({it.split for it in shared} | {near.split}) == 1
    # names: file stems, made unique; a fallback when the catalog has none
    names = {it.image + it.wnid: it.name for it in items}
    assert names[image_id(f"{DOG}-5") + DOG] == f"{DOG}_5"
    assert names[image_id(f"{DOG}-0") + DOG] == f"{DOG}_{image_id(f'{DOG}-0')[:12]}"
    assert names[image_id("near-0") + DOG] == f"{DOG}_{image_id('near-0')[:12]}"
    photos = sorted(it.name for it in items if it.name.startswith("photo"))
    assert len(photos) == 3 and photos[0] == "photo"
    # boxes of the image and class, sorted; blobs and formats from the image rows
    first = next(it for it in items if it.image == image_id(f"{DOG}-0"))
    assert first.boxes == ((0.0, 0.0, 5.0, 5.0), (1.0, 2.0, 30.0, 40.0))
    assert first.blob == image_id(f"{DOG}-0") and first.format == "JPEG"
    # what the build reports and records
    assert built.report["splits"]["duplicate_groups"] == 1
    assert built.report["splits"]["grouped_items"] == 3
    assert built.report["candidates_read"] == 20 + 15 + 12 + 2 + 1 + 1
    assert built.sources == {"test-rows": 50} and built.licences == {"unknown": 50}
    # counts and versions only: no times, no paths
    assert manifest.catalog_state == {
        "taxonomy": sample_taxonomy.name,
        "taxonomy_fingerprint": sample_taxonomy.fingerprint,
        "schema_revision": migrate.head_revision(),
        "images": 53,
        "candidates": {"candidate": 0, "accepted": 52, "rejected": 1, "undecided": 1},
        "boxes": 2,
    }
    assert manifest.spec["seed"] == 5 and manifest.parent is None


@pytest.mark.postgres
def test_the_hash_is_the_same_on_sqlite_and_postgresql(
    tmp_path: Path, postgres_url: str, sample_taxonomy: Taxonomy
) -> None:
    hashes = []
    for url in (f"sqlite:///{tmp_path / 'c.sqlite'}", postgres_url):
        with Catalog.open(url, create=True) as catalog:
            catalog.load_taxonomy(sample_taxonomy)
            add_rows(catalog, reversed(_rows()) if "postgres" in url else _rows())
            hashes.append(
                build_manifest(catalog, sample_taxonomy, parse_spec(SPEC)).manifest.sha256
            )
    assert hashes[0] == hashes[1]


def test_subtrees_exclusions_and_statuses(catalog: Catalog, sample_taxonomy: Taxonomy) -> None:
    add_rows(catalog, _rows())
    add_rows(catalog, [Row(f"carnivore-{i}", CARNIVORE, 1000 + i * 7919) for i in range(3)])
    spec = parse_spec(
        f'[selection]\nsubtrees = ["{MAMMAL}"]\nlabels = ["accepted", "undecided"]\n'
        f'[selection.exclude]\nwnids = ["{CAT}"]\n'
    )
    manifest = build_manifest(catalog, sample_taxonomy, spec).manifest
    # only descendants that have images become classes; the excluded cat is gone
    assert manifest.wnids == [CARNIVORE, DOG]
    assert any(it.image == image_id("undecided") for it in manifest.items)
    assert {it.split for it in manifest.items} == {"train"}


def test_min_and_max_images(catalog: Catalog, sample_taxonomy: Taxonomy) -> None:
    add_rows(catalog, _rows())
    body = (
        f'[selection]\nwnids = ["{DOG}", "{CAT}", "{LEMON}", "{SUNFLOWER}"]\n'
        "min_images = 14\nmax_images = 15\n"
    )
    built = build_manifest(catalog, sample_taxonomy, parse_spec(f"seed = 1\n{body}"))
    assert built.manifest.wnids == [DOG, CAT]
    # the named but empty sunflower and the small lemon class are reported as dropped
    assert built.report["dropped_below_min"] == {LEMON: 13, SUNFLOWER: 0}
    assert built.report["capped"]["by_class"] == {DOG: 7, CAT: 1}
    assert sum(it.wnid == DOG for it in built.manifest.items) == 15
    other = build_manifest(catalog, sample_taxonomy, parse_spec(f"seed = 2\n{body}"))
    chosen = {it.image for it in built.manifest.items if it.wnid == DOG}
    assert chosen != {it.image for it in other.manifest.items if it.wnid == DOG}


def test_official_labels_keep_their_splits(catalog: Catalog, sample_taxonomy: Taxonomy) -> None:
    hashes = iter(random_hashes(60, seed=9))
    rows = [Row(f"t{i}", LEMON, next(hashes), split="train", status="candidate") for i in range(20)]
    rows += [Row(f"v{i}", LEMON, next(hashes), split="val", status="candidate") for i in range(5)]
    rows += [Row(f"c{i}", LEMON, next(hashes)) for i in range(10)]  # accepted, no split
    add_rows(catalog, rows)
    official = parse_spec(f'[selection]\nwnids = ["{LEMON}"]\nlabels = "official"\n')
    manifest = build_manifest(catalog, sample_taxonomy, official).manifest
    assert len(manifest.items) == 25
    assert sum(it.split == "val" for it in manifest.items) == 5
    capped = parse_spec(f'[selection]\nwnids = ["{LEMON}"]\nlabels = "official"\nmax_images = 8\n')
    manifest = build_manifest(catalog, sample_taxonomy, capped).manifest
    # the cap keeps images with an official held-out split first
    assert sum(it.split == "val" for it in manifest.items) == 5 and len(manifest.items) == 8


def test_unknown_wnids_and_empty_releases(catalog: Catalog, sample_taxonomy: Taxonomy) -> None:
    spec = parse_spec('[selection]\nwnids = ["n02084072"]\n', source="mine.toml")
    with pytest.raises(ReleaseError) as caught:
        build_manifest(catalog, sample_taxonomy, spec)
    message = str(caught.value)
    assert caught.value.code == "E_SPEC"
    assert "mine.toml" in message and "selection.wnids[0]" in message and DOG in message
    spec = parse_spec('[selection]\nsets = ["ilsvrc2012"]\n', source="mine.toml")
    with pytest.raises(ReleaseError, match=r"selection\.sets\[0\]") as caught:
        build_manifest(catalog, sample_taxonomy, spec)
    assert caught.value.code == "E_SPEC"
    with pytest.raises(ReleaseError) as caught:
        build_manifest(catalog, sample_taxonomy, parse_spec(SPEC))
    assert caught.value.code == "E_EMPTY_RELEASE"


def test_item_names_are_unique_and_order_free() -> None:
    sha = [f"{i:02d}" * 32 for i in range(6)]
    items = [
        ("n1", sha[0], "a/b/img.JPEG"),
        ("n2", sha[1], "img.png"),
        ("n1", sha[2], "IMG.jpeg"),
        ("n1", sha[3], None),
        ("n1", sha[4], "../.."),
        ("n2", sha[5], "bad\nname.jpg"),
        ("n3", sha[1], "img.png"),
        ("n3", sha[0], "dir\\.hidden.JPEG"),
    ]
    names = item_names(items)
    assert len(set(names)) == len(names)
    assert names[0] == "img" and names[2] == "IMG"
    assert names[1] == f"img_{sha[1][:12]}"
    assert names[6] == f"img_n3_{sha[1][:12]}"  # same stem, same image, another class
    assert names[3] == f"n1_{sha[3][:12]}" and names[4] == f"n1_{sha[4][:12]}"
    assert names[5] == f"n2_{sha[5][:12]}"
    assert names[7] == "hidden"  # no leading dot: an export's folder would hide it
    assert item_names(items[::-1]) == names[::-1]
