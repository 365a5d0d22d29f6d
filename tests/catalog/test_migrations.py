"""Schema migrations: the migrated database equals schema.py, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text

from synsetdb.catalog import Catalog, make_engine, migrate, schema
from synsetdb.errors import SchemaVersionError


def test_migrated_schema_matches_tables(catalog_url: str) -> None:
    Catalog.open(catalog_url, create=True).close()
    engine = make_engine(catalog_url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    engine.dispose()
    assert diffs == []


def test_new_catalog_is_at_head_and_upgrade_is_idempotent(catalog_url: str) -> None:
    Catalog.open(catalog_url, create=True).close()
    Catalog.open(catalog_url, create=True).close()
    engine = make_engine(catalog_url)
    assert migrate.current_revision(engine) == migrate.head_revision() == "0009"
    engine.dispose()


def test_opening_an_empty_database_without_create_is_a_schema_error(catalog_url: str) -> None:
    if catalog_url.startswith("sqlite:///"):  # an existing but empty file, not a missing one
        Path(catalog_url.removeprefix("sqlite:///")).touch()
    with pytest.raises(SchemaVersionError) as info:
        Catalog.open(catalog_url)
    assert info.value.code == "E_SCHEMA_VERSION"
    assert "synsetdb migrate" in str(info.value)


def test_a_newer_schema_than_this_synsetdb_knows_is_refused(catalog_url: str) -> None:
    Catalog.open(catalog_url, create=True).close()
    engine = make_engine(catalog_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaVersionError, match="newer than this synsetdb"):
        migrate.upgrade(engine)
    with pytest.raises(SchemaVersionError):
        Catalog.open(catalog_url)
    engine.dispose()


def _insert_dog(conn: Connection) -> None:
    """Synset 1, dog: a row every schema revision has had the same columns for."""
    conn.execute(
        schema.synset.insert().values(
            id=1, wnid="n02084071", name="dog", lemmas="dog", gloss="", is_custom=False
        )
    )


def test_upgrading_an_older_catalog_keeps_its_rows(catalog_url: str) -> None:
    engine = make_engine(catalog_url)
    migrate.upgrade(engine, "0001")
    with engine.begin() as conn:
        _insert_dog(conn)
        conn.execute(
            text(
                "INSERT INTO image (id, width, height, format, byte_size, blob_key, created_at) "
                "VALUES ('ab', 4, 3, 'PNG', 10, 'ab', CURRENT_TIMESTAMP)"
            )
        )
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, width, thumbnail_key FROM image")).one()
        assert tuple(row) == ("ab", 4, None)
        assert conn.execute(text("SELECT wnid FROM synset")).scalar_one() == "n02084071"
    engine.dispose()


def _table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_rendition_migration_round_trip_keeps_the_images(catalog_url: str) -> None:
    engine = make_engine(catalog_url)
    migrate.upgrade(engine, "0002")
    assert "rendition" not in _table_names(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO image (id, width, height, format, byte_size, blob_key, created_at) "
                "VALUES ('ab', 400, 300, 'JPEG', 10, 'ab', CURRENT_TIMESTAMP)"
            )
        )
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO rendition (image_id, kind, blob_key, width, height) "
                "VALUES ('ab', 'resized-256', 'cd', 341, 256)"
            )
        )
    migrate.downgrade(engine, "0002")
    assert migrate.current_revision(engine) == "0002"
    assert "rendition" not in _table_names(engine)
    migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, width FROM image")).one() == ("ab", 400)
        assert conn.execute(text("SELECT count(*) FROM rendition")).scalar_one() == 0
        diffs = compare_metadata(MigrationContext.configure(conn), schema.metadata)
    assert diffs == []
    engine.dispose()


def test_upgrading_keeps_each_workers_newest_open_task(catalog_url: str) -> None:
    """0005's unique index on open tasks: older duplicates (from racing processes) expire."""
    engine = make_engine(catalog_url)
    migrate.upgrade(engine, "0004")
    now = "CURRENT_TIMESTAMP"
    with engine.begin() as conn:
        _insert_dog(conn)
        conn.execute(
            text(
                "INSERT INTO worker (id, name, role, is_active, created_at) "
                f"VALUES (1, 'ann', 'worker', true, {now}), (2, 'bob', 'worker', true, {now})"
            )
        )
        tasks = ((1, 1, "open"), (2, 1, "open"), (3, 2, "open"), (4, 2, "submitted"))
        for task_id, worker, status in tasks:
            conn.execute(
                text(
                    "INSERT INTO task (id, synset_id, kind, status, worker_id, created_at) "
                    f"VALUES ({task_id}, 1, 'verify', '{status}', {worker}, {now})"
                )
            )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, status FROM task ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, "expired"), (2, "open"), (3, "open"), (4, "submitted")]
    engine.dispose()


def test_0007_tells_the_crowds_decisions_from_a_sources(catalog_url: str) -> None:
    """Decided candidates with votes were the crowd's; without, their source's (ILSVRC)."""
    engine = make_engine(catalog_url)
    migrate.upgrade(engine, "0006")
    now = "CURRENT_TIMESTAMP"
    with engine.begin() as conn:
        _insert_dog(conn)
        conn.execute(
            text(
                "INSERT INTO image (id, width, height, format, byte_size, blob_key, created_at) "
                f"VALUES ('a', 4, 3, 'PNG', 1, 'a', {now}), ('b', 4, 3, 'PNG', 1, 'b', {now}), "
                f"('c', 4, 3, 'PNG', 1, 'c', {now})"
            )
        )
        for cid, image, status in (
            (1, "a", "accepted"),
            (2, "b", "accepted"),
            (3, "c", "candidate"),
        ):
            conn.execute(
                text(
                    "INSERT INTO candidate (id, image_id, synset_id, status, created_at, "
                    "updated_at)"
                    f" VALUES ({cid}, '{image}', 1, '{status}', {now}, {now})"
                )
            )
        conn.execute(
            text(
                "INSERT INTO worker (id, name, role, is_active, created_at) "
                f"VALUES (1, 'ann', 'worker', true, {now})"
            )
        )
        conn.execute(
            text(
                "INSERT INTO vote (candidate_id, worker_id, answer, is_control, created_at) "
                f"VALUES (1, 1, 1, false, {now})"
            )
        )
    migrate.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, decided_by FROM candidate ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, "crowd"), (2, "source"), (3, None)]
    migrate.downgrade(engine, "0006")
    assert "decision" not in _table_names(engine)
    engine.dispose()
