"""Variant hashes of images, for near-duplicate groups that catch crops, turns and mirrors.

One row per image holds the pHashes of its mirror, trimmed, centred and
straightened views (``synsetdb.imaging.variants``), packed. Nothing is
backfilled here: the rows are derived from the stored pixels and computed when
``synsetdb dups`` or a release build first needs them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "image_variant",
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.SmallInteger(), nullable=False),
        sa.Column("hashes", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["image_id"],
            ["image.id"],
            name=op.f("fk_image_variant_image_id_image"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("image_id", name=op.f("pk_image_variant")),
    )


def downgrade() -> None:
    op.drop_table("image_variant")
