"""The roll-ups' topic day cells: per day and department, our own items (no spam, no competitor's) in each
topic, over every channel.

Which topics: the store-wide ones when they exist (``analyze.store_topics``; dimension ``TOPIC_ID``, value =
the topic's id), else each name of the item's own ``topics`` list (dimension ``TOPIC``, value = the name).
Emerging topics (``measure.emerging``) and the topics page (``measure.topic_trends``) count from them.
``day_cells.recompute_day`` writes a day's topic cells with its other cells; topic assignments are not in
``items``, so its triggers never see them, and ``store_topics`` calls :func:`recompute_topic_cells` after a
re-cluster or an assignment.
"""

from __future__ import annotations

from datetime import UTC, date
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, select
from sqlalchemy.orm import Session

from voxpop.measure.cache import bump
from voxpop.measure.observations import between, ours
from voxpop.store.models import Item, Source
from voxpop.store.models.measure import DailyCell
from voxpop.store.models.topics import ItemTopic, StoreTopic

TOPIC = "topic"
TOPIC_ID = "topic_id"
TOPIC_DIMENSIONS = (TOPIC, TOPIC_ID)


def _day_of(session: Session) -> Any:
    """The UTC day of ``items.created_at`` as SQL (a ``date`` on PostgreSQL, ISO text on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", Item.created_at))
    return func.date(Item.created_at)


def topic_counts(session: Session, first: date, last: date) -> dict[tuple[date, int, str, str], int]:
    """Per (day, department id or 0, cell dimension, value), our own items (no spam, no competitor's) of
    ``[first, last]`` in a topic: each item in its store-wide topic (``TOPIC_ID``, the id) when store-wide
    topics exist, else once per distinct name of its ``topics`` (``TOPIC``, the name; as
    ``observations.load_observations`` names them). One grouped query; an item's ``topics`` list is decoded
    once per distinct list."""
    store_wide = session.scalar(select(StoreTopic.id).limit(1)) is not None
    topic: Any = ItemTopic.topic_id if store_wide else Item.topics
    day = _day_of(session).label("day")
    query = (
        select(day, Item.department_id, topic, func.count())
        .select_from(Item)
        .join(Source, Source.id == Item.source_id)
        .where(*ours(*between(first, last)))
    )
    if store_wide:
        query = query.join(ItemTopic, ItemTopic.item_id == Item.id).where(ItemTopic.topic_id.is_not(None))
    found: dict[tuple[date, int, str, str], int] = {}
    for raw_day, department, raw, n in session.execute(query.group_by(day, Item.department_id, topic)):
        on = raw_day if isinstance(raw_day, date) else date.fromisoformat(str(raw_day))
        if store_wide:
            found[(on, department or 0, TOPIC_ID, str(raw))] = n
            continue
        for name in {str(t)[:420] for t in raw or ()}:
            key = (on, department or 0, TOPIC, name)
            found[key] = found.get(key, 0) + n
    return found


def recompute_topic_cells(session: Session, first: date | None = None, last: date | None = None) -> int:
    """Replace the topic cells (``TOPIC_DIMENSIONS``) of ``[first, last]`` (default: every day) from the
    items and their topics now; returns how many cells. What a re-cluster or an assignment calls, in its
    transaction."""
    from voxpop.measure.rollups import lock_writer  # here: the roll-ups import this module

    lock_writer(session)
    where: list[ColumnElement[bool]] = [DailyCell.dimension.in_(TOPIC_DIMENSIONS)]
    if first is not None:
        where.append(DailyCell.day >= first)
    if last is not None:
        where.append(DailyCell.day <= last)
    if first is None or last is None:
        bounds = session.execute(select(func.min(Item.created_at), func.max(Item.created_at))).one()
        if bounds[0] is None:
            session.execute(delete(DailyCell).where(*where))
            bump(session)
            return 0
        first = first or bounds[0].astimezone(UTC).date()
        last = last or bounds[1].astimezone(UTC).date()
    session.execute(delete(DailyCell).where(*where))
    counts = topic_counts(session, first, last)
    rows = [
        {"dimension": dimension, "day": on, "department_id": department, "channel": "", "value": value, "volume": n}
        for (on, department, dimension, value), n in sorted(counts.items())
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(DailyCell), rows[start : start + 5000])
    bump(session)
    return len(rows)
