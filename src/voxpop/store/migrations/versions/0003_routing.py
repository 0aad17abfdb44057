"""routing: routing rules, internal notes and mentions, saved views; items' tags, route and SLA breach

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

``items`` only gains nullable columns and indexes through plain ALTER TABLE (never a table copy, which
would drop SQLite's full-text triggers).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from voxpop.store.types import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("items", sa.Column("tags", JSON, nullable=True))
    op.add_column("items", sa.Column("route", JSON, nullable=True))
    op.add_column("items", sa.Column("sla_breached_at", UtcDateTime(), nullable=True))
    op.create_index("ix_items_urgency", "items", ["urgency", "id"], unique=False)
    op.create_index("ix_items_due_at", "items", ["due_at"], unique=False)

    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("continue_matching", sa.Boolean(), nullable=False),
        sa.Column("conditions", JSON, nullable=False),
        sa.Column("actions", JSON, nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_routing_rules_name")),
    )
    op.create_index(op.f("ix_routing_rules_position"), "routing_rules", ["position"], unique=False)

    op.create_table(
        "item_notes",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("item_id", BIGID, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_notes_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_item_notes_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_notes")),
    )
    op.create_index(op.f("ix_item_notes_item_id"), "item_notes", ["item_id"], unique=False)

    op.create_table(
        "mentions",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("note_id", BIGID, nullable=False),
        sa.Column("item_id", BIGID, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("seen_at", UtcDateTime(), nullable=True),
        sa.Column("emailed_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_mentions_item_id_items"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["note_id"], ["item_notes.id"], name=op.f("fk_mentions_note_id_item_notes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_mentions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentions")),
        sa.UniqueConstraint("note_id", "user_id", name=op.f("uq_mentions_note_id_user_id")),
    )
    op.create_index("ix_mentions_user_seen", "mentions", ["user_id", "seen_at"], unique=False)

    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("filters", JSON, nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_saved_views_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_saved_views_user_id_name")),
    )
    op.create_index(op.f("ix_saved_views_user_id"), "saved_views", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_views_user_id"), table_name="saved_views")
    op.drop_table("saved_views")
    op.drop_index("ix_mentions_user_seen", table_name="mentions")
    op.drop_table("mentions")
    op.drop_index(op.f("ix_item_notes_item_id"), table_name="item_notes")
    op.drop_table("item_notes")
    op.drop_index(op.f("ix_routing_rules_position"), table_name="routing_rules")
    op.drop_table("routing_rules")
    op.drop_index("ix_items_due_at", table_name="items")
    op.drop_index("ix_items_urgency", table_name="items")
    op.drop_column("items", "sla_breached_at")
    op.drop_column("items", "route")
    op.drop_column("items", "tags")
