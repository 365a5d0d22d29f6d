"""Renditions: resized copies of images, one blob per image and kind.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 23:22:10.508113
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rendition",
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("blob_key", sa.Text(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["image_id"], ["image.id"], name=op.f("fk_rendition_image_id_image")
        ),
        sa.PrimaryKeyConstraint("image_id", "kind", name=op.f("pk_rendition")),
    )


def downgrade() -> None:
    op.drop_table("rendition")
