"""Initial schema: taxonomy, images, candidates, crowd votes, boxes and releases.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 20:40:48.592381
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "image",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("byte_size", sa.BigInteger(), nullable=False),
        sa.Column("phash", sa.BigInteger(), nullable=True),
        sa.Column("blob_key", sa.String(length=255), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("licence", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("width > 0 AND height > 0", name=op.f("ck_image_positive_size")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_image")),
    )
    with op.batch_alter_table("image", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_image_phash"), ["phash"], unique=False)

    op.create_table(
        "project_meta",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_project_meta")),
    )
    op.create_table(
        "release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["release.id"], name=op.f("fk_release_parent_id_release")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_release")),
        sa.UniqueConstraint("name", name=op.f("uq_release_name")),
    )
    op.create_table(
        "synset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wnid", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("lemmas", sa.Text(), nullable=False),
        sa.Column("gloss", sa.Text(), nullable=False),
        sa.Column("lexname", sa.String(length=32), nullable=True),
        sa.Column("is_custom", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_synset")),
        sa.UniqueConstraint("wnid", name=op.f("uq_synset_wnid")),
    )
    op.create_table(
        "worker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role IN ('worker', 'admin')", name=op.f("ck_worker_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker")),
        sa.UniqueConstraint("name", name=op.f("uq_worker_name")),
    )
    op.create_table(
        "box",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("synset_id", sa.Integer(), nullable=False),
        sa.Column("x0", sa.Float(), nullable=False),
        sa.Column("y0", sa.Float(), nullable=False),
        sa.Column("x1", sa.Float(), nullable=False),
        sa.Column("y1", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.CheckConstraint("x0 <= x1 AND y0 <= y1", name=op.f("ck_box_ordered")),
        sa.ForeignKeyConstraint(["image_id"], ["image.id"], name=op.f("fk_box_image_id_image")),
        sa.ForeignKeyConstraint(["synset_id"], ["synset.id"], name=op.f("fk_box_synset_id_synset")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_box")),
    )
    with op.batch_alter_table("box", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_box_image_id"), ["image_id"], unique=False)

    op.create_table(
        "candidate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("synset_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("provider", sa.String(length=64), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("split", sa.String(length=16), nullable=True),
        sa.Column("provenance", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('candidate', 'accepted', 'rejected', 'undecided')",
            name=op.f("ck_candidate_status"),
        ),
        sa.ForeignKeyConstraint(
            ["image_id"], ["image.id"], name=op.f("fk_candidate_image_id_image")
        ),
        sa.ForeignKeyConstraint(
            ["synset_id"], ["synset.id"], name=op.f("fk_candidate_synset_id_synset")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate")),
        sa.UniqueConstraint("image_id", "synset_id", name=op.f("uq_candidate_image_id_synset_id")),
    )
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_candidate_synset_id_status"), ["synset_id", "status"], unique=False
        )

    op.create_table(
        "release_item",
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("image_id", sa.String(length=64), nullable=False),
        sa.Column("synset_id", sa.Integer(), nullable=False),
        sa.Column("split", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["image_id"], ["image.id"], name=op.f("fk_release_item_image_id_image")
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["release.id"], name=op.f("fk_release_item_release_id_release")
        ),
        sa.ForeignKeyConstraint(
            ["synset_id"], ["synset.id"], name=op.f("fk_release_item_synset_id_synset")
        ),
        sa.PrimaryKeyConstraint(
            "release_id", "image_id", "synset_id", name=op.f("pk_release_item")
        ),
    )
    with op.batch_alter_table("release_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_release_item_release_id_split"), ["release_id", "split"], unique=False
        )

    op.create_table(
        "synset_closure",
        sa.Column("ancestor_id", sa.Integer(), nullable=False),
        sa.Column("descendant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ancestor_id"],
            ["synset.id"],
            name=op.f("fk_synset_closure_ancestor_id_synset"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["descendant_id"],
            ["synset.id"],
            name=op.f("fk_synset_closure_descendant_id_synset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ancestor_id", "descendant_id", name=op.f("pk_synset_closure")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("synset_closure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_synset_closure_descendant_id_ancestor_id"),
            ["descendant_id", "ancestor_id"],
            unique=False,
        )

    op.create_table(
        "synset_parent",
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("is_instance", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["synset.id"],
            name=op.f("fk_synset_parent_child_id_synset"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["synset.id"],
            name=op.f("fk_synset_parent_parent_id_synset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("child_id", "parent_id", name=op.f("pk_synset_parent")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("synset_parent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_synset_parent_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("synset_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["synset_id"], ["synset.id"], name=op.f("fk_task_synset_id_synset")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_task_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task")),
    )
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_task_status_synset_id"), ["status", "synset_id"], unique=False
        )

    op.create_table(
        "vote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidate.id"], name=op.f("fk_vote_candidate_id_candidate")
        ),
        sa.ForeignKeyConstraint(["task_id"], ["task.id"], name=op.f("fk_vote_task_id_task")),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["worker.id"], name=op.f("fk_vote_worker_id_worker")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote")),
    )
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vote_worker_id"), ["worker_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vote_worker_id"))
        batch_op.drop_index(batch_op.f("ix_vote_candidate_id"))

    op.drop_table("vote")
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_status_synset_id"))

    op.drop_table("task")
    with op.batch_alter_table("synset_parent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_synset_parent_parent_id"))

    op.drop_table("synset_parent")
    with op.batch_alter_table("synset_closure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_synset_closure_descendant_id_ancestor_id"))

    op.drop_table("synset_closure")
    with op.batch_alter_table("release_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_release_item_release_id_split"))

    op.drop_table("release_item")
    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_synset_id_status"))

    op.drop_table("candidate")
    with op.batch_alter_table("box", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_box_image_id"))

    op.drop_table("box")
    op.drop_table("worker")
    op.drop_table("synset")
    op.drop_table("release")
    op.drop_table("project_meta")
    with op.batch_alter_table("image", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_image_phash"))

    op.drop_table("image")
