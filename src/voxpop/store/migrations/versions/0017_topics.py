"""analyze: topics found over the whole store (stable ids), each item's topic, item embeddings

Revision ID: 0017
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from voxpop.store.types import Json, UtcDateTime

revision = "0017"
down_revision = "0012"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("key_phrases", Json, nullable=False),
        sa.Column("centroid", sa.LargeBinary(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_topics")),
    )
    op.create_table(
        "item_topics",
        sa.Column("item_id", BIGID, autoincrement=False, nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("assigned_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_topics_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"], ["topics.id"], name=op.f("fk_item_topics_topic_id_topics"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_topics")),
    )
    op.create_index(op.f("ix_item_topics_topic_id"), "item_topics", ["topic_id"], unique=False)
    op.create_table(
        "item_embeddings",
        sa.Column("item_id", BIGID, autoincrement=False, nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_embeddings_item_id_items"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_embeddings")),
    )


def downgrade() -> None:
    op.drop_table("item_embeddings")
    op.drop_index(op.f("ix_item_topics_topic_id"), table_name="item_topics")
    op.drop_table("item_topics")
    op.drop_table("topics")
