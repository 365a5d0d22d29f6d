"""Labelling tasks list their items; votes say whether they answered a hidden control.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_item",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_control", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_task_item_task_id_task")),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidate.id"], name=op.f("fk_task_item_candidate_id_candidate")
        ),
        sa.PrimaryKeyConstraint("task_id", "candidate_id", name=op.f("pk_task_item")),
    )
    op.create_index(op.f("ix_task_item_candidate_id"), "task_item", ["candidate_id"])
    op.create_index(op.f("ix_task_worker_id_status"), "task", ["worker_id", "status"])
    with op.batch_alter_table("vote") as batch:
        batch.add_column(
            sa.Column("is_control", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("vote") as batch:
        batch.drop_column("is_control")
    op.drop_index(op.f("ix_task_worker_id_status"), table_name="task")
    op.drop_index(op.f("ix_task_item_candidate_id"), table_name="task_item")
    op.drop_table("task_item")
