"""A worker holds at most one open labelling task (a partial unique index).

Two app processes could each find no open task for a worker and each create
one; the index makes the second insert fail, and ``next_task`` then hands out
the first. Catalogs that already hold such duplicates keep each worker's
newest open task and expire the others before the index is built.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.execute(
        "UPDATE task SET status = 'expired' WHERE status = 'open' AND id NOT IN "
        "(SELECT max(id) FROM task WHERE status = 'open' GROUP BY worker_id)"
    )
    op.create_index(
        "ux_task_open_worker",
        "task",
        ["worker_id"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("ux_task_open_worker", table_name="task")
