"""llm batches

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import icp.store.tables

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "llm_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_batch_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("collected", sa.Boolean(), nullable=False),
        sa.Column("evaluator", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("prompt_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("prompt_hash", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("input_file_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("output_file_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("error_file_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("pairs", sa.JSON(), nullable=False),
        sa.Column("requests_total", sa.Integer(), nullable=False),
        sa.Column("requests_completed", sa.Integer(), nullable=False),
        sa.Column("requests_failed", sa.Integer(), nullable=False),
        sa.Column("grades_ok", sa.Integer(), nullable=False),
        sa.Column("grades_failed", sa.Integer(), nullable=False),
        sa.Column("unanswered", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("created_at", icp.store.tables.UTCDateTime(), nullable=False),
        sa.Column("updated_at", icp.store.tables.UTCDateTime(), nullable=False),
        sa.Column("collected_at", icp.store.tables.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("llm_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_llm_batch_collected"), ["collected"], unique=False)
        batch_op.create_index(batch_op.f("ix_llm_batch_provider_batch_id"), ["provider_batch_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("llm_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_llm_batch_provider_batch_id"))
        batch_op.drop_index(batch_op.f("ix_llm_batch_collected"))
    op.drop_table("llm_batch")
