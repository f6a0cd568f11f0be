"""fit status (qualified / unverified / disqualified), research tasks, confirmed verdicts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import icp.store.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grade") as batch:
        batch.add_column(sa.Column("fit_status", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    with op.batch_alter_table("membership") as batch:
        batch.add_column(
            sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="qualified")
        )
        batch.add_column(sa.Column("confirmed", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("prospecting_task") as batch:
        batch.add_column(
            sa.Column("fit_status", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="qualified")
        )
        batch.add_column(
            sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="outreach")
        )
    # Grades scored before statuses existed are re-scored by the next cycle (no new evaluation).
    op.execute("UPDATE grade SET policy_hash = NULL")
    op.create_table(
        "confirmed_verdict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("criterion_key", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("criterion_text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("verdict", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("evidence", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("company_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("grade_id", sa.Integer(), nullable=True),
        sa.Column("created_at", icp.store.tables.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_confirmed_verdict_company", "confirmed_verdict", ["company_id", "criterion_key"])


def downgrade() -> None:
    op.drop_index("ix_confirmed_verdict_company", table_name="confirmed_verdict")
    op.drop_table("confirmed_verdict")
    with op.batch_alter_table("prospecting_task") as batch:
        batch.drop_column("kind")
        batch.drop_column("fit_status")
    with op.batch_alter_table("membership") as batch:
        batch.drop_column("confirmed")
        batch.drop_column("status")
    with op.batch_alter_table("grade") as batch:
        batch.drop_column("fit_status")
