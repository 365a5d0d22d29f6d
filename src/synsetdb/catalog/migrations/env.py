"""Alembic environment: runs on the connection synsetdb hands over (online only)."""

from alembic import context

from synsetdb.catalog.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "synsetdb migrations run through synsetdb.catalog.migrate, not alembic's CLI"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
