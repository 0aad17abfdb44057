"""measure: day cells over every channel (``x:all``, ``x:aspect``, ``x:location``) and topic day cells
(``topic``, ``topic_id``) for the days rolled up before they existed

``/trends`` and the dashboard read the store's, each aspect's and each location's daily series over all
channels from the ``x:`` cells (one per department instead of one per department × channel), and the
emerging topics from the ``topic`` cells (items per day, department and topic) instead of ten weeks of
items. ``rollups.recompute_day`` writes both from now on. This fills them in for the days already rolled
up: the ``x:`` cells from the day cells stored (the same sums, histograms merged; no item is read), the
topic cells from the items and their topics (one grouped query; the store-wide topic's id when topics have
been built, else each distinct name of the item's ``topics``). The roll-ups' version token changes, so no cached
page outlives the change. Days not rolled up yet are still queued, and get both when they are computed.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
import secrets
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

SUMMED = "x:"
SUMMED_DIMENSIONS = ("all", "aspect", "location")
TOPIC = "topic"  # an item's own topic names (value: the name)
TOPIC_ID = "topic_id"  # the store-wide topics (value: the id)
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
JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
CELLS = sa.table(
    "measure_daily",
    sa.column("dimension", sa.String),
    sa.column("day", sa.Date),
    sa.column("department_id", sa.Integer),
    sa.column("channel", sa.String),
    sa.column("value", sa.String),
    sa.column("response_minutes", JSON),
    *(sa.column(name) for name in COUNTERS),
)
ITEMS = sa.table(
    "items",
    sa.column("id", sa.Integer),
    sa.column("source_id", sa.Integer),
    sa.column("department_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("created_at", sa.DateTime),
    sa.column("topics", JSON),
)
SOURCES = sa.table("sources", sa.column("id", sa.Integer), sa.column("is_competitor", sa.Boolean))
ITEM_TOPICS = sa.table("item_topics", sa.column("item_id", sa.Integer), sa.column("topic_id", sa.Integer))
TOPICS = sa.table("topics", sa.column("id", sa.Integer))
BATCH = 5000
# SQLite's trigger on ``items`` queues a day only when a column it watches changes (0006): ``topics`` joins
# them, as the topic cells count it. PostgreSQL's statement triggers fire on every update already.
WATCHED = (
    "created_at, channel, source_id, kind, location, product, customer_id, rating, rating_raw, rating_min, "
    "rating_max, raw, sentiment, aspects, status, department_id, due_at, responded_at"
)


def _sqlite_update_trigger(columns: str) -> str:
    return (
        f"CREATE TRIGGER measure_items_au AFTER UPDATE OF {columns} ON items BEGIN "  # noqa: S608 (constant text)
        "INSERT INTO measure_dirty(day) VALUES (date(OLD.created_at)); "
        "INSERT INTO measure_dirty(day) SELECT date(NEW.created_at) "
        "WHERE date(NEW.created_at) IS NOT date(OLD.created_at); END"
    )


def _watch(columns: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS measure_items_au")
        op.execute(_sqlite_update_trigger(columns))


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _insert(bind: sa.Connection, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        bind.execute(sa.insert(CELLS), rows[start : start + BATCH])


def _summed_cells(bind: sa.Connection) -> None:
    """The ``x:`` cells, month by month (bounded memory), from the day cells of the same day."""
    days = bind.execute(sa.select(CELLS.c.day).distinct().where(CELLS.c.dimension == "all")).scalars()
    months = sorted({_day(d).replace(day=1) for d in days})
    key = (CELLS.c.dimension, CELLS.c.day, CELLS.c.department_id, CELLS.c.value)
    sums = [sa.func.sum(CELLS.c[name]).label(name) for name in COUNTERS]
    for first in months:
        nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
        where = (CELLS.c.dimension.in_(SUMMED_DIMENSIONS), CELLS.c.day >= first, CELLS.c.day < nxt)
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in bind.execute(sa.select(*key, *sums).where(*where).group_by(*key)).mappings():
            rows[(row["dimension"], row["day"], row["department_id"], row["value"])] = {
                "dimension": SUMMED + row["dimension"],
                "day": row["day"],
                "department_id": row["department_id"],
                "channel": "",
                "value": row["value"],
                **{name: row[name] for name in COUNTERS},
                "response_minutes": {},
            }
        for *group, histogram in bind.execute(
            sa.select(*key, CELLS.c.response_minutes).where(*where, CELLS.c.responded > 0)
        ):
            merged = rows[tuple(group)]["response_minutes"]
            for minutes, count in (_json(histogram) or {}).items():
                merged[str(minutes)] = merged.get(str(minutes), 0) + int(count)
        _insert(bind, [rows[k] for k in sorted(rows, key=lambda k: (k[0], str(k[1]), k[2], k[3]))])


def _topic_cells(bind: sa.Connection) -> None:
    """The ``topic`` cells of every day from the items (ours, no spam) and their topics."""
    if bind.dialect.name == "postgresql":
        day: Any = sa.func.date(sa.func.timezone("UTC", ITEMS.c.created_at))
    else:
        day = sa.func.date(ITEMS.c.created_at)
    day = day.label("day")
    store_wide = bind.scalar(sa.select(TOPICS.c.id).limit(1)) is not None
    topic: Any = ITEM_TOPICS.c.topic_id if store_wide else ITEMS.c.topics
    query = (
        sa.select(day, ITEMS.c.department_id, topic, sa.func.count())
        .select_from(ITEMS)
        .join(SOURCES, SOURCES.c.id == ITEMS.c.source_id)
        .where(ITEMS.c.status != "spam", SOURCES.c.is_competitor.is_(False))
    )
    if store_wide:
        query = query.join(ITEM_TOPICS, ITEM_TOPICS.c.item_id == ITEMS.c.id).where(ITEM_TOPICS.c.topic_id.is_not(None))
    found: dict[tuple[date, int, str, str], int] = {}
    for raw_day, department, raw, n in bind.execute(query.group_by(day, ITEMS.c.department_id, topic)):
        if store_wide:
            found[(_day(raw_day), department or 0, TOPIC_ID, str(raw))] = n
            continue
        for name in {str(t)[:420] for t in _json(raw) or ()}:
            k = (_day(raw_day), department or 0, TOPIC, name)
            found[k] = found.get(k, 0) + n
    rolled_up = {_day(d) for (d,) in bind.execute(sa.text("SELECT day FROM measure_days"))}
    _insert(
        bind,
        [
            {"dimension": dimension, "day": on, "department_id": department, "channel": "", "value": value}
            | dict.fromkeys(COUNTERS, 0)
            | {"volume": n, "response_minutes": {}}
            for (on, department, dimension, value), n in sorted(found.items())
            if on in rolled_up
        ],
    )


def upgrade() -> None:
    bind = op.get_bind()
    _watch(WATCHED + ", topics")
    bind.execute(
        sa.delete(CELLS).where(CELLS.c.dimension.in_([*(SUMMED + d for d in SUMMED_DIMENSIONS), TOPIC, TOPIC_ID]))
    )
    _summed_cells(bind)
    _topic_cells(bind)
    bind.execute(sa.text("UPDATE measure_version SET version = :token"), {"token": secrets.token_hex(16)})


def downgrade() -> None:
    _watch(WATCHED)
    op.get_bind().execute(
        sa.delete(CELLS).where(CELLS.c.dimension.in_([*(SUMMED + d for d in SUMMED_DIMENSIONS), TOPIC, TOPIC_ID]))
    )
