"""replies: canned-response templates and the replies agents sent

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from voxpop.store.types import UtcDateTime

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reply_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sentiment", sa.String(length=10), nullable=True),
        sa.Column("aspect", sa.String(length=100), nullable=True),
        sa.Column("channel", sa.String(length=50), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("vertical", sa.String(length=50), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_reply_templates_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_templates")),
        sa.UniqueConstraint("name", "language", name=op.f("uq_reply_templates_name_language")),
    )
    op.create_table(
        "replies",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("item_id", BIGID, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("template_id", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.Column("response_seconds", sa.Integer(), nullable=True),
        sa.Column("delivery", sa.String(length=20), nullable=False),
        sa.Column("posted_to", sa.String(length=2000), nullable=True),
        sa.Column("external_id", sa.String(length=200), nullable=True),
        sa.Column("tone_flags", JSON, nullable=False),
        sa.Column("tone_overridden", sa.Boolean(), nullable=False),
        sa.Column("item_vector", sa.LargeBinary(), nullable=True),
        sa.Column("vector_model", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_replies_item_id_items"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["reply_templates.id"],
            name=op.f("fk_replies_template_id_reply_templates"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_replies_user_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replies")),
    )
    op.create_index(op.f("ix_replies_item_id"), "replies", ["item_id"], unique=False)
    op.create_index(op.f("ix_replies_user_id"), "replies", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_replies_user_id"), table_name="replies")
    op.drop_index(op.f("ix_replies_item_id"), table_name="replies")
    op.drop_table("replies")
    op.drop_table("reply_templates")
