"""Daily roll-ups equal a from-scratch computation after inserts, updates, deletes and re-runs."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update

from voxpop.accounts.users import create_user
from voxpop.act.departments import create_department
from voxpop.measure import rollups
from voxpop.measure.cell_dimensions import ALL_CHANNELS
from voxpop.measure.metrics import Metrics
from voxpop.measure.month_cells import coarse_minutes
from voxpop.measure.overview import regroup
from voxpop.measure.series import Slice, breakdown, cube, series, summary
from voxpop.store import Store
from voxpop.store.models import Item, Source, User
from voxpop.store.models.measure import DailyCell, DirtyDay
from voxpop.workers.executor import InlineExecutor, load_builtin_tasks
from voxpop.workers.pipeline import run_pipeline

T0 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2025, 6, 1, tzinfo=UTC)
JAN = Slice(date(2025, 5, 1), date(2025, 5, 31))


def _item(source_id: int, n: int, **fields: Any) -> Item:
    values: dict[str, Any] = {
        "source_id": source_id,
        "dedup_key": f"k:{n}",
        "channel": "google",
        "kind": "review",
        "text": f"item {n}",
        "created_at": T0 + timedelta(hours=n),
        "raw": {},
        "status": "new",
        "priority": 0,
    }
    values.update(fields)
    return Item(**values)


def _source(store: Store) -> int:
    with store.write() as s:
        source = Source(name="Reviews", kind="file", channel="google", config={})
        s.add(source)
        s.flush()
        return source.id


def _snapshot(store: Store) -> list[tuple[Any, ...]]:
    with store.read() as s:
        rows = s.execute(
            select(DailyCell).order_by(
                DailyCell.dimension, DailyCell.day, DailyCell.department_id, DailyCell.channel, DailyCell.value
            )
        ).scalars()
        return [
            (
                c.dimension,
                c.day,
                c.department_id,
                c.channel,
                c.value,
                c.volume,
                c.positive,
                c.negative,
                c.rated,
                round(c.rating_sum, 6),
                c.responded,
                c.answerable,
                c.sla_breached,
                c.nps_n,
                c.promoters,
                c.detractors,
                dict(c.response_minutes),
            )
            for c in rows
        ]


def test_metrics_from_rollups_match_hand_counts(store: Store) -> None:
    source = _source(store)
    with store.write() as s:
        s.add_all(
            [
                _item(
                    source,
                    0,
                    rating=1.0,
                    sentiment="positive",
                    location="Leeds",
                    aspects=[{"name": "staff", "sentiment": "positive"}],
                ),
                _item(
                    source,
                    1,
                    rating=0.0,
                    sentiment="negative",
                    location="Leeds",
                    aspects=[{"name": "staff", "sentiment": "negative"}, {"name": "price", "sentiment": "negative"}],
                    responded_at=T0 + timedelta(hours=1, minutes=30),
                    status="responded",
                ),
                _item(
                    source,
                    2,
                    rating=0.5,
                    sentiment="neutral",
                    location="York",
                    channel="tripadvisor",
                    responded_at=T0 + timedelta(hours=2, minutes=10),
                    status="responded",
                ),
                # survey answers: NPS 10, 9, 6; CSAT 5 (top two) and 3; CES 2 on 1-7
                _item(
                    source,
                    3,
                    kind="survey",
                    channel="survey",
                    rating_raw=10,
                    rating_min=0,
                    rating_max=10,
                    raw={"question_type": "nps"},
                ),
                _item(source, 4, kind="survey", channel="survey", rating_raw=9, rating_min=0, rating_max=10),
                _item(source, 5, kind="survey", channel="survey", rating_raw=6, rating_min=0, rating_max=10),
                _item(
                    source,
                    6,
                    kind="survey",
                    channel="survey",
                    rating_raw=5,
                    rating_min=1,
                    rating_max=5,
                    raw={"question_type": "csat"},
                ),
                _item(
                    source,
                    7,
                    kind="survey",
                    channel="survey",
                    rating_raw=3,
                    rating_min=1,
                    rating_max=5,
                    raw={"question_type": "csat"},
                ),
                _item(
                    source,
                    8,
                    kind="survey",
                    channel="survey",
                    rating_raw=2,
                    rating_min=1,
                    rating_max=7,
                    raw={"question_type": "ces"},
                ),
                # a ticket past its deadline with no answer, one answered late, one due after NOW
                _item(source, 9, kind="ticket", channel="email", due_at=T0 + timedelta(hours=10)),
                _item(
                    source,
                    10,
                    kind="ticket",
                    channel="email",
                    due_at=T0 + timedelta(hours=11),
                    responded_at=T0 + timedelta(hours=12),
                    status="responded",
                ),
                _item(source, 11, kind="ticket", channel="email", due_at=NOW + timedelta(hours=5)),
            ]
        )
    rollups.process_pending(store, now=NOW)
    with store.read() as s:
        m = summary(s, None, JAN, min_n=1)
        assert m.volume == 12
        assert m.nps.value == pytest.approx(100 * (2 - 1) / 3)
        assert m.csat.value == pytest.approx(50.0)
        assert m.ces.value == pytest.approx(2.0)
        assert m.rating.value == pytest.approx(0.5)
        assert m.sentiment.value == pytest.approx(0.0)  # 1 positive, 1 negative of 3 analysed
        # answerable: 3 reviews + 3 tickets; responded: items 1, 2, 10 after 30, 10 and 120 minutes
        assert m.response_rate.value == pytest.approx(50.0)
        assert m.median_response_minutes == 30
        assert m.sla_breaches == 2
        assert m.totals.sla_n == 3
        by_location = breakdown(s, None, JAN, "location", min_n=1)
        assert set(by_location) == {"Leeds", "York"}
        assert by_location["Leeds"].volume == 2
        aspects = breakdown(s, None, JAN, "aspect", min_n=1)
        assert aspects["staff"].totals.positive == 1
        assert aspects["staff"].totals.negative == 1
        assert aspects["price"].totals.negative == 1
        leeds_aspects = breakdown(s, None, Slice(JAN.date_from, JAN.date_to, location="Leeds"), "aspect", min_n=1)
        assert set(leeds_aspects) == {"staff", "price"}
        channels = breakdown(s, None, JAN, "channel", min_n=1)
        assert channels["survey"].volume == 6
        assert channels["email"].volume == 3
        days = series(s, None, JAN, grain="day")
        assert len(days) == 31
        assert sum(p.metrics.volume for p in days) == 12
        weeks = series(s, None, JAN, grain="week")
        assert weeks[0].start == date(2025, 4, 28)

    # The deadline of item 11 passes: the lazy refresh recomputes its day with no item changed.
    later = NOW + timedelta(hours=6)
    assert rollups.ensure_fresh(store, now=later) == 1
    with store.read() as s:
        assert summary(s, None, JAN, min_n=1).sla_breaches == 3


def _random_items(source: int, departments: list[int], rng: random.Random, start: int, n: int) -> list[Item]:
    items = []
    for i in range(start, start + n):
        created = T0 + timedelta(hours=rng.randrange(24 * 20), minutes=rng.randrange(60))
        responded = created + timedelta(minutes=rng.randrange(1, 3000)) if rng.random() < 0.4 else None
        items.append(
            _item(
                source,
                i,
                created_at=created,
                channel=rng.choice(["google", "twitter", "email"]),
                kind=rng.choice(["review", "mention", "ticket"]),
                rating=rng.choice([None, 0.0, 0.25, 0.5, 0.75, 1.0]),
                sentiment=rng.choice([None, "positive", "neutral", "negative"]),
                location=rng.choice([None, "Leeds", "York"]),
                department_id=rng.choice([None, *departments]),
                aspects=[
                    {"name": a, "sentiment": rng.choice(["positive", "negative"])}
                    for a in rng.sample(["staff", "price", "room"], rng.randrange(3))
                ],
                responded_at=responded,
                status="responded" if responded else "new",
                due_at=created + timedelta(hours=rng.randrange(1, 48)) if rng.random() < 0.5 else None,
            )
        )
    return items


def test_incremental_equals_rebuild_after_inserts_updates_deletes_and_reruns(store: Store) -> None:
    rng = random.Random(5)
    source = _source(store)
    with store.write() as s:
        departments = [create_department(s, name=n).id for n in ("Billing", "Delivery")]
        s.add_all(_random_items(source, departments, rng, 0, 150))
    load_builtin_tasks()
    executor = InlineExecutor(store)
    rollups.process_pending(store, now=NOW)
    # more items through the pipeline's rollup stage, twice (a redelivered message)
    with store.write() as s:
        new = _random_items(source, departments, rng, 1000, 40)
        s.add_all(new)
        s.flush()
        new_ids = [i.id for i in new]
    run_pipeline(executor, new_ids, start="rollup")
    run_pipeline(executor, new_ids, start="rollup")
    # changes made by code that never calls the roll-ups: a response, a move to another department and
    # day, a deletion
    with store.write() as s:
        first = s.scalars(select(Item.id).order_by(Item.id).limit(3)).all()
        s.execute(
            update(Item).where(Item.id == first[0]).values(responded_at=T0 + timedelta(days=25), status="responded")
        )
        s.execute(
            update(Item)
            .where(Item.id == first[1])
            .values(department_id=departments[1], created_at=T0 + timedelta(days=3))
        )
        s.execute(delete(Item).where(Item.id == first[2]))
    rollups.ensure_fresh(store, now=NOW)
    rollups.ensure_fresh(store, now=NOW)
    incremental = _snapshot(store)
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(DirtyDay)) == 0
        total = summary(s, None, JAN).volume
        assert total == s.scalar(select(func.count()).select_from(Item))
    rollups.rebuild(store, now=NOW)
    assert _snapshot(store) == incremental
    assert incremental  # the comparison is about something


def test_agents_see_their_departments_numbers_only(store: Store) -> None:
    source = _source(store)
    with store.write() as s:
        billing = create_department(s, name="Billing").id
        delivery = create_department(s, name="Delivery").id
        agent = create_user(
            s, email="a@example.com", password="correct horse battery", role="agent", department_ids=[billing]
        )
        s.add_all(
            [
                _item(source, 0, department_id=billing),
                _item(source, 1, department_id=delivery),
                _item(source, 2, department_id=delivery),
                _item(source, 3),
            ]
        )
        agent_id = agent.id
    rollups.process_pending(store, now=NOW)
    with store.read() as s:
        viewer = s.get(User, agent_id)
        assert viewer is not None
        assert summary(s, viewer, JAN).volume == 1
        assert summary(s, None, JAN).volume == 4
        assert set(breakdown(s, viewer, JAN, "department")) == {billing}
        assert summary(s, None, Slice(JAN.date_from, JAN.date_to, department_id=0)).volume == 1


def test_whole_months_read_from_month_cells_equal_the_days(store: Store) -> None:
    rng = random.Random(11)
    source = _source(store)
    start = datetime(2025, 3, 25, tzinfo=UTC)
    created: list[tuple[datetime, int | None]] = []
    with store.write() as s:
        for i in range(300):
            when = start + timedelta(hours=rng.randrange(24 * 100))
            minutes = rng.randrange(1, 500) if rng.random() < 0.5 else None
            s.add(
                _item(
                    source,
                    i,
                    created_at=when,
                    responded_at=when + timedelta(minutes=minutes) if minutes else None,
                    sentiment=rng.choice(["positive", "negative"]),
                    location=rng.choice(["Leeds", "York"]),
                )
            )
            created.append((when, minutes))
    rollups.process_pending(store, now=NOW)
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(DailyCell).where(DailyCell.dimension == "m:all")) > 0
        for first, last in (
            (date(2025, 4, 10), date(2025, 6, 20)),
            (date(2025, 4, 1), date(2025, 5, 31)),
            (date(2025, 4, 3), date(2025, 4, 29)),
            (date(2025, 3, 31), date(2025, 6, 1)),
        ):
            inside = [(w, m) for w, m in created if first <= w.date() <= last]
            got = summary(s, None, Slice(first, last))
            assert got.volume == len(inside)
            answered = sorted(m for _, m in inside if m is not None)
            middle = len(answered) // 2
            expected = answered[middle] if len(answered) % 2 else (answered[middle - 1] + answered[middle]) / 2
            # month cells keep response times in 10-minute buckets past two hours (month_cells.coarse_minutes)
            assert got.median_response_minutes == pytest.approx(expected, abs=5 if expected >= 120 else 0.5)
            by_location = breakdown(s, None, Slice(first, last), "location")
            assert sum(m.volume for m in by_location.values()) == len(inside)


def test_month_histogram_buckets() -> None:
    assert [coarse_minutes(m) for m in (0, 119, 120, 129, 130, 1439, 1440, 1499, 2879)] == [
        0,
        119,
        125,
        125,
        135,
        1435,
        1470,
        1470,
        2850,
    ]
    assert all(coarse_minutes(coarse_minutes(m)) == coarse_minutes(m) for m in range(3000))


def test_lazy_refresh_is_capped_newest_first(store: Store) -> None:
    source = _source(store)
    with store.write() as s:
        s.add_all([_item(source, i, created_at=T0 + timedelta(days=i)) for i in range(100)])
    assert rollups.ensure_fresh(store, now=NOW, max_days=31) == 31
    with store.read() as s:
        assert rollups.pending_days(s) == 69
        newest = Slice(date(2025, 7, 9), date(2025, 8, 8))  # the last 31 days of items
        assert summary(s, None, newest).volume == 31
    assert rollups.process_pending(store, now=NOW) == 69
    with store.read() as s:
        assert rollups.pending_days(s) == 0


def _cell_histograms(store: Store, dimension: str, first: date, last: date) -> dict[int, dict[int, int]]:
    """The cells' response-time histograms merged per department in Python (the reference the SQL
    merge is checked against)."""
    merged: dict[int, dict[int, int]] = {}
    with store.read() as s:
        for cell in s.scalars(
            select(DailyCell).where(DailyCell.dimension == dimension, DailyCell.day >= first, DailyCell.day <= last)
        ):
            hist = merged.setdefault(cell.department_id, {})
            for minutes, count in cell.response_minutes.items():
                hist[int(minutes)] = hist.get(int(minutes), 0) + count
    return {d: h for d, h in merged.items() if h}


def test_one_scan_overview_and_month_series_equal_the_items(store: Store) -> None:
    """The dashboard reads the KPIs, platforms and departments from one grouped scan (``cube``), merges the
    response-time histograms in SQL, and draws a long trend from the month cells: all equal the items."""
    rng = random.Random(23)
    source = _source(store)
    start = datetime(2025, 1, 20, tzinfo=UTC)
    with store.write() as s:
        departments = [create_department(s, name=n).id for n in ("Billing", "Delivery")]
        items = []
        for i in range(400):
            created = start + timedelta(hours=rng.randrange(24 * 150), minutes=rng.randrange(60))
            minutes = rng.randrange(1, 3000) if rng.random() < 0.5 else None
            items.append(
                _item(
                    source,
                    i,
                    created_at=created,
                    channel=rng.choice(["google", "twitter", "email"]),
                    department_id=rng.choice([None, *departments]),
                    sentiment=rng.choice(["positive", "negative", "neutral"]),
                    rating=rng.choice([None, 0.0, 0.5, 1.0]),
                    responded_at=created + timedelta(minutes=minutes) if minutes else None,
                    status="responded" if minutes else "new",
                )
            )
        s.add_all(items)
        rows = [(i.created_at.date(), i.channel, i.department_id or 0, i.sentiment, i.responded_at) for i in items]
    rollups.process_pending(store, now=NOW)
    whole = Slice(date(2025, 2, 1), date(2025, 5, 31))  # whole months: month cells only
    ragged = Slice(date(2025, 1, 25), date(2025, 6, 10))  # days, then months, then days
    with store.read() as s:
        for sl in (whole, ragged):
            inside = [r for r in rows if sl.date_from <= r[0] <= sl.date_to]
            got = cube(s, None, sl)
            total = got.total()
            assert total.volume == len(inside)
            assert total.negative == sum(r[3] == "negative" for r in inside)
            assert total.responded == sum(r[4] is not None for r in inside)
            assert {c: t.volume for c, t in got.by_channel().items()} == {
                c: sum(r[1] == c for r in inside) for c in {r[1] for r in inside}
            }
            # the same numbers as the per-dimension breakdowns, medians included
            per_department = got.by_department()
            expected = breakdown(s, None, sl, "department", min_n=1, medians=True)
            assert set(per_department) == set(expected)
            for department, m in expected.items():
                assert per_department[department].volume == m.volume
                assert per_department[department].response_minutes == m.totals.response_minutes
            assert Metrics(total).median_response_minutes == summary(s, None, sl).median_response_minutes
        # the SQL merge of the histograms equals merging the cells' JSON one by one
        assert cube(s, None, whole).histograms == _cell_histograms(store, "m:all", whole.date_from, whole.date_to)
        # a month trend read from month cells has every month, with the items' counts
        months = series(s, None, ragged, grain="month")
        assert [p.start for p in months] == [date(2025, m, 1) for m in range(1, 7)]
        assert [p.metrics.volume for p in months] == [
            sum(ragged.date_from <= r[0] <= ragged.date_to and r[0].month == m for r in rows) for m in range(1, 7)
        ]
        weeks = series(s, None, ragged, grain="week")
        assert sum(p.metrics.volume for p in weeks) == sum(p.metrics.volume for p in months)
        # the dashboard sums its weeks from the day series the change-point test reads
        regrouped = regroup(ragged, series(s, None, ragged, grain="day"), "week", 10)

        def shown(points: list[Any]) -> list[tuple[Any, ...]]:
            return [
                (p.start, p.metrics.volume, p.metrics.totals.negative, round(p.metrics.totals.rating_sum, 9))
                for p in points
            ]

        assert shown(regrouped) == shown(weeks)


def test_month_cells_follow_reanalysis_and_erasure(store: Store) -> None:
    """Re-analysis that changes sentiment, and deleting a customer's items, move the month cells (and so the
    long periods read from them) exactly as the day cells."""
    source = _source(store)
    with store.write() as s:
        s.add_all([_item(source, i, sentiment="negative", created_at=T0 + timedelta(days=i)) for i in range(20)])
    rollups.process_pending(store, now=NOW)
    may = Slice(date(2025, 5, 1), date(2025, 5, 31))
    with store.read() as s:
        assert summary(s, None, may).totals.negative == 20
        first_ids = list(s.scalars(select(Item.id).order_by(Item.id).limit(5)))
    with store.write() as s:  # a re-analysis finds five of them positive
        s.execute(update(Item).where(Item.id.in_(first_ids)).values(sentiment="positive"))
    rollups.ensure_fresh(store, now=NOW)
    with store.read() as s:
        m = summary(s, None, may)
        assert (m.totals.positive, m.totals.negative) == (5, 15)
        assert series(s, None, may, grain="month")[0].metrics.totals.positive == 5
    with store.write() as s:  # erasure
        s.execute(delete(Item).where(Item.id.in_(first_ids[:3])))
    rollups.ensure_fresh(store, now=NOW)
    with store.read() as s:
        assert cube(s, None, may).total().volume == 17
        month = s.scalars(select(DailyCell).where(DailyCell.dimension == "m:all")).one()
        assert (month.volume, month.positive) == (17, 2)


def _all_channel_cells(store: Store) -> list[tuple[Any, ...]]:
    return [row[1:] for row in _snapshot(store) if row[0] == ALL_CHANNELS]


def test_month_cells_over_all_channels_follow_the_items_and_the_migration_fills_them(store: Store) -> None:
    """The month × department cells over every channel equal the month's per-channel cells summed, through
    inserts, a re-analysis, a move to another department and an erasure; migration 0019 writes the same
    cells for months rolled up before they existed."""
    from voxpop.store.migrate import downgrade, upgrade

    rng = random.Random(31)
    source = _source(store)
    with store.write() as s:
        departments = [create_department(s, name=n).id for n in ("Billing", "Delivery")]
        s.add_all(_random_items(source, departments, rng, 0, 120))
    rollups.process_pending(store, now=NOW)

    def expected() -> dict[tuple[Any, int], tuple[int, int, dict[str, int]]]:
        found: dict[tuple[Any, int], tuple[int, int, dict[str, int]]] = {}
        with store.read() as s:
            for cell in s.scalars(select(DailyCell).where(DailyCell.dimension == "m:all")):
                volume, negative, hist = found.get((cell.day, cell.department_id), (0, 0, {}))
                hist = dict(hist)
                for minutes, count in cell.response_minutes.items():
                    hist[minutes] = hist.get(minutes, 0) + count
                found[(cell.day, cell.department_id)] = (volume + cell.volume, negative + cell.negative, hist)
        return found

    def collapsed() -> dict[tuple[Any, int], tuple[int, int, dict[str, int]]]:
        with store.read() as s:
            return {
                (c.day, c.department_id): (c.volume, c.negative, dict(c.response_minutes))
                for c in s.scalars(select(DailyCell).where(DailyCell.dimension == ALL_CHANNELS))
            }

    assert collapsed() == expected()
    with store.write() as s:
        ids = list(s.scalars(select(Item.id).order_by(Item.id).limit(6)))
        s.execute(update(Item).where(Item.id.in_(ids[:3])).values(sentiment="negative"))  # re-analysis
        s.execute(update(Item).where(Item.id == ids[3]).values(department_id=departments[1]))
        s.execute(delete(Item).where(Item.id.in_(ids[4:])))  # erasure
    rollups.ensure_fresh(store, now=NOW)
    assert collapsed() == expected()
    with store.read() as s:
        assert sum(v for v, _, _ in collapsed().values()) == s.scalar(select(func.count()).select_from(Item))
    before = _all_channel_cells(store)

    downgrade(store.engine, "0018")
    assert collapsed() == {}
    upgrade(store.engine)
    assert _all_channel_cells(store) == before


def test_migration_0023_queues_the_days_of_competitors_items(store: Store) -> None:
    from alembic import command

    from voxpop.store.migrate import alembic_config

    ours = _source(store)
    with store.write() as s:
        rival = Source(name="Rival", kind="file", channel="google", config={}, is_competitor=True, competitor="R")
        s.add(rival)
        s.flush()
        aspects = [{"name": "staff", "sentiment": "negative"}]
        s.add_all([_item(ours, n, aspects=aspects) for n in (0, 30)])
        s.add_all([_item(rival.id, n, aspects=aspects) for n in (1, 50, 51)])  # two days: T0 and T0 + 2 days
    rollups.process_pending(store, now=NOW)
    with store.engine.begin() as conn:  # the store as 0022 left it: no cells of a competitor's aspects
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0022")
    with store.write() as s:
        s.execute(delete(DailyCell).where(DailyCell.dimension.like("%aspect_source")))
    assert store.migrate()
    with store.read() as s:
        queued = sorted(s.scalars(select(DirtyDay.day)))
    assert queued == [(T0 + timedelta(hours=n)).date() for n in (1, 50)]
    rollups.process_pending(store, now=NOW)
    with store.read() as s:
        cells = s.execute(
            select(DailyCell.day, DailyCell.volume, DailyCell.negative).where(DailyCell.dimension == "aspect_source")
        ).all()
    assert sorted(cells) == [((T0 + timedelta(hours=n)).date(), v, v) for n, v in ((1, 1), (50, 2))]
