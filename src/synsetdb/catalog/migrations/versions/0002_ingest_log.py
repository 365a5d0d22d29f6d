"""Ingest log (resumable ingest), thumbnail blobs, original file names.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:11:37.070748
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("image_id", sa.String(length=64), nullable=True),
        sa.Column("wnid", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('added', 'duplicate', 'rejected')", name=op.f("ck_ingest_item_status")
        ),
        sa.ForeignKeyConstraint(
            ["image_id"], ["image.id"], name=op.f("fk_ingest_item_image_id_image")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_item")),
        sa.UniqueConstraint("source", "key", name=op.f("uq_ingest_item_source_key")),
    )
    with op.batch_alter_table("ingest_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_item_image_id"), ["image_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_ingest_item_source_status"), ["source", "status"], unique=False
        )

    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("file_name", sa.Text(), nullable=True))

    with op.batch_alter_table("image", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thumbnail_key", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("image", schema=None) as batch_op:
        batch_op.drop_column("thumbnail_key")

    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.drop_column("file_name")

    with op.batch_alter_table("ingest_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_item_source_status"))
        batch_op.drop_index(batch_op.f("ix_ingest_item_image_id"))

    op.drop_table("ingest_item")
