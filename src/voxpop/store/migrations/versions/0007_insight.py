"""insight: events on the timeline, the journey map, imported business metrics

Revision ID: 0007
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from voxpop.store.types import UtcDateTime

revision = "0007"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_events_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_index("ix_events_starts_on", "events", ["starts_on"], unique=False)
    op.create_table(
        "journey_maps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_maps")),
        sa.UniqueConstraint("name", name=op.f("uq_journey_maps_name")),
    )
    op.create_table(
        "business_metrics",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("metric", sa.String(length=50), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("customer_ref", sa.String(length=200), nullable=False),
        sa.Column("imported_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_metrics")),
        sa.UniqueConstraint(
            "metric",
            "period",
            "location",
            "customer_ref",
            name=op.f("uq_business_metrics_metric_period_location_customer_ref"),
        ),
    )
    op.create_index("ix_business_metrics_period", "business_metrics", ["period"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_business_metrics_period", table_name="business_metrics")
    op.drop_table("business_metrics")
    op.drop_table("journey_maps")
    op.drop_index("ix_events_starts_on", table_name="events")
    op.drop_table("events")
