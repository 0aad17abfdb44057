"""Emerging topics: a theme that grows faster than its baseline is flagged; steady ones are not."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from tests.measure.hotels import dated_series, read_reviews
from tests.measure.insight_store import make_source, store_rows
from voxpop.accounts.users import create_user
from voxpop.act.departments import create_department
from voxpop.measure.emerging import (
    BASELINE_DAYS,
    RECENT_DAYS,
    emerging_in_store,
    emerging_topics,
    topic_cell_counts,
)
from voxpop.measure.observations import Observation, load_observations, topic_window_counts
from voxpop.measure.rollups import process_pending
from voxpop.measure.topic_cells import recompute_topic_cells
from voxpop.store import Store
from voxpop.store.models import Item, User
from voxpop.store.models.topics import ItemTopic, StoreTopic

END = date(2016, 6, 30)


def test_a_growing_topic_is_flagged_and_a_steady_one_is_not(shared_data: Path) -> None:
    rows = dated_series(read_reviews(shared_data), date(2016, 3, 1), END)
    rng = random.Random(0)
    tagged = []
    for row in rows:
        topics: list[str] = []
        if rng.random() < 0.2:
            topics.append("breakfast buffet")  # steady all along
        if row.day >= date(2016, 6, 17) and rng.random() < 0.3:
            topics.append("shuttle bus")  # new in the last two weeks
        tagged.append(replace(row, topics=tuple(topics)))
    found = emerging_topics(tagged, END)
    assert [t.name for t in found] == ["shuttle bus"]
    shuttle = found[0]
    assert shuttle.baseline == 0
    assert shuttle.recent >= 5
    assert shuttle.p_value < 0.01
    assert shuttle.since == date(2016, 6, 17)
    # With the same topic spread evenly over the whole period, nothing emerges.
    even = [replace(r, topics=("shuttle bus",) if rng.random() < 0.1 else ()) for r in rows]
    assert emerging_topics(even, END) == []
    assert emerging_topics([], END) == []


def _tagged(shared_data: Path) -> list[Observation]:
    """Reviews of ten months, some naming a steady topic, a new one in the last two weeks, a topic twice."""
    rows = dated_series(read_reviews(shared_data), date(2015, 9, 1), END)
    rng = random.Random(3)
    tagged = []
    for row in rows:
        topics: list[str] = []
        if rng.random() < 0.2:
            topics.append("breakfast buffet")
        if rng.random() < 0.05:
            topics += ["parking", "parking"]  # named twice: counts once
        if row.day >= date(2016, 6, 17) and rng.random() < 0.3:
            topics.append("shuttle bus")
        tagged.append(replace(row, topics=tuple(topics), channel=rng.choice(["google", "tripadvisor"])))
    return tagged


def _same(store: Store, viewer: User | None, *, location: str | None = None, channel: str | None = None) -> int:
    """The database's counts (the items', and the roll-ups' cells) give what the observations give, over
    the whole ten weeks and a shorter period; returns how many topics emerged."""
    process_pending(store)
    emerged = 0
    with store.read() as s:
        who = s.merge(viewer) if viewer is not None else None
        for start in (None, date(2016, 6, 1)):
            first = start or END - timedelta(days=RECENT_DAYS + BASELINE_DAYS - 1)
            rows = load_observations(s, who, start=first, end=END, location=location, channel=channel)
            expected = emerging_topics(rows, END)
            assert emerging_in_store(s, who, END, start=start, location=location, channel=channel) == expected
            since = END - timedelta(days=RECENT_DAYS - 1)
            counts = topic_window_counts(s, who, first, since, END, location=location, channel=channel)
            recent = [r for r in rows if r.day >= since]
            assert counts.recent_total == len(recent)
            assert counts.baseline_total == len(rows) - len(recent)
            assert counts.recent == Counter(t for r in recent for t in set(r.topics))
            if location is None and channel is None:  # the roll-ups' topic cells give the same
                assert topic_cell_counts(s, who, first, since, END) == counts
                assert emerging_in_store(s, who, END, start=start, from_cells=True) == expected
            emerged += len(expected)
    return emerged


def test_the_store_counts_equal_the_observations(store: Store, shared_data: Path) -> None:
    rows = _tagged(shared_data)
    with store.write() as s:
        ours = create_department(s, name="Front desk")
        other = create_department(s, name="Other")
        agent = create_user(
            s, email="a@example.com", password="correct horse battery", role="agent", department_ids=[ours.id]
        )
        ours_id, other_id = ours.id, other.id
    source = make_source(store)
    half = len(rows) // 2
    store_rows(store, rows[:half], source, department_id=ours_id)
    ids = store_rows(store, rows[half:], source, department_id=other_id)
    rival = make_source(store, "Rival", competitor="Rival Hotel")
    store_rows(store, [replace(r, id=r.id + 10**6) for r in rows[-300:]], rival)  # a competitor's: not counted
    with store.write() as s:  # some spam, not counted
        for item_id in list(ids.values())[-200::7]:
            item = s.get(Item, item_id)
            assert item is not None
            item.status = "spam"
    assert _same(store, None) > 0
    _same(store, agent)
    _same(store, None, channel="google")
    _same(store, None, location=rows[0].location or "")
    # Once store-wide topics exist, they are the topics (an item in none counts in the totals only).
    with store.write() as s:
        names = [StoreTopic(name=n, centroid=b"", threshold=0.5) for n in ("late checkout", "shuttle", "")]
        s.add_all(names)
        s.flush()
        for n, item_id in enumerate(ids.values()):
            topic = names[n % 3] if n % 4 else None
            s.add(ItemTopic(item_id=item_id, topic_id=topic.id if topic is not None else None))
        s.flush()
        recompute_topic_cells(s)  # as ``store_topics`` does after it assigns topics
    assert _same(store, None) == 0
    _same(store, agent)
