"""ops: per-stage statistics and parked task failures

Revision ID: 0011
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from voxpop.store.types import UtcDateTime

revision = "0011"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stage_stats",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("stage", sa.String(length=50), nullable=False),
        sa.Column("minute", UtcDateTime(), nullable=False),
        sa.Column("batches", sa.Integer(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_stats")),
        sa.UniqueConstraint("stage", "minute", name=op.f("uq_stage_stats_stage_minute")),
    )
    op.create_table(
        "task_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=50), nullable=False),
        sa.Column("ids", JSON, nullable=False),
        sa.Column("rest", JSON, nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("retried_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_failures")),
    )


def downgrade() -> None:
    op.drop_table("task_failures")
    op.drop_table("stage_stats")
