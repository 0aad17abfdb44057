"""loop: the public idea board (identities verified by e-mail, ideas, votes, comments)

Revision ID: 0008b
Revises: 0008
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from voxpop.store.types import UtcDateTime

revision = "0008b"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "loop_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("verified_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_identities")),
        sa.UniqueConstraint("email", name=op.f("uq_loop_identities_email")),
    )
    op.create_table(
        "loop_ideas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_note", sa.Text(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("item_id", BIGID, nullable=True),
        sa.Column("embedding", JSON, nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["loop_identities.id"],
            name=op.f("fk_loop_ideas_identity_id_loop_identities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_loop_ideas_item_id_items"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["loop_ideas.id"],
            name=op.f("fk_loop_ideas_merged_into_id_loop_ideas"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_ideas")),
    )
    op.create_index(op.f("ix_loop_ideas_merged_into_id"), "loop_ideas", ["merged_into_id"], unique=False)
    op.create_table(
        "loop_idea_votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["loop_ideas.id"], name=op.f("fk_loop_idea_votes_idea_id_loop_ideas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["loop_identities.id"],
            name=op.f("fk_loop_idea_votes_identity_id_loop_identities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_idea_votes")),
        sa.UniqueConstraint("idea_id", "identity_id", name=op.f("uq_loop_idea_votes_idea_id_identity_id")),
    )
    op.create_index(op.f("ix_loop_idea_votes_idea_id"), "loop_idea_votes", ["idea_id"], unique=False)
    op.create_table(
        "loop_idea_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["idea_id"], ["loop_ideas.id"], name=op.f("fk_loop_idea_comments_idea_id_loop_ideas"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["loop_identities.id"],
            name=op.f("fk_loop_idea_comments_identity_id_loop_identities"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_idea_comments")),
    )
    op.create_index(op.f("ix_loop_idea_comments_idea_id"), "loop_idea_comments", ["idea_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_loop_idea_comments_idea_id"), table_name="loop_idea_comments")
    op.drop_table("loop_idea_comments")
    op.drop_index(op.f("ix_loop_idea_votes_idea_id"), table_name="loop_idea_votes")
    op.drop_table("loop_idea_votes")
    op.drop_index(op.f("ix_loop_ideas_merged_into_id"), table_name="loop_ideas")
    op.drop_table("loop_ideas")
    op.drop_table("loop_identities")
