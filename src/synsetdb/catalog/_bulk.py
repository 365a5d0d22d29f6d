"""Fast bulk inserts: COPY on PostgreSQL, the driver's executemany elsewhere."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Table

from ..errors import CatalogError

_BATCH = 50_000


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Any]) -> int:
    """Insert tuples (in ``columns`` order) and return how many were written.

    Runs inside the caller's transaction, so a failure leaves nothing behind.
    """
    if conn.dialect.name == "postgresql":
        return _copy(conn, table, columns, rows)
    placeholders = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(conn.dialect.paramstyle)
    if placeholders is None:  # an unusual driver: let SQLAlchemy bind by name
        return _insert_dicts(conn, table, columns, rows)
    sql = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) "
        f"VALUES ({', '.join([placeholders] * len(columns))})"
    )
    written = 0
    iterator = iter(rows)
    while batch := list(islice(iterator, _BATCH)):
        conn.exec_driver_sql(sql, batch)
        written += len(batch)
    return written


def _copy(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Any]) -> int:
    driver = conn.connection.driver_connection
    assert driver is not None
    written = 0
    with driver.cursor() as cursor:
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
    return written


def _insert_dicts(
    conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[Any]
) -> int:
    written = 0
    iterator = iter(rows)
    while batch := list(islice(iterator, _BATCH)):
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in batch])
        written += len(batch)
    return written


def upsert_insert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT with ON CONFLICT clauses (SQLite and PostgreSQL spell them alike).

    Raises:
        CatalogError: ``E_CATALOG_DRIVER`` on any other backend.
    """
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    raise CatalogError(
        f"the catalog's counts need SQLite or PostgreSQL, not {conn.dialect.name}",
        code="E_CATALOG_DRIVER",
    )


def insert_ignoring_conflicts(conn: Connection, table: Table) -> Any:
    """An INSERT that skips rows clashing with a unique key (a concurrent writer got there first).

    ``ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL; other backends get a
    plain INSERT and their IntegrityError.
    """
    if conn.dialect.name in ("postgresql", "sqlite"):
        return upsert_insert(conn, table).on_conflict_do_nothing()
    return table.insert()
