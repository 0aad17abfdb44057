"""measure: a version token that changes with every change of the roll-up cells (result caching)

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "measure_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": "initial"}])


def downgrade() -> None:
    op.drop_table("measure_version")
