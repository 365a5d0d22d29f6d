"""The Catalog API, run on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from synsetdb.catalog import Catalog, ImageRecord, schema
from synsetdb.errors import CatalogError, UnknownSynsetError
from synsetdb.hierarchy import Synset, Taxonomy

DOG, CAT, MAMMAL, BIRD, ENTITY = "n02084071", "n02121620", "n01861778", "n01503061", "n00001740"


def _image(name: str) -> ImageRecord:
    digest = hashlib.sha256(name.encode()).hexdigest()
    return ImageRecord(digest, 64, 48, "JPEG", 1234, digest, phash=-(2**63), source=name)


def _count(catalog: Catalog, table: object) -> int:
    with catalog.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_taxonomy_load_writes_synsets_edges_and_closure(
    catalog: Catalog, sample_taxonomy: Taxonomy
) -> None:
    assert _count(catalog, schema.synset) == len(sample_taxonomy)
    assert _count(catalog, schema.synset_parent) == sum(1 for _ in sample_taxonomy.edges())
    assert _count(catalog, schema.synset_closure) == sum(
        len(sample_taxonomy.ancestors(w, include_self=True)) for w in sample_taxonomy
    )
    assert catalog.taxonomy_name() == sample_taxonomy.name


def test_loading_the_same_taxonomy_again_changes_nothing(
    catalog: Catalog, sample_taxonomy: Taxonomy
) -> None:
    dog_id = catalog.synset_id(DOG)
    result = catalog.load_taxonomy(sample_taxonomy)
    assert result.unchanged and result.synsets_added == 0
    assert catalog.synset_id(DOG) == dog_id


def test_extending_the_taxonomy_keeps_ids_and_labels(
    catalog: Catalog, sample_taxonomy: Taxonomy
) -> None:
    image = _image("puppy")
    catalog.add_image(image)
    catalog.add_candidate(image.id, DOG)
    dog_id = catalog.synset_id(DOG)
    custom = Synset(sample_taxonomy.next_custom_id(), ("robot_dog",), "a dog-shaped robot", (DOG,))
    result = catalog.load_taxonomy(sample_taxonomy.extended([custom]))
    assert not result.unchanged and result.synsets_added == 1
    assert catalog.synset_id(DOG) == dog_id
    assert catalog.images_under(DOG) == [image.id]
    robot = _image("robot")
    catalog.add_image(robot)
    catalog.add_candidate(robot.id, custom.wnid)
    assert catalog.images_under(DOG) == sorted([image.id, robot.id])


def test_images_under_a_synset_follow_the_hierarchy(catalog: Catalog) -> None:
    dog, cat, bird = _image("dog"), _image("cat"), _image("bird")
    for record, wnid in ((dog, DOG), (cat, CAT), (bird, BIRD)):
        assert catalog.add_image(record)
        catalog.add_candidate(record.id, wnid)
    assert catalog.images_under(MAMMAL) == sorted([dog.id, cat.id])
    assert catalog.images_under(ENTITY) == sorted([dog.id, cat.id, bird.id])
    assert catalog.images_under(DOG) == [dog.id]
    assert catalog.image_counts([MAMMAL, BIRD, ENTITY, DOG]) == {
        MAMMAL: 2,
        BIRD: 1,
        ENTITY: 3,
        DOG: 1,
    }


def test_one_image_in_two_synsets_is_counted_once(catalog: Catalog) -> None:
    both = _image("dog and cat")
    catalog.add_image(both)
    catalog.add_candidate(both.id, DOG)
    catalog.add_candidate(both.id, CAT)
    assert catalog.image_counts([MAMMAL]) == {MAMMAL: 1}


def test_rejected_candidates_are_not_images_of_the_synset(catalog: Catalog) -> None:
    wrong = _image("not a dog")
    catalog.add_image(wrong)
    catalog.add_candidate(wrong.id, DOG, status="rejected")
    assert catalog.images_under(DOG) == []
    assert catalog.images_under(DOG, statuses=("rejected",)) == [wrong.id]


def test_duplicate_image_and_candidate_collapse(catalog: Catalog) -> None:
    image = _image("same bytes")
    assert catalog.add_image(image) is True
    assert catalog.add_image(image) is False
    first = catalog.add_candidate(image.id, DOG)
    assert catalog.add_candidate(image.id, DOG) == first
    assert _count(catalog, schema.image) == 1
    assert _count(catalog, schema.candidate) == 1


def test_stats_count_everything(catalog: Catalog, sample_taxonomy: Taxonomy) -> None:
    a, b = _image("a"), _image("b")
    for record in (a, b):
        catalog.add_image(record)
    catalog.add_candidate(a.id, DOG, status="accepted")
    catalog.add_candidate(b.id, CAT)
    stats = catalog.stats()
    assert stats.synsets == len(sample_taxonomy)
    assert stats.images == 2 and stats.image_bytes == 2468
    assert stats.synsets_with_images == 2
    assert stats.candidates == {"candidate": 1, "accepted": 1, "rejected": 0, "undecided": 0}
    assert stats.schema_revision == "0001"
    assert stats.to_dict()["taxonomy"] == sample_taxonomy.name


def test_bad_input_is_refused_with_a_code_and_keeps_what_was_stored(catalog: Catalog) -> None:
    kept = _image("kept")
    catalog.add_image(kept)
    catalog.add_candidate(kept.id, DOG)
    with pytest.raises(UnknownSynsetError) as unknown:
        catalog.add_candidate(kept.id, "n99999999")
    assert unknown.value.code == "E_UNKNOWN_SYNSET"
    with pytest.raises(CatalogError) as status:
        catalog.add_candidate(kept.id, CAT, status="maybe")
    assert status.value.code == "E_STATUS"
    with pytest.raises(CatalogError) as missing:
        catalog.add_candidate("f" * 64, CAT)  # no such image: foreign key
    assert missing.value.code == "E_INTEGRITY"
    with pytest.raises(CatalogError) as bad_size:
        catalog.add_image(ImageRecord("e" * 64, 0, 10, "PNG", 10, "e" * 64))
    assert bad_size.value.code == "E_INTEGRITY"
    assert catalog.images_under(DOG) == [kept.id]
    assert _count(catalog, schema.image) == 1
    assert _count(catalog, schema.candidate) == 1


def test_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(CatalogError) as info:
        Catalog.open("postgresql://nobody@127.0.0.1:1/none", create=True)
    assert info.value.code == "E_CATALOG_CONNECT"


def test_malformed_url_is_a_clear_error() -> None:
    with pytest.raises(CatalogError) as info:
        Catalog.open("not a url", create=True)
    assert info.value.code == "E_CATALOG_URL"


def test_images_under_is_one_indexed_join_on_sqlite(tmp_path, sample_taxonomy: Taxonomy) -> None:
    catalog = Catalog.open(f"sqlite:///{tmp_path / 'c.sqlite'}", create=True)
    catalog.load_taxonomy(sample_taxonomy)
    with catalog.engine.connect() as conn:
        query = (
            select(schema.candidate.c.image_id)
            .join_from(
                schema.synset_closure,
                schema.candidate,
                schema.candidate.c.synset_id == schema.synset_closure.c.descendant_id,
            )
            .where(schema.synset_closure.c.ancestor_id == 1)
        )
        sql = str(query.compile(conn, compile_kwargs={"literal_binds": True}))
        plan = " | ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    catalog.close()
    assert "SCAN" not in plan.replace("SCAN CONSTANT", ""), plan
    assert "synset_closure USING PRIMARY KEY" in plan, plan
    assert "ix_candidate_synset_id_status" in plan, plan


@pytest.mark.slow
def test_full_wordnet_loads_on_both_backends(catalog_url: str, wordnet: Taxonomy) -> None:
    catalog = Catalog.open(catalog_url, create=True)
    result = catalog.load_taxonomy(wordnet)
    assert result.synsets_total == 82_115
    assert _count(catalog, schema.synset) == 82_115
    assert result.closure_rows == _count(catalog, schema.synset_closure)
    assert result.closure_rows == sum(1 for _ in wordnet.closure_pairs())
    image = _image("a dog in full WordNet")
    catalog.add_image(image)
    catalog.add_candidate(image.id, DOG)
    assert catalog.images_under(ENTITY) == [image.id]
    assert catalog.images_under("n01317541") == [image.id]  # domestic animal: the second parent
    catalog.close()
