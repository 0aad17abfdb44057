"""loop: surveys (questions, recipients, responses) and the feedback widget's sites

Revision ID: 0008
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from voxpop.store.types import UtcDateTime

revision = "0008"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "loop_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("intro", sa.Text(), nullable=False),
        sa.Column("thank_you", sa.Text(), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("closes_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_surveys")),
        sa.UniqueConstraint("slug", name=op.f("uq_loop_surveys_slug")),
    )
    op.create_table(
        "loop_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("prompt", sa.Text(), nullable=False),
        sa.Column("options", JSON, nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("followup_at_or_below", sa.Float(), nullable=True),
        sa.Column("followup_prompt", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["loop_surveys.id"],
            name=op.f("fk_loop_questions_survey_id_loop_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_questions")),
    )
    op.create_index(op.f("ix_loop_questions_survey_id"), "loop_questions", ["survey_id"], unique=False)
    op.create_table(
        "loop_survey_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("customer_id", BIGID, nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=True),
        sa.Column("clicked_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loop_survey_recipients_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["loop_surveys.id"],
            name=op.f("fk_loop_survey_recipients_survey_id_loop_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_survey_recipients")),
        sa.UniqueConstraint("survey_id", "email", name=op.f("uq_loop_survey_recipients_survey_id_email")),
    )
    op.create_index(op.f("ix_loop_survey_recipients_survey_id"), "loop_survey_recipients", ["survey_id"], unique=False)
    op.create_table(
        "loop_survey_responses",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=True),
        sa.Column("answers", JSON, nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("customer_id", BIGID, nullable=True),
        sa.Column("item_id", BIGID, nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_loop_survey_responses_customer_id_customers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_loop_survey_responses_item_id_items"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["loop_survey_recipients.id"],
            name=op.f("fk_loop_survey_responses_recipient_id_loop_survey_recipients"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["loop_surveys.id"],
            name=op.f("fk_loop_survey_responses_survey_id_loop_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_survey_responses")),
        sa.UniqueConstraint("recipient_id", name=op.f("uq_loop_survey_responses_recipient_id")),
    )
    op.create_index(op.f("ix_loop_survey_responses_survey_id"), "loop_survey_responses", ["survey_id"], unique=False)
    op.create_table(
        "loop_widget_sites",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("site_key", sa.String(length=64), nullable=False),
        sa.Column("origins", JSON, nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_widget_sites")),
        sa.UniqueConstraint("name", name=op.f("uq_loop_widget_sites_name")),
        sa.UniqueConstraint("site_key", name=op.f("uq_loop_widget_sites_site_key")),
    )


def downgrade() -> None:
    op.drop_table("loop_widget_sites")
    op.drop_index(op.f("ix_loop_survey_responses_survey_id"), table_name="loop_survey_responses")
    op.drop_table("loop_survey_responses")
    op.drop_index(op.f("ix_loop_survey_recipients_survey_id"), table_name="loop_survey_recipients")
    op.drop_table("loop_survey_recipients")
    op.drop_index(op.f("ix_loop_questions_survey_id"), table_name="loop_questions")
    op.drop_table("loop_questions")
    op.drop_table("loop_surveys")
