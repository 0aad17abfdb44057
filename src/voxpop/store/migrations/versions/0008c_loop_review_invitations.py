"""loop: review invitations (platform links per location, one row per invitation sent)

Revision ID: 0008c
Revises: 0008b
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from voxpop.store.types import UtcDateTime

revision = "0008c"
down_revision = "0008b"
branch_labels = None
depends_on = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "loop_review_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_review_links")),
        sa.UniqueConstraint("platform", "location", name=op.f("uq_loop_review_links_platform_location")),
    )
    op.create_table(
        "loop_review_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", BIGID, nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("clicked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loop_review_invitations_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_review_invitations")),
    )
    op.create_index(
        "ix_loop_review_invitations_email_created", "loop_review_invitations", ["email", "created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_loop_review_invitations_email_created", table_name="loop_review_invitations")
    op.drop_table("loop_review_invitations")
    op.drop_table("loop_review_links")
