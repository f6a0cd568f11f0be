"""owners: account and task owners, assignment rules per motion

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("company") as batch:
        batch.add_column(sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.create_index("ix_company_owner", ["owner"])
    with op.batch_alter_table("prospecting_task") as batch:
        batch.add_column(sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch.create_index("ix_prospecting_task_owner", ["owner"])
    with op.batch_alter_table("motion") as batch:
        batch.add_column(sa.Column("assignment", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("motion") as batch:
        batch.drop_column("assignment")
    with op.batch_alter_table("prospecting_task") as batch:
        batch.drop_index("ix_prospecting_task_owner")
        batch.drop_column("owner")
    with op.batch_alter_table("company") as batch:
        batch.drop_index("ix_company_owner")
        batch.drop_column("owner")
