"""metric overviews

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 03:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Chunks written before this revision have no overview; charts decode those chunks instead.
    op.create_table(
        "metric_overviews",
        sa.Column("run_id", sa.String(length=512), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["run_id", "name"], ["metrics.run_id", "metrics.name"]),
        sa.PrimaryKeyConstraint("run_id", "name", "seq"),
    )


def downgrade() -> None:
    op.drop_table("metric_overviews")
