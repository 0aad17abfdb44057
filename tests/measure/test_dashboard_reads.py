"""How the dashboard reads the roll-up cells: month histograms merged in Python equal the database's merge,
and a day's cells are stored in key order (a dimension's cells of a day lie together)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from voxpop.act.departments import create_department
from voxpop.measure import cell_dimensions, cell_reads, day_cells, month_cells, rollups
from voxpop.measure.series import Slice, breakdown, cube, summary
from voxpop.store import Store
from voxpop.store.models import Item, Source
from voxpop.store.models.measure import DailyCell

START = datetime(2025, 1, 20, 6, 0, tzinfo=UTC)
NOW = datetime(2025, 7, 1, tzinfo=UTC)


def _fill(store: Store) -> None:
    rng = random.Random(11)
    with store.write() as s:
        source = Source(name="Reviews", kind="file", channel="google", config={})
        s.add(source)
        s.flush()
        departments = [create_department(s, name=name).id for name in ("Front desk", "Kitchen")]
        items = []
        for i in range(700):
            created = START + timedelta(hours=rng.randrange(24 * 150), minutes=rng.randrange(60))
            minutes = rng.randrange(1, 3000) if rng.random() < 0.6 else None
            items.append(
                Item(
                    source_id=source.id,
                    dedup_key=f"k:{i}",
                    channel=rng.choice(["google", "twitter", "email"]),
                    kind=rng.choice(["review", "mention", "ticket"]),
                    text=f"item {i}",
                    created_at=created,
                    raw={},
                    status="responded" if minutes else "new",
                    priority=0,
                    sentiment=rng.choice([None, "positive", "neutral", "negative"]),
                    location=rng.choice([None, "Leeds", "York"]),
                    department_id=rng.choice([None, *departments]),
                    responded_at=created + timedelta(minutes=minutes) if minutes else None,
                    aspects=[{"name": "staff", "sentiment": "negative"}] if i % 3 == 0 else [],
                )
            )
        s.add_all(items)
    rollups.process_pending(store, now=NOW)


def test_month_histograms_merged_in_python_equal_the_database_merge(store: Store) -> None:
    _fill(store)
    slices = [
        Slice(date(2025, 2, 1), date(2025, 5, 31)),  # whole months only
        Slice(date(2025, 1, 25), date(2025, 6, 10)),  # days, months, days
        Slice(date(2025, 2, 3), date(2025, 5, 20), location="Leeds"),
        Slice(date(2025, 2, 1), date(2025, 4, 30), channel="google"),
    ]
    with store.read() as s:
        month_cells = 0
        for sl in slices:
            dimension, value = sl.base()
            for group in ((), (DailyCell.department_id,)):
                for where in cell_reads.wheres(None, sl, dimension, value, months=True, group=group):
                    if not cell_reads.reads_month_cells(where):
                        continue
                    month_cells += 1
                    here = sorted(cell_reads.histograms_merged_here(s, group, where))
                    assert here == sorted(cell_reads.histograms(s, group, where)), (sl, group)
                    assert here, (sl, group)
            # and what the dashboard shows from them: the per-department histograms and the median
            got = cube(s, None, sl)
            for department, m in breakdown(s, None, sl, "department", min_n=1, medians=True).items():
                assert got.by_department()[department].response_minutes == m.totals.response_minutes
            assert summary(s, None, sl).median_response_minutes is not None
        assert month_cells >= 8


def test_a_days_cells_are_stored_in_key_order(store: Store) -> None:
    _fill(store)
    day = date(2025, 3, 4)
    with store.write() as s:
        day_cells.recompute_day(s, day, NOW)
        month_cells.recompute_month(s, day.replace(day=1))
    key = (DailyCell.dimension, DailyCell.department_id, DailyCell.channel, DailyCell.value)
    with store.read() as s:
        for first in (day, day.replace(day=1)):
            rows = s.execute(select(*key).where(DailyCell.day == first).order_by(DailyCell.id)).all()
            months = [tuple(r) for r in rows if r[0].startswith(cell_dimensions.MONTHLY)]
            days = [tuple(r) for r in rows if not r[0].startswith(cell_dimensions.MONTHLY)]
            for written in (months, days):
                assert written == sorted(written)
            assert len(days if first == day else months) > 10
