"""measure: a competitor's aspects get roll-up cells of their own — recompute the days of its items

From now on a competitor's item (its source is marked ``is_competitor``) also counts in ``aspect_source``
cells (value ``aspect`` + ``rollups.PAIR`` + source id), which the competitor benchmark reads instead of
scanning every item of the period. The cells stored before have none, so every day holding an item of a
competitor's source is queued for the roll-ups to recompute (the rollup stage and ``voxpop serve`` do
it). Competitors' items are few, so this is few days' work; nothing is deleted here.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

COMPETITOR_ITEMS = "FROM items WHERE source_id IN (SELECT id FROM sources WHERE is_competitor)"
QUEUE_COMPETITOR_DAYS = {
    "sqlite": f"INSERT INTO measure_dirty(day) SELECT DISTINCT date(created_at) {COMPETITOR_ITEMS}",
    "postgresql": (
        f"INSERT INTO measure_dirty(day) SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date {COMPETITOR_ITEMS}"
    ),
}


def upgrade() -> None:
    op.execute(QUEUE_COMPETITOR_DAYS[op.get_bind().dialect.name])


def downgrade() -> None:
    """Nothing to undo: the ``aspect_source`` cells are ignored by code that does not read them."""
