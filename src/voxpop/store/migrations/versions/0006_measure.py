"""measure: daily roll-ups, the dirty-day queue fed by triggers on items, report schedules

Revision ID: 0006
Revises: 0002
Create Date: 2026-11-23

The triggers only append to ``measure_dirty`` (they never change ``items``): SQLite gets row triggers,
PostgreSQL statement triggers with transition tables, so a COPY of a million rows appends one row per
distinct day rather than one per item.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from voxpop.store.types import UtcDateTime

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# Columns whose change moves a number on the dashboard.
WATCHED = (
    "created_at, channel, source_id, kind, location, product, customer_id, rating, rating_raw, rating_min, "
    "rating_max, raw, sentiment, aspects, status, department_id, due_at, responded_at"
)
SQLITE_TRIGGERS = {
    "measure_items_ai": "CREATE TRIGGER measure_items_ai AFTER INSERT ON items BEGIN "
    "INSERT INTO measure_dirty(day) VALUES (date(NEW.created_at)); END",
    "measure_items_ad": "CREATE TRIGGER measure_items_ad AFTER DELETE ON items BEGIN "
    "INSERT INTO measure_dirty(day) VALUES (date(OLD.created_at)); END",
    "measure_items_au": "CREATE TRIGGER measure_items_au AFTER UPDATE OF "  # noqa: S608 (constant text)
    + WATCHED
    + " ON items BEGIN "
    "INSERT INTO measure_dirty(day) VALUES (date(OLD.created_at)); "
    "INSERT INTO measure_dirty(day) SELECT date(NEW.created_at) "
    "WHERE date(NEW.created_at) IS NOT date(OLD.created_at); END",
}
QUEUE_ALL_DAYS = {
    "sqlite": "INSERT INTO measure_dirty(day) SELECT DISTINCT date(created_at) FROM items",
    "postgresql": "INSERT INTO measure_dirty(day) SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM items",
}
PG_FUNCTION = """
CREATE FUNCTION measure_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR TG_OP = 'UPDATE' THEN
        INSERT INTO measure_dirty(day)
        SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM new_rows;
    END IF;
    IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN
        INSERT INTO measure_dirty(day)
        SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM old_rows;
    END IF;
    RETURN NULL;
END $$
"""
PG_TRIGGERS = {
    "measure_items_ai": "CREATE TRIGGER measure_items_ai AFTER INSERT ON items "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION measure_mark_dirty()",
    "measure_items_au": "CREATE TRIGGER measure_items_au AFTER UPDATE ON items "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION measure_mark_dirty()",
    "measure_items_ad": "CREATE TRIGGER measure_items_ad AFTER DELETE ON items "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION measure_mark_dirty()",
}


def _int(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), nullable=False)


def _float(name: str) -> sa.Column[float]:
    return sa.Column(name, sa.Float(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "measure_daily",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _int("department_id"),
        sa.Column("channel", sa.String(length=50), nullable=False),
        sa.Column("value", sa.String(length=420), nullable=False),
        _int("volume"),
        _int("rated"),
        _float("rating_sum"),
        _float("rating_sq"),
        _int("analysed"),
        _int("positive"),
        _int("neutral"),
        _int("negative"),
        _int("nps_n"),
        _int("promoters"),
        _int("detractors"),
        _int("csat_n"),
        _int("csat_top"),
        _int("ces_n"),
        _float("ces_sum"),
        _float("ces_sq"),
        _int("answerable"),
        _int("responded"),
        sa.Column("response_minutes", JSON, nullable=False),
        _int("sla_n"),
        _int("sla_breached"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_daily")),
        sa.UniqueConstraint(
            "dimension",
            "day",
            "department_id",
            "channel",
            "value",
            name=op.f("uq_measure_daily_dimension_day_department_id_channel_value"),
        ),
    )
    op.create_index("ix_measure_daily_dimension_value_day", "measure_daily", ["dimension", "value", "day"])
    op.create_table(
        "measure_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("computed_at", UtcDateTime(), nullable=False),
        sa.Column("next_due_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_measure_days")),
    )
    op.create_index(op.f("ix_measure_days_next_due_at"), "measure_days", ["next_due_at"])
    op.create_table(
        "measure_dirty",
        sa.Column("id", BIGID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_dirty")),
    )
    op.create_index(op.f("ix_measure_dirty_day"), "measure_dirty", ["day"])
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("recipients", JSON, nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("next_run_at", UtcDateTime(), nullable=False),
        sa.Column("last_sent_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_report_schedules_department_id_departments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_report_schedules_created_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_schedules")),
    )
    op.create_index(op.f("ix_report_schedules_next_run_at"), "report_schedules", ["next_run_at"])

    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    else:
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS.values():
            op.execute(statement)
    # Items stored before this migration: every day they touch is due for a first roll-up.
    op.execute(QUEUE_ALL_DAYS[op.get_bind().dialect.name])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        for name in PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON items")
        op.execute("DROP FUNCTION IF EXISTS measure_mark_dirty()")
    op.drop_index(op.f("ix_report_schedules_next_run_at"), table_name="report_schedules")
    op.drop_table("report_schedules")
    op.drop_index(op.f("ix_measure_dirty_day"), table_name="measure_dirty")
    op.drop_table("measure_dirty")
    op.drop_index(op.f("ix_measure_days_next_due_at"), table_name="measure_days")
    op.drop_table("measure_days")
    op.drop_index("ix_measure_daily_dimension_value_day", table_name="measure_daily")
    op.drop_table("measure_daily")
