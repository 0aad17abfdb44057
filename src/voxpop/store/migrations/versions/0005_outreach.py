"""outreach and alerts: promoter asks, alert rules/destinations/deliveries, weekly digests

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from voxpop.store.types import UtcDateTime

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "outreach_sends",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("customer_id", BIGID, nullable=False),
        sa.Column("item_id", BIGID, nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("clicked_at", UtcDateTime(), nullable=True),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("testimonial", sa.Text(), nullable=True),
        sa.Column("testimonial_public", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_outreach_sends_customer_id_customers"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_outreach_sends_item_id_items"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["users.id"], name=op.f("fk_outreach_sends_sent_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outreach_sends")),
        sa.UniqueConstraint("token", name=op.f("uq_outreach_sends_token")),
    )
    op.create_index("ix_outreach_sends_customer_sent", "outreach_sends", ["customer_id", "sent_at"], unique=False)
    op.create_index(op.f("ix_outreach_sends_item_id"), "outreach_sends", ["item_id"], unique=False)

    op.create_table(
        "alert_destinations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("target", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("max_per_hour", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_destinations")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_destinations_name")),
    )
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("destination_ids", JSON, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_alert_rules_name")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("dedup_key", sa.String(length=200), nullable=False),
        sa.Column("item_id", BIGID, nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_alerts_item_id_items"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alert_rules.id"], name=op.f("fk_alerts_rule_id_alert_rules"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("rule_id", "dedup_key", name=op.f("uq_alerts_rule_id_dedup_key")),
    )
    op.create_index("ix_alerts_created", "alerts", ["created_at"], unique=False)
    op.create_index(op.f("ix_alerts_item_id"), "alerts", ["item_id"], unique=False)
    op.create_table(
        "alert_messages",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("destination_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("is_digest", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["alert_destinations.id"],
            name=op.f("fk_alert_messages_destination_id_alert_destinations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_messages")),
    )
    op.create_index("ix_alert_messages_destination_sent", "alert_messages", ["destination_id", "sent_at"], unique=False)
    op.create_table(
        "alert_deliveries",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("alert_id", BIGID, nullable=False),
        sa.Column("destination_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("message_id", BIGID, nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_deliveries_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["alert_destinations.id"],
            name=op.f("fk_alert_deliveries_destination_id_alert_destinations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["alert_messages.id"],
            name=op.f("fk_alert_deliveries_message_id_alert_messages"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint("alert_id", "destination_id", name=op.f("uq_alert_deliveries_alert_id_destination_id")),
    )
    op.create_index(
        "ix_alert_deliveries_destination_status", "alert_deliveries", ["destination_id", "status"], unique=False
    )
    op.create_table(
        "digest_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("recipients", JSON, nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_digest_sends_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_sends")),
        sa.UniqueConstraint("department_id", "week_start", name=op.f("uq_digest_sends_department_id_week_start")),
    )


def downgrade() -> None:
    op.drop_table("digest_sends")
    op.drop_index("ix_alert_deliveries_destination_status", table_name="alert_deliveries")
    op.drop_table("alert_deliveries")
    op.drop_index("ix_alert_messages_destination_sent", table_name="alert_messages")
    op.drop_table("alert_messages")
    op.drop_index(op.f("ix_alerts_item_id"), table_name="alerts")
    op.drop_index("ix_alerts_created", table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("alert_rules")
    op.drop_table("alert_destinations")
    op.drop_index(op.f("ix_outreach_sends_item_id"), table_name="outreach_sends")
    op.drop_index("ix_outreach_sends_customer_sent", table_name="outreach_sends")
    op.drop_table("outreach_sends")
