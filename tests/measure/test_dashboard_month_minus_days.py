"""Whole-number breakdowns read most of a month as the month's cell minus its other days: same numbers."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from voxpop.act.departments import create_department
from voxpop.measure import cell_reads, rollups
from voxpop.measure.series import SENTIMENT_COUNTERS, Slice, breakdown
from voxpop.store import Store
from voxpop.store.models import Item, Source

START = datetime(2025, 3, 20, 8, 0, tzinfo=UTC)
SLICES = [
    Slice(date(2025, 4, 3), date(2025, 6, 30)),  # 90 days: Apr 3-30 = April minus Apr 1-2
    Slice(date(2025, 5, 2), date(2025, 5, 31)),  # 30 days inside one month
    Slice(date(2025, 4, 7), date(2025, 5, 6)),  # most of April, a little of May
    Slice(date(2025, 3, 25), date(2025, 6, 28)),  # both ends
    Slice(date(2025, 4, 10), date(2025, 4, 20), channel="google"),  # too little of the month: days only
    Slice(date(2025, 4, 2), date(2025, 5, 30), location="Leeds"),
]


def _items(source: int, departments: list[int], rng: random.Random) -> list[Item]:
    found = []
    for i in range(900):
        created = START + timedelta(hours=rng.randrange(24 * 110), minutes=rng.randrange(60))
        fields: dict[str, Any] = {
            "source_id": source,
            "dedup_key": f"k:{i}",
            "channel": rng.choice(["google", "twitter", "email"]),
            "kind": rng.choice(["review", "mention", "ticket"]),
            "text": f"item {i}",
            "created_at": created,
            "raw": {},
            "status": "new",
            "priority": 0,
            "rating": rng.choice([None, 0.0, 0.25, 0.5, 0.75, 1.0]),
            "sentiment": rng.choice([None, "positive", "neutral", "negative"]),
            "location": rng.choice([None, "Leeds", "York"]),
            "department_id": rng.choice([None, *departments]),
            "aspects": [
                {"name": a, "sentiment": rng.choice(["positive", "negative", "neutral"])}
                for a in rng.sample(["staff", "price", "room", "food"], rng.randrange(3))
            ],
        }
        found.append(Item(**fields))
    return found


def test_month_minus_days_gives_the_days_sums(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    with store.write() as s:
        source = Source(name="Reviews", kind="file", channel="google", config={})
        s.add(source)
        s.flush()
        departments = [create_department(s, name=name).id for name in ("Front desk", "Kitchen")]
        s.add_all(_items(source.id, departments, random.Random(5)))
    rollups.process_pending(store, now=datetime(2025, 7, 15, tzinfo=UTC))
    subtracted = 0
    with store.read() as s:
        for sl in SLICES:
            signs = [sign for _, _, sign in cell_reads.month_minus_days(cell_reads.period_parts(sl))]
            subtracted += -1 in signs
            for by in ("aspect", "aspect_location", "location", "channel", "department"):
                if (by in ("channel", "aspect_location") and sl.channel) or (
                    by in ("location", "aspect_location") and sl.location
                ):
                    continue
                got = breakdown(s, None, sl, by, sentiment_only=True)
                with monkeypatch.context() as patched:
                    patched.setattr(cell_reads, "EXACT_COUNTERS", frozenset())  # no subtraction: days and months
                    expected = breakdown(s, None, sl, by, sentiment_only=True)
                assert list(got) == list(expected), (sl, by)
                for key, metrics in got.items():
                    assert [getattr(metrics.totals, name) for name in SENTIMENT_COUNTERS] == [
                        getattr(expected[key].totals, name) for name in SENTIMENT_COUNTERS
                    ], (sl, by, key)
    assert subtracted >= 4
