"""The day cells summed over every channel (``x:all``, ``x:aspect``, ``x:location``) and the topic day cells
follow the items, the reads over all channels give what the per-channel cells give, and migration 0024
writes the same cells for days rolled up before they existed."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from tests.measure.test_rollups import NOW, T0, _item, _random_items, _source
from voxpop.act.departments import create_department
from voxpop.measure import rollups, topic_cells
from voxpop.measure.cell_dimensions import SUMMED, SUMMED_DIMENSIONS
from voxpop.measure.series import Slice, breakdown, series, series_by
from voxpop.store import Store
from voxpop.store.migrate import downgrade, upgrade
from voxpop.store.models import Item, Source
from voxpop.store.models.measure import DailyCell
from voxpop.store.models.topics import ItemTopic, StoreTopic

COUNTED = ("volume", "analysed", "positive", "negative", "rated", "rating_sum", "answerable", "responded", "sla_n")


def _cells(store: Store, dimensions: tuple[str, ...]) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    with store.read() as s:
        return {
            (c.dimension, c.day, c.department_id, c.channel, c.value): (
                *(round(getattr(c, n), 6) for n in COUNTED),
                tuple(sorted(c.response_minutes.items())),
            )
            for c in s.scalars(select(DailyCell).where(DailyCell.dimension.in_(dimensions)))
        }


def _expected_summed(store: Store) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """The per-channel day cells of ``SUMMED_DIMENSIONS`` summed over their channels."""
    sums: dict[tuple[Any, ...], list[Any]] = {}
    hists: dict[tuple[Any, ...], Counter[str]] = {}
    for (dimension, day, department, _, value), (*counts, hist) in _cells(store, SUMMED_DIMENSIONS).items():
        key = (SUMMED + dimension, day, department, "", value)
        into = sums.setdefault(key, [0] * len(COUNTED))
        for n, count in enumerate(counts):
            into[n] = round(into[n] + count, 6)
        hists.setdefault(key, Counter()).update(dict(hist))
    return {key: (*counts, tuple(sorted(hists[key].items()))) for key, counts in sums.items()}


def _expected_topics(store: Store) -> dict[tuple[Any, ...], int]:
    """Per (day, department, cell dimension, value): our own items without spam in each topic — the
    store-wide topic's id once those exist, else each distinct name of the item's own list."""
    found: Counter[tuple[Any, ...]] = Counter()
    with store.read() as s:
        store_wide = s.scalar(select(StoreTopic.id).limit(1)) is not None
        topic_of = dict(s.execute(select(ItemTopic.item_id, ItemTopic.topic_id)).all())
        rows = s.execute(
            select(Item.id, Item.created_at, Item.department_id, Item.topics)
            .join(Source, Source.id == Item.source_id)
            .where(Item.status != "spam", Source.is_competitor.is_(False))
        )
        for item_id, created, department, topics in rows:
            if store_wide:
                keys = {(topic_cells.TOPIC_ID, str(topic_of[item_id]))} if topic_of.get(item_id) else set()
            else:
                keys = {(topic_cells.TOPIC, name) for name in topics or ()}
            for dimension, value in keys:
                found[(created.date(), department or 0, dimension, value)] += 1
    return dict(found)


def _topic_cells(store: Store) -> dict[tuple[Any, ...], int]:
    with store.read() as s:
        cells = s.scalars(select(DailyCell).where(DailyCell.dimension.in_(topic_cells.TOPIC_DIMENSIONS)))
        return {(c.day, c.department_id, c.dimension, c.value): c.volume for c in cells}


def test_summed_and_topic_cells_follow_the_items_and_the_migration_fills_them(store: Store) -> None:
    rng = random.Random(7)
    source = _source(store)
    with store.write() as s:
        departments = [create_department(s, name=n).id for n in ("Billing", "Delivery")]
        items = _random_items(source, departments, rng, 0, 150)
        for item in items:
            item.topics = rng.sample(["wifi", "breakfast", "parking"], rng.randrange(3))
        s.add_all(items)
        rival = Source(name="Rival", kind="file", channel="google", config={}, is_competitor=True, competitor="R")
        s.add(rival)
        s.flush()
        s.add_all(_random_items(rival.id, departments, rng, 1000, 20))  # a competitor's: in no summed cell
    rollups.process_pending(store, now=NOW)
    summed_dimensions = tuple(SUMMED + d for d in SUMMED_DIMENSIONS)
    assert _cells(store, summed_dimensions) == _expected_summed(store)
    assert _topic_cells(store) == _expected_topics(store) != {}

    # Changes through the items: a re-analysis, a move, spam, an erasure.
    with store.write() as s:
        ids = list(s.scalars(select(Item.id).where(Item.source_id == source).order_by(Item.id).limit(8)))
        s.execute(update(Item).where(Item.id.in_(ids[:3])).values(sentiment="negative", topics=["wifi"]))
        s.execute(update(Item).where(Item.id == ids[3]).values(department_id=departments[1], channel="email"))
        s.execute(update(Item).where(Item.id == ids[4]).values(status="spam"))
        s.execute(delete(Item).where(Item.id.in_(ids[5:])))
    rollups.ensure_fresh(store, now=NOW)
    assert _cells(store, summed_dimensions) == _expected_summed(store)
    assert _topic_cells(store) == _expected_topics(store)

    # The reads over all channels (now from the summed cells) equal the per-channel cells summed.
    period = Slice(T0.date(), T0.date() + timedelta(days=25))
    with store.read() as s:
        for by in ("aspect", "location"):
            summed: Counter[str] = Counter()
            for channel in ("google", "twitter", "email"):
                for label, m in breakdown(s, None, replace(period, channel=channel), by, min_n=1).items():
                    summed[label] += m.totals.volume
            overall = breakdown(s, None, period, by, min_n=1)
            assert {label: m.totals.volume for label, m in overall.items()} == dict(summed) != {}
            for label, points in series_by(s, None, period, by).items():
                assert sum(p.metrics.totals.negative for p in points) == overall[label].totals.negative
        ours = (
            select(func.count())
            .select_from(Item)
            .join(Source)
            .where(Item.status != "spam", Source.is_competitor.is_(False))
        )
        assert sum(p.metrics.totals.volume for p in series(s, None, period)) == s.scalar(ours)

    # Store-wide topics replace the items' own names once assigned (``store_topics`` recomputes the cells).
    with store.write() as s:
        topic = StoreTopic(name="late checkout", centroid=b"", threshold=0.5)
        s.add(topic)
        s.flush()
        for item_id in s.scalars(select(Item.id).where(Item.source_id == source).order_by(Item.id).limit(40)):
            s.add(ItemTopic(item_id=item_id, topic_id=topic.id))
        s.flush()
        topic_cells.recompute_topic_cells(s)
    assert _topic_cells(store) == _expected_topics(store)
    assert {(dimension, value) for _, _, dimension, value in _topic_cells(store)} == {
        (topic_cells.TOPIC_ID, str(topic.id))
    }

    before_summed, before_topics = _cells(store, summed_dimensions), _topic_cells(store)
    downgrade(store.engine, "0023")
    assert _cells(store, summed_dimensions) == {}
    assert _topic_cells(store) == {}
    upgrade(store.engine)
    assert _cells(store, summed_dimensions) == before_summed
    assert _topic_cells(store) == before_topics


def test_a_topic_day_is_recomputed_with_its_day(store: Store) -> None:
    source = _source(store)
    with store.write() as s:
        s.add(_item(source, 0, topics=["wifi", "wifi", "parking"]))
    rollups.process_pending(store, now=NOW)
    day: date = T0.date()
    assert _topic_cells(store) == {(day, 0, "topic", "wifi"): 1, (day, 0, "topic", "parking"): 1}
    with store.write() as s:
        s.execute(update(Item).values(topics=["breakfast"]))
    rollups.ensure_fresh(store, now=NOW)
    assert _topic_cells(store) == {(day, 0, "topic", "breakfast"): 1}
