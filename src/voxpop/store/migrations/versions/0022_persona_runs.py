"""insight: the personas computed in the background, kept per department scope

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from voxpop.store.types import UtcDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "persona_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("data_version", sa.String(length=64), nullable=True),
        sa.Column("computed_at", UtcDateTime(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("result", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persona_runs")),
        sa.UniqueConstraint("scope", name=op.f("uq_persona_runs_scope")),
    )


def downgrade() -> None:
    op.drop_table("persona_runs")
