"""Schema migrations: the migrated database equals schema.py, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

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
    assert migrate.current_revision(engine) == migrate.head_revision() == "0001"
    engine.dispose()


def test_opening_an_empty_database_without_create_is_a_schema_error(catalog_url: str) -> None:
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
