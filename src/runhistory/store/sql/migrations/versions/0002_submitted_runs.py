"""submitted runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 01:20:51.993829
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("config", sa.Text(), nullable=True))
        batch_op.create_index("ix_runs_target_status", ["target", "status"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_index("ix_runs_target_status")
        batch_op.drop_column("config")
