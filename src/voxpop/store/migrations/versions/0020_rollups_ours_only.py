"""measure: the roll-ups count our own items without spam — recompute every day

From now on an item marked spam is in no cell and a competitor's item only in its source's cells
(``rollups.compute_day``). The cells stored before counted both in every total, so every day that holds
an item is queued for the roll-ups to recompute (the rollup stage and ``voxpop serve`` do it; the
dashboard recomputes the recent days it shows at once). Nothing is deleted here.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

QUEUE_ALL_DAYS = {
    "sqlite": "INSERT INTO measure_dirty(day) SELECT DISTINCT date(created_at) FROM items",
    "postgresql": "INSERT INTO measure_dirty(day) SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM items",
}


def upgrade() -> None:
    op.execute(QUEUE_ALL_DAYS[op.get_bind().dialect.name])


def downgrade() -> None:
    """Nothing to undo: the queued days are recomputed by whichever code runs."""
