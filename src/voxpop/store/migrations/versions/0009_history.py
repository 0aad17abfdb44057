"""history: item_keys (one item per platform id across sources) and item_revisions (edits kept)

Revision ID: 0009
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from voxpop.store.types import UtcDateTime

revision = "0009"
down_revision = "0002"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "item_keys",
        sa.Column("platform_key", sa.String(length=200), nullable=False),
        sa.Column("item_id", BIGID, nullable=False),
        sa.Column("edited_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_item_keys_item_id_items"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("platform_key", name=op.f("pk_item_keys")),
    )
    op.create_index(op.f("ix_item_keys_item_id"), "item_keys", ["item_id"], unique=False)
    op.create_table(
        "item_revisions",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("item_id", BIGID, nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("rating_raw", sa.Float(), nullable=True),
        sa.Column("rating_min", sa.Float(), nullable=True),
        sa.Column("rating_max", sa.Float(), nullable=True),
        sa.Column("rating", sa.Float(), nullable=True),
        sa.Column("written_at", UtcDateTime(), nullable=True),
        sa.Column("replaced_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_revisions_item_id_items"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_item_revisions_source_id_sources"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_revisions")),
    )
    op.create_index(op.f("ix_item_revisions_item_id"), "item_revisions", ["item_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_item_revisions_item_id"), table_name="item_revisions")
    op.drop_table("item_revisions")
    op.drop_index(op.f("ix_item_keys_item_id"), table_name="item_keys")
    op.drop_table("item_keys")
