"""crm: sync state per provider and object, links between CRM records and icp rows, who completed a task

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import icp.store.tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    when = icp.store.tables.UTCDateTime
    op.create_table(
        "crm_sync_state",
        sa.Column("provider", text(), nullable=False),
        sa.Column("object", text(), nullable=False),
        sa.Column("watermark", when(), nullable=True),
        sa.Column("cursor", text(), nullable=True),
        sa.Column("cursor_since", when(), nullable=True),
        sa.Column("pending_watermark", when(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("status", text(), nullable=False),
        sa.Column("error", text(), nullable=False),
        sa.Column("pulled_at", when(), nullable=True),
        sa.PrimaryKeyConstraint("provider", "object"),
    )
    op.create_table(
        "crm_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", text(), nullable=False),
        sa.Column("crm_id", text(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", text(), nullable=True),
        sa.Column("written", sa.JSON(), nullable=False),
        sa.Column("written_at", when(), nullable=True),
        sa.Column("pulled_at", when(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["company.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "crm_id", name="uq_crm_account"),
    )
    op.create_index("ix_crm_account_company_id", "crm_account", ["company_id"])
    op.create_table(
        "crm_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", text(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("crm_task_id", text(), nullable=False),
        sa.Column("created_at", when(), nullable=False),
        sa.Column("completed_at", when(), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["prospecting_task.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "task_id", name="uq_crm_task"),
    )
    op.create_index("ix_crm_task_task_id", "crm_task", ["task_id"])
    with op.batch_alter_table("prospecting_task") as batch:
        batch.add_column(sa.Column("completed_by", text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("prospecting_task") as batch:
        batch.drop_column("completed_by")
    op.drop_index("ix_crm_task_task_id", table_name="crm_task")
    op.drop_table("crm_task")
    op.drop_index("ix_crm_account_company_id", table_name="crm_account")
    op.drop_table("crm_account")
    op.drop_table("crm_sync_state")
