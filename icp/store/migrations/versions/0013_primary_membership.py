"""primary membership: each account's primary segment chosen once per cycle (icp.primary)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01

Existing cycles get no choice recorded (``primary_basis`` stays empty), so the work list keeps choosing
per query for them until the next cycle, or a segment change, chooses and records it.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("membership") as batch:
        batch.add_column(sa.Column("is_primary", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index("ix_membership_primary", ["cycle_id", "is_primary", "rank_key"])
    with op.batch_alter_table("cycle") as batch:
        batch.add_column(sa.Column("primary_basis", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cycle") as batch:
        batch.drop_column("primary_basis")
    with op.batch_alter_table("membership") as batch:
        batch.drop_index("ix_membership_primary")
        batch.drop_column("is_primary")
