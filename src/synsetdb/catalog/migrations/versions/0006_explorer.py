"""The explorer: maintained counts, near-duplicate groups, browsing rights, indexes.

(The candidates' (synset, status) index gains the image id, so that a grid
page sorts one class's ids from the index alone.)

The count tables are created empty here; ``Catalog.open(create=True)`` (which
``synsetdb migrate`` runs) fills them from the rows already stored, the same
way ``synsetdb recount`` does, so the migration holds no copy of that logic.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "synset_count",
        sa.Column("synset_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("own", sa.BigInteger(), nullable=False),
        sa.Column("subtree", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["synset_id"],
            ["synset.id"],
            name=op.f("fk_synset_count_synset_id_synset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("synset_id", "status", name=op.f("pk_synset_count")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "synset_facet",
        sa.Column("synset_id", sa.Integer(), nullable=False),
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["synset_id"],
            ["synset.id"],
            name=op.f("fk_synset_facet_synset_id_synset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("synset_id", "facet", "value", name=op.f("pk_synset_facet")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "release_count",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("synset_id", sa.Integer(), nullable=False),
        sa.Column("split", sa.String(length=16), nullable=False),
        sa.Column("own", sa.BigInteger(), nullable=False),
        sa.Column("subtree", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["release.id"],
            name=op.f("fk_release_count_release_id_release"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["synset_id"],
            ["synset.id"],
            name=op.f("fk_release_count_synset_id_synset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("release_id", "synset_id", "split", name=op.f("pk_release_count")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "image_tally",
        sa.Column("facet", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("images", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("facet", "value", name=op.f("pk_image_tally")),
    )
    op.create_table(
        "activity",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "kind", name=op.f("pk_activity")),
    )
    op.create_table(
        "dup_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("max_distance", sa.SmallInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dup_group")),
    )
    op.create_index(op.f("ix_dup_group_size"), "dup_group", ["size"])
    op.create_table(
        "dup_member",
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["image_id"], ["image.id"], name=op.f("fk_dup_member_image_id_image")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["dup_group.id"],
            name=op.f("fk_dup_member_group_id_dup_group"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("image_id", name=op.f("pk_dup_member")),
    )
    op.create_index(op.f("ix_dup_member_group_id"), "dup_member", ["group_id"])
    op.drop_index("ix_candidate_synset_id_status", table_name="candidate")
    op.create_index(
        op.f("ix_candidate_synset_id_status_image_id"),
        "candidate",
        ["synset_id", "status", "image_id"],
    )
    op.create_index(op.f("ix_image_source_id"), "image", ["source", "id"])
    op.create_index(op.f("ix_image_licence_id"), "image", ["licence", "id"])
    op.create_index(op.f("ix_release_item_image_id"), "release_item", ["image_id"])
    op.create_index(
        op.f("ix_release_item_release_id_synset_id"), "release_item", ["release_id", "synset_id"]
    )
    # A plain ADD COLUMN: batch mode would copy the table, and SQLite refuses to
    # drop the old one while tasks and votes refer to it.
    op.add_column(
        "worker", sa.Column("can_browse", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # SQLite >= 3.35 drops a column in place
        op.execute("ALTER TABLE worker DROP COLUMN can_browse")
    else:
        op.drop_column("worker", "can_browse")
    op.drop_index(op.f("ix_release_item_release_id_synset_id"), table_name="release_item")
    op.drop_index(op.f("ix_release_item_image_id"), table_name="release_item")
    op.drop_index(op.f("ix_image_licence_id"), table_name="image")
    op.drop_index(op.f("ix_image_source_id"), table_name="image")
    op.drop_index(op.f("ix_candidate_synset_id_status_image_id"), table_name="candidate")
    op.create_index("ix_candidate_synset_id_status", "candidate", ["synset_id", "status"])
    op.drop_index(op.f("ix_dup_member_group_id"), table_name="dup_member")
    op.drop_table("dup_member")
    op.drop_index(op.f("ix_dup_group_size"), table_name="dup_group")
    op.drop_table("dup_group")
    op.drop_table("activity")
    op.drop_table("image_tally")
    op.drop_table("release_count")
    op.drop_table("synset_facet")
    op.drop_table("synset_count")
