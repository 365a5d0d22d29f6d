"""How each candidate was decided, and a log of decisions taken after ingest.

``candidate.decided_by`` tells a trusted source's labels (``source``) from the
crowd's consensus (``crowd``) and a person's decision (``person``); the
``decision`` table keeps every decision taken after ingest with who took it and
why. Existing decided candidates are backfilled: ``crowd`` where the candidate
has votes, ``source`` otherwise (a dataset ingested as verified, ILSVRC-2012).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("candidate", sa.Column("decided_by", sa.String(length=16), nullable=True))
    op.execute(
        "UPDATE candidate SET decided_by = CASE WHEN EXISTS "
        "(SELECT 1 FROM vote WHERE vote.candidate_id = candidate.id) "
        "THEN 'crowd' ELSE 'source' END WHERE status <> 'candidate'"
    )
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"], ["candidate.id"], name="fk_decision_candidate_id_candidate"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_decision"),
    )
    op.create_index("ix_decision_candidate_id", "decision", ["candidate_id"])


def downgrade() -> None:
    op.drop_index("ix_decision_candidate_id", table_name="decision")
    op.drop_table("decision")
    if op.get_bind().dialect.name == "sqlite":  # SQLite >= 3.35 drops a column in place
        op.execute("ALTER TABLE candidate DROP COLUMN decided_by")
    else:
        op.drop_column("candidate", "decided_by")
