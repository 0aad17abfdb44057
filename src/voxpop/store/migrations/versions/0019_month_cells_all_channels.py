"""measure: month × department cells over every channel (dimension ``m:all_channels``) for the months
rolled up before they existed

The dashboard reads a long period's whole-store totals and response-time medians from these cells (one
per department and month instead of one per department × channel). ``rollups.recompute_month`` writes
them from now on; this fills them in, from the ``m:all`` month cells already stored, with the same sums
(no item is read). The roll-ups' version token changes, so no cached dashboard outlives the change.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

DIMENSION = "m:all_channels"
COUNTERS = (
    "volume",
    "rated",
    "rating_sum",
    "rating_sq",
    "analysed",
    "positive",
    "neutral",
    "negative",
    "nps_n",
    "promoters",
    "detractors",
    "csat_n",
    "csat_top",
    "ces_n",
    "ces_sum",
    "ces_sq",
    "answerable",
    "responded",
    "sla_n",
    "sla_breached",
)


def _histogram(value: Any) -> dict[str, int]:
    if isinstance(value, str):
        value = json.loads(value)
    return {str(k): int(v) for k, v in (value or {}).items()}


def upgrade() -> None:
    bind = op.get_bind()
    cells = sa.table(
        "measure_daily",
        sa.column("dimension", sa.String),
        sa.column("day", sa.Date),
        sa.column("department_id", sa.Integer),
        sa.column("channel", sa.String),
        sa.column("value", sa.String),
        sa.column("response_minutes", sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")),
        *(sa.column(name) for name in COUNTERS),
    )
    bind.execute(sa.delete(cells).where(cells.c.dimension == DIMENSION))
    sums = [sa.func.sum(cells.c[name]).label(name) for name in COUNTERS]
    rows: dict[tuple[Any, int], dict[str, Any]] = {}
    for row in bind.execute(
        sa.select(cells.c.day, cells.c.department_id, *sums)
        .where(cells.c.dimension == "m:all")
        .group_by(cells.c.day, cells.c.department_id)
    ).mappings():
        rows[(row["day"], row["department_id"])] = {
            "dimension": DIMENSION,
            "day": row["day"],
            "department_id": row["department_id"],
            "channel": "",
            "value": "",
            **{name: row[name] for name in COUNTERS},
            "response_minutes": {},
        }
    for day, department, value in bind.execute(
        sa.select(cells.c.day, cells.c.department_id, cells.c.response_minutes).where(
            cells.c.dimension == "m:all", cells.c.responded > 0
        )
    ):
        merged = rows[(day, department)]["response_minutes"]
        for minutes, count in _histogram(value).items():
            merged[minutes] = merged.get(minutes, 0) + count
    if rows:
        bind.execute(sa.insert(cells), list(rows.values()))
    bind.execute(sa.text("UPDATE measure_version SET version = :token"), {"token": secrets.token_hex(16)})


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM measure_daily WHERE dimension = :name"), {"name": DIMENSION})
