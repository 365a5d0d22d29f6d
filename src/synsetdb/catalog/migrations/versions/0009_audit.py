"""Audit findings, when each check last ran, and people's reviews of findings.

``audit_finding`` holds the findings of the last ``synsetdb audit`` per scope
(the catalog, or one release) and check; ``audit_run`` when each check ran or
why it was skipped; ``audit_review`` the reviews, keyed by the finding's
fingerprint so that they outlive the runs that re-find the same thing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_finding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("synset_id", sa.Integer(), nullable=True),
        sa.Column("image_id", sa.String(length=64), nullable=True),
        sa.Column("other_image_id", sa.String(length=64), nullable=True),
        sa.Column("split", sa.String(length=16), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["image_id"],
            ["image.id"],
            name=op.f("fk_audit_finding_image_id_image"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["synset_id"],
            ["synset.id"],
            name=op.f("fk_audit_finding_synset_id_synset"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_finding")),
        sa.UniqueConstraint(
            "scope", "code", "fingerprint", name=op.f("uq_audit_finding_scope_code_fingerprint")
        ),
    )
    op.create_index(
        op.f("ix_audit_finding_scope_code_score"), "audit_finding", ["scope", "code", "score"]
    )
    op.create_index(op.f("ix_audit_finding_synset_id"), "audit_finding", ["synset_id"])
    op.create_index(op.f("ix_audit_finding_image_id"), "audit_finding", ["image_id"])
    op.create_index(op.f("ix_audit_finding_other_image_id"), "audit_finding", ["other_image_id"])
    op.create_table(
        "audit_run",
        sa.Column("scope", sa.String(length=128), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("found", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("scope", "code", name=op.f("pk_audit_run")),
    )
    op.create_table(
        "audit_review",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('accepted', 'dismissed')", name=op.f("ck_audit_review_status")
        ),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_audit_review")),
    )


def downgrade() -> None:
    op.drop_table("audit_review")
    op.drop_table("audit_run")
    op.drop_index(op.f("ix_audit_finding_other_image_id"), table_name="audit_finding")
    op.drop_index(op.f("ix_audit_finding_image_id"), table_name="audit_finding")
    op.drop_index(op.f("ix_audit_finding_synset_id"), table_name="audit_finding")
    op.drop_index(op.f("ix_audit_finding_scope_code_score"), table_name="audit_finding")
    op.drop_table("audit_finding")
