"""The Catalog API, run on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from synsetdb.catalog import Catalog, ImageRecord, IngestEntry, RenditionRecord, migrate, schema
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
    assert stats.schema_revision == migrate.head_revision()
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
    assert bad_size.value.code == "E_BAD_RECORD"
    with pytest.raises(CatalogError) as bad_id:
        ImageRecord("not a sha256", 10, 10, "PNG", 10, "e" * 64)
    assert bad_id.value.code == "E_BAD_RECORD"
    assert ImageRecord("e" * 64, 1, 1, "PNG", 1, "e" * 64, phash=2**64 - 1).phash == -1
    assert catalog.images_under(DOG) == [kept.id]
    assert _count(catalog, schema.image) == 1
    assert _count(catalog, schema.candidate) == 1


def _renditions(catalog: Catalog) -> set[tuple[str, str, str, int, int]]:
    r = schema.rendition.c
    with catalog.engine.connect() as conn:
        rows = conn.execute(select(r.image_id, r.kind, r.blob_key, r.width, r.height))
        return {(image_id, kind, key, width, height) for image_id, kind, key, width, height in rows}


def test_renditions_are_stored_with_their_image_and_never_replaced(catalog: Catalog) -> None:
    copy, small = _image("copy").id, _image("small").id  # blob keys: any sha256
    image = replace(
        _image("photo"),
        renditions=(
            RenditionRecord("resized-256", copy, 341, 256),
            RenditionRecord("resized-128", small, 171, 128),
        ),
    )
    assert catalog.record_ingest([IngestEntry("a", "photo.jpg", image=image)]).added == 1
    stored = {(image.id, "resized-256", copy, 341, 256), (image.id, "resized-128", small, 171, 128)}
    assert _renditions(catalog) == stored
    # The same image again, from another source, with another resized-256 and a new kind.
    other = _image("other").id
    again = replace(
        image,
        renditions=(
            RenditionRecord("resized-256", other, 341, 256),
            RenditionRecord("resized-64", other, 85, 64),
        ),
    )
    assert catalog.record_ingest([IngestEntry("b", "copy.jpg", image=again)]).duplicate == 1
    assert _renditions(catalog) == stored | {(image.id, "resized-64", other, 85, 64)}
    assert catalog.add_image(replace(_image("later"), renditions=again.renditions)) is True
    assert len(_renditions(catalog)) == 5


def test_bad_renditions_are_bad_records() -> None:
    key = _image("copy").id
    for bad in (("resized-256", "not a sha256", 1, 1), ("resized-256", key, 0, 1), ("", key, 1, 1)):
        with pytest.raises(CatalogError) as info:
            RenditionRecord(*bad)
        assert info.value.code == "E_BAD_RECORD"
    twice = (RenditionRecord("resized-256", key, 1, 1),) * 2
    with pytest.raises(CatalogError, match="two renditions"):
        replace(_image("photo"), renditions=twice)


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


# ------------------------------------------------------------------ concurrent writers


def _add_the_same_rows(url: str, names: list[str], start_at: float) -> list[int]:
    """One writer process: wait for the others, then add every image and its candidate."""
    import time

    catalog = Catalog.open(url)
    time.sleep(max(0.0, start_at - time.time()))  # all writers start together
    ids = []
    for name in names:
        record = _image(name)
        catalog.add_image(record)
        ids.append(catalog.add_candidate(record.id, DOG))
    catalog.close()
    return ids


def test_concurrent_writers_adding_the_same_rows_all_succeed(catalog: Catalog) -> None:
    """4 processes add the same 50 images and candidates: no error, one row each."""
    import multiprocessing
    import time
    from concurrent.futures import ProcessPoolExecutor

    url = catalog.engine.url.render_as_string(hide_password=False)
    names = [f"shared {i}" for i in range(50)]
    start_at = time.time() + 3.0  # after every worker has started and imported synsetdb
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(_add_the_same_rows, url, names, start_at) for _ in range(4)]
        results = [f.result(timeout=120) for f in futures]  # re-raises any worker's error
    assert all(r == results[0] for r in results)  # every writer got the same candidate ids
    assert len(set(results[0])) == 50
    assert _count(catalog, schema.image) == 50
    assert _count(catalog, schema.candidate) == 50


# ------------------------------------------------------------------ taxonomy changes


def test_changed_text_of_existing_synsets_is_updated(
    catalog: Catalog, sample_taxonomy: Taxonomy
) -> None:
    dog = sample_taxonomy.get(DOG)
    edited = Synset(DOG, ("hound", "dog"), "a loyal friend", dog.hypernyms, lexname="noun.pet")
    others = [s for s in sample_taxonomy.synsets() if s.wnid != DOG]
    result = catalog.load_taxonomy(Taxonomy.from_synsets([*others, edited], name="edited"))
    assert result.synsets_updated == 1 and result.synsets_added == 0
    s = schema.synset.c
    with catalog.engine.connect() as conn:
        row = conn.execute(select(s.name, s.lemmas, s.gloss, s.lexname).where(s.wnid == DOG)).one()
    assert tuple(row) == ("hound", "hound\tdog", "a loyal friend", "noun.pet")
    assert catalog.taxonomy_name() == "edited"


def test_synsets_dropped_from_the_taxonomy_keep_their_row_and_images(
    catalog: Catalog, sample_taxonomy: Taxonomy, caplog: pytest.LogCaptureFixture
) -> None:
    puppy = _image("puppy")
    catalog.add_image(puppy)
    catalog.add_candidate(puppy.id, DOG)
    dog_id = catalog.synset_id(DOG)
    without_dog = sample_taxonomy.restrict([w for w in sample_taxonomy if w != DOG])
    with caplog.at_level("WARNING", logger="synsetdb.catalog"):
        result = catalog.load_taxonomy(without_dog)
    assert result.synsets_detached == 1
    assert "1 synsets in the catalog are not in taxonomy" in caplog.text
    assert catalog.synset_id(DOG) == dog_id
    assert catalog.images_under(DOG) == [puppy.id]  # by its own wnid, through its closure row
    assert catalog.images_under(MAMMAL) == []  # no longer under anything
    assert catalog.image_counts([DOG, MAMMAL]) == {DOG: 1, MAMMAL: 0}
    with catalog.engine.connect() as conn:
        closure = schema.synset_closure.c
        rows = conn.execute(
            select(closure.ancestor_id).where(closure.descendant_id == dog_id)
        ).all()
    assert rows == [(dog_id,)]
    back = catalog.load_taxonomy(sample_taxonomy)  # restoring it puts it back in the hierarchy
    assert back.synsets_detached == 0
    assert catalog.images_under(MAMMAL) == [puppy.id]


def test_the_stored_fingerprint_names_the_loaded_taxonomy(
    catalog: Catalog, sample_taxonomy: Taxonomy
) -> None:
    assert catalog.taxonomy_fingerprint() == sample_taxonomy.fingerprint


# ------------------------------------------------------------------ bad records and URLs


def test_values_the_database_cannot_store_are_bad_records(catalog: Catalog) -> None:
    kept = _image("kept")
    catalog.add_image(kept)
    with pytest.raises(CatalogError) as info:
        catalog.add_candidate(kept.id, DOG, provenance={"query": object()})
    assert info.value.code == "E_BAD_RECORD"
    assert "\n" not in str(info.value)
    assert _count(catalog, schema.candidate) == 0


@pytest.mark.postgres
def test_out_of_range_values_on_postgres_are_one_line_bad_records(postgres_url: str) -> None:
    catalog = Catalog.open(postgres_url, create=True)
    try:
        with pytest.raises(CatalogError) as info:
            catalog.add_image(ImageRecord("d" * 64, 2**40, 10, "PNG", 10, "d" * 64))
        assert info.value.code == "E_BAD_RECORD"
        assert "out of range" in str(info.value) and "\n" not in str(info.value)
        with pytest.raises(CatalogError) as too_long:
            catalog.add_image(ImageRecord("d" * 64, 10, 10, "X" * 40, 10, "d" * 64))
        assert too_long.value.code == "E_BAD_RECORD" and "\n" not in str(too_long.value)
        assert _count(catalog, schema.image) == 0
    finally:
        catalog.close()


def test_foreign_key_errors_are_one_line(catalog: Catalog) -> None:
    with pytest.raises(CatalogError) as info:
        catalog.add_candidate("f" * 64, CAT)
    assert info.value.code == "E_INTEGRITY" and "\n" not in str(info.value)


def test_unknown_driver_names_what_to_install() -> None:
    with pytest.raises(CatalogError) as info:
        Catalog.open("bogus://x", create=True)
    assert info.value.code == "E_CATALOG_DRIVER"
    assert "bogus" in str(info.value) and "synsetdb[postgres]" in str(info.value)


def test_connect_errors_hide_the_password_and_keep_one_line() -> None:
    with pytest.raises(CatalogError) as info:
        Catalog.open("postgresql://nobody:hunter2@127.0.0.1:1/none", create=True)
    message = str(info.value)
    assert info.value.code == "E_CATALOG_CONNECT"
    assert "hunter2" not in message and "nobody:***@127.0.0.1:1" in message
    assert "\n" not in message


def test_display_url_hides_passwords() -> None:
    from synsetdb.catalog.catalog import display_url

    assert display_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert display_url("sqlite:////tmp/c.sqlite") == "sqlite:////tmp/c.sqlite"
    assert display_url("s3://key:secret@bucket/x") == "s3://key:***@bucket/x"
    assert display_url("/a/local/path") == "/a/local/path"


def test_opening_a_missing_sqlite_catalog_does_not_create_it(tmp_path) -> None:
    path = tmp_path / "nowhere" / "catalog.sqlite"
    with pytest.raises(CatalogError) as info:
        Catalog.open(f"sqlite:///{path}")
    assert info.value.code == "E_NO_CATALOG"
    assert str(path) in str(info.value) and "synsetdb init" in str(info.value)
    assert not path.exists() and not path.parent.exists()


def test_has_images(catalog: Catalog) -> None:
    assert catalog.has_images() is False
    catalog.add_image(_image("one"))
    assert catalog.has_images() is True


def test_unknown_wnid_in_the_catalog_suggests_close_ids(catalog: Catalog) -> None:
    for typed in ("n2084071", "02084071", "n02084072", " n0208407"):
        with pytest.raises(UnknownSynsetError) as info:
            catalog.synset_id(typed)
        assert info.value.suggestions[0] == DOG, typed
        assert "n02084071 (dog)" in str(info.value)


# ------------------------------------------------------------------ long IN lists


@pytest.mark.slow
def test_image_counts_for_more_synsets_than_a_statement_can_bind(catalog_url: str) -> None:
    """psycopg binds at most 65,535 parameters a statement; the counts go in chunks."""
    n = 70_001
    root = Synset("c00000000", ("root",))
    leaves = [Synset(f"c{i:08d}", (f"leaf_{i}",), "", ("c00000000",)) for i in range(1, n)]
    flat = Taxonomy.from_synsets([root, *leaves], name="flat")
    catalog = Catalog.open(catalog_url, create=True)
    try:
        catalog.load_taxonomy(flat)
        image = _image("leaf")
        catalog.add_image(image)
        catalog.add_candidate(image.id, "c00070000")
        counts = catalog.image_counts(list(flat))
        assert len(counts) == n
        assert counts["c00000000"] == 1 and counts["c00070000"] == 1
        assert sum(counts.values()) == 2
    finally:
        catalog.close()


@pytest.mark.slow
def test_image_counts_over_all_of_wordnet(wordnet_project, wordnet: Taxonomy) -> None:
    from synsetdb.catalog import Project

    project = Project.open(wordnet_project)
    image = _image("a dog")
    project.catalog.add_image(image)
    project.catalog.add_candidate(image.id, DOG)
    counts = project.catalog.image_counts(wordnet.wnids)
    project.close()
    assert len(counts) == 82_115
    assert sum(counts.values()) == len(wordnet.ancestors(DOG, include_self=True))


# ------------------------------------------------------------------ test set-up


def test_required_services_fail_instead_of_skipping(monkeypatch: pytest.MonkeyPatch) -> None:
    """Under tools/test.sh a PostgreSQL that cannot start fails the run; elsewhere it skips."""
    from pathlib import Path

    from tests.fixtures import postgres

    monkeypatch.setattr(postgres, "REQUIRE_SERVICES", True)
    with pytest.raises(pytest.fail.Exception, match="must not skip"):
        postgres.service_unavailable("PostgreSQL could not start")
    monkeypatch.setattr(postgres, "REQUIRE_SERVICES", False)
    with pytest.raises(pytest.skip.Exception):
        postgres.service_unavailable("PostgreSQL could not start")
    script = (Path(__file__).parents[2] / "tools" / "test.sh").read_text()
    assert "export SYNSETDB_TEST_REQUIRE_SERVICES=1" in script
