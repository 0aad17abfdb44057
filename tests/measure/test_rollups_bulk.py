"""Roll-ups after bulk imports: large batches queue their days set-based (SQLite drops the per-row
dirty-day trigger for the batch, PostgreSQL's statement trigger sees the COPY), and the numbers stay
exactly those of a full rebuild — after the import, a re-import, updates and deletions."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import IntegrityError

from voxpop.ingest.bulk import BULK_TRIGGER_ROWS, insert_rows
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import get_or_create_source, prepare_row, write_batch
from voxpop.measure import rollups
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.models.measure import DailyCell, DirtyDay, RollupDay

NOW = datetime(2025, 7, 1, tzinfo=UTC)
T0 = datetime(2025, 5, 30, 20, 0, tzinfo=UTC)  # the batches cross a month boundary and many midnights


def _records(first: int, count: int, *, minutes: int = 37) -> list[ItemRecord]:
    return [
        ItemRecord(
            text=f"review {n}",
            external_id=f"r{n}",
            rating=1 + n % 5,
            location=("Leeds", "York", None)[n % 3],
            created_at=T0 + timedelta(minutes=minutes * n),
            reply_text="Thanks!" if n % 4 == 0 else None,
            replied_at=T0 + timedelta(minutes=minutes * n + 90) if n % 4 == 0 else None,
        )
        for n in range(first, first + count)
    ]


def _days(records: list[ItemRecord]) -> set[date]:
    return {r.created_at.astimezone(UTC).date() for r in records if r.created_at is not None}


def _queued(store: Store) -> list[date]:
    with store.read() as s:
        return list(s.scalars(select(DirtyDay.day).order_by(DirtyDay.day)))


def _cells(store: Store) -> list[tuple[Any, ...]]:
    with store.read() as s:
        return [
            (
                c.dimension,
                c.day,
                c.department_id,
                c.channel,
                c.value,
                c.volume,
                c.rated,
                round(c.rating_sum, 6),
                c.answerable,
                c.responded,
                tuple(sorted(c.response_minutes.items())),
            )
            for c in s.scalars(
                select(DailyCell).order_by(
                    DailyCell.dimension, DailyCell.day, DailyCell.department_id, DailyCell.channel, DailyCell.value
                )
            )
        ]


def _insert_triggers(store: Store) -> set[str]:
    with store.read() as s:
        if s.get_bind().dialect.name == "sqlite":
            found = s.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        else:
            found = s.execute(text("SELECT tgname FROM pg_trigger WHERE tgrelid = 'items'::regclass"))
        return {name for name in found.scalars() if name.endswith("_ai")}


def _assert_equals_rebuild(store: Store) -> list[tuple[Any, ...]]:
    rollups.process_pending(store, now=NOW)
    incremental = _cells(store)
    with store.read() as s:
        items = s.scalar(select(func.count()).select_from(Item).where(Item.status != "spam"))  # spam counts nowhere
        volume = s.scalar(select(func.sum(DailyCell.volume)).where(DailyCell.dimension == "all"))
    assert volume == items
    rollups.rebuild(store, now=NOW)
    assert _cells(store) == incremental
    return incremental


def test_bulk_batches_queue_each_day_once_and_roll_up_exactly(store: Store) -> None:
    triggers = _insert_triggers(store)
    assert "measure_items_ai" in triggers
    first = _records(0, 2 * BULK_TRIGGER_ROWS)
    with store.write() as s:
        source = get_or_create_source(s, "bulk")
        assert len(write_batch(s, source, first).added_ids) == len(first)
    queued = _queued(store)
    if store.engine.dialect.name == "sqlite":  # one row per distinct day, not per item
        assert queued == sorted(_days(first))
    else:  # one statement trigger run per statement: each day at most once per statement
        assert set(queued) == _days(first)
        assert len(queued) < len(first) // 10
    assert _insert_triggers(store) == triggers  # restored inside the batch's transaction
    _assert_equals_rebuild(store)
    assert _queued(store) == []

    # A re-import: the duplicates add nothing and queue none of their days; only the new rows' days.
    later = _records(2 * BULK_TRIGGER_ROWS + 500, BULK_TRIGGER_ROWS, minutes=61)
    with store.write() as s:
        result = write_batch(s, s.merge(source), first[:BULK_TRIGGER_ROWS] + later)
    assert (len(result.added_ids), result.duplicates) == (len(later), BULK_TRIGGER_ROWS)
    assert set(_queued(store)) == _days(later)
    assert not _days(later) <= _days(first)  # the check above could tell the two apart
    _assert_equals_rebuild(store)

    # Changes after the batch go through the restored row triggers.
    with store.write() as s:
        ids = s.scalars(select(Item.id).order_by(Item.id).limit(3)).all()
        s.execute(update(Item).where(Item.id == ids[0]).values(created_at=datetime(2025, 3, 3, 12, tzinfo=UTC)))
        s.execute(update(Item).where(Item.id == ids[1]).values(status="spam"))
        s.execute(delete(Item).where(Item.id == ids[2]))
    assert date(2025, 3, 3) in _queued(store)
    with store.write() as s:  # a small batch takes the row triggers
        assert len(write_batch(s, s.merge(source), _records(10_000, 3)).added_ids) == 3
    _assert_equals_rebuild(store)


def test_failed_bulk_batch_leaves_no_queue_rows_and_keeps_the_triggers(store: Store) -> None:
    triggers = _insert_triggers(store)
    with store.write() as s:
        source = get_or_create_source(s, "bulk")
    rows = [prepare_row(source, record, now=NOW) for record in _records(0, BULK_TRIGGER_ROWS + 10)]
    rows[-1]["text"] = None  # NOT NULL: the database refuses the batch after most rows went in
    # the raw DB-API cursors of the bulk paths raise the driver's own error
    with pytest.raises((IntegrityError, sqlite3.IntegrityError, psycopg.IntegrityError)), store.write() as s:
        insert_rows(s, rows)
    assert _queued(store) == []
    assert _insert_triggers(store) == triggers
    with store.read() as s:
        assert s.scalar(select(func.count()).select_from(Item)) == 0
    with store.write() as s:
        assert len(insert_rows(s, rows[:-1])) == len(rows) - 1
    assert set(_queued(store)) == {row["created_at"].date() for row in rows[:-1]}
    _assert_equals_rebuild(store)


def test_the_rollup_stage_shares_one_run_between_the_batches_waiting_for_it(store: Store) -> None:
    """Two batches on the same days: the first batch's roll-up stage recomputes the days of both (the
    triggers queued them), the second's finds nothing left and recomputes nothing."""
    with store.write() as s:
        source = get_or_create_source(s, "stream")
        first = write_batch(s, source, _records(0, 30)).added_ids
        second = write_batch(s, s.merge(source), _records(30, 30)).added_ids
    queued = set(_queued(store))
    rollups.rollup_task(store, first)
    assert _queued(store) == []
    with store.read() as s:
        computed = dict(s.execute(select(RollupDay.day, RollupDay.computed_at)).all())
    assert set(computed) == queued
    rollups.rollup_task(store, second)
    with store.read() as s:
        assert dict(s.execute(select(RollupDay.day, RollupDay.computed_at)).all()) == computed
    _assert_equals_rebuild(store)
