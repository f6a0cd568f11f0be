"""scheduled runs: one row per firing of the cycle schedule, unique by slot

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import icp.store.tables

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheduled_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot", icp.store.tables.UTCDateTime(), nullable=False),
        sa.Column("schedule", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("worker", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=True),
        sa.Column("pairs_graded", sa.Integer(), nullable=False),
        sa.Column("pairs_reused", sa.Integer(), nullable=False),
        sa.Column("pairs_failed", sa.Integer(), nullable=False),
        sa.Column("tasks_created", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("follow_ups", sa.JSON(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("claimed_at", icp.store.tables.UTCDateTime(), nullable=False),
        sa.Column("started_at", icp.store.tables.UTCDateTime(), nullable=True),
        sa.Column("finished_at", icp.store.tables.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slot", name="uq_scheduled_run_slot"),
    )
    op.create_index("ix_scheduled_run_cycle_id", "scheduled_run", ["cycle_id"])


def downgrade() -> None:
    op.drop_index("ix_scheduled_run_cycle_id", table_name="scheduled_run")
    op.drop_table("scheduled_run")
