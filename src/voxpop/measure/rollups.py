"""Daily roll-ups: the dashboard's numbers kept up to date as items arrive and change.

What the cells count: our own customers' voice. An item marked spam is in no cell, and a competitor's
item (its source is marked ``is_competitor``) only in its source's cells and its ``aspect_source`` cells —
the competitor benchmark reads those — so every total over sources, channels, locations or aspects is
ours alone, as the item-level reports (``measure.observations``) count it.

The unit of work is a day (UTC): a day is always recomputed whole from ``items`` and its cells replaced,
never incremented, so a redelivered task, a crash half-way or two workers at once cannot double count.
Which days to recompute comes from ``measure_dirty``, which triggers on ``items`` append to on every
insert, update and delete (whoever made the change, whether or not they called us), and from
``measure_days.next_due_at`` — the moment an open item of that day passes its SLA deadline, after which
the day's breach count is out of date although no item changed.

- the pipeline stage ``rollup`` and :func:`refresh_rollups` (for other areas to call) recompute what is
  pending now;
- :func:`ensure_fresh` is the lazy check the dashboard makes before reading (two indexed probes when
  nothing is pending);
- :func:`rebuild` recomputes everything (``voxpop rollup rebuild``).

A day's cells are computed and written by ``measure.day_cells``, then its months summed again from the
day cells (``measure.month_cells``); the names of the cells' dimensions are in ``measure.cell_dimensions``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from voxpop.measure.cache import bump
from voxpop.measure.day_cells import recompute_day
from voxpop.measure.month_cells import recompute_month
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.models.measure import DailyCell, DirtyDay, RollupDay
from voxpop.store.types import utcnow
from voxpop.workers.tasks import task

log = logging.getLogger(__name__)

DAYS_PER_TRANSACTION = 31
LAZY_MAX_DAYS = 62
PG_LOCK = 0x766F78_6D656173  # "vox" "meas": one roll-up writer at a time on PostgreSQL


#: Queue every day that has items (the UTC day of ``created_at``), per dialect.
QUEUE_ALL_DAYS = {
    "sqlite": "INSERT INTO measure_dirty(day) SELECT DISTINCT date(created_at) FROM items",
    "postgresql": "INSERT INTO measure_dirty(day) SELECT DISTINCT (created_at AT TIME ZONE 'UTC')::date FROM items",
}


def _recompute_days(session: Session, days: Iterable[date], now: datetime) -> int:
    """Recompute the days, then each of their months once (in the caller's transaction)."""
    months: set[date] = set()
    count = 0
    for day in days:
        recompute_day(session, day, now)
        months.add(day.replace(day=1))
        count += 1
    for month in sorted(months):
        recompute_month(session, month)
    return count


def lock_writer(session: Session) -> None:
    """On PostgreSQL, one roll-up writer at a time (SQLite's write lock already serialises them)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK})


def process_pending(store: Store, *, now: datetime | None = None, max_days: int | None = None) -> int:
    """Recompute every day that is dirty or whose next SLA deadline has passed; returns how many days.

    Each batch of days is one transaction that deletes exactly the queue rows it read, so a change that
    lands meanwhile stays queued for the next run. With ``max_days``, stop after about that many days,
    newest first (what a page waits for; the rest is left for the next run).
    """
    now = now or utcnow()
    done = 0
    with store.write() as session:
        lock_writer(session)
        due = list(session.scalars(select(RollupDay.day).where(RollupDay.next_due_at <= now)))
        done += _recompute_days(session, due, now)
    while True:
        with store.write() as session:
            lock_writer(session)
            top = session.scalar(select(func.max(DirtyDay.id)))
            if top is None or (max_days is not None and done >= max_days):
                return done
            days = list(
                session.scalars(
                    select(DirtyDay.day)
                    .where(DirtyDay.id <= top)
                    .group_by(DirtyDay.day)
                    .order_by(DirtyDay.day.desc() if max_days is not None else DirtyDay.day)
                    .limit(DAYS_PER_TRANSACTION)
                )
            )
            done += _recompute_days(session, days, now)
            session.execute(delete(DirtyDay).where(DirtyDay.id <= top, DirtyDay.day.in_(days)))


def mark_items(session: Session, ids: Iterable[int]) -> int:
    """Queue the days of these items for recomputation; returns how many days."""
    id_list = list(ids)
    days: set[date] = set()
    for start in range(0, len(id_list), 5000):
        chunk = id_list[start : start + 5000]
        days.update(
            c.astimezone(UTC).date() for c in session.scalars(select(Item.created_at).where(Item.id.in_(chunk)))
        )
    if days:
        session.execute(insert(DirtyDay), [{"day": d} for d in sorted(days)])
    return len(days)


def refresh_rollups(store: Store, ids: Sequence[int], *, now: datetime | None = None) -> int:
    """Bring the roll-ups up to date after these items were stored or changed (idempotent).

    Other areas call this after a change that moves a number (status, response, department…). Forgetting
    it is not fatal — the triggers queued the day anyway, and the next dashboard view recomputes it —
    but calling it keeps the first view after the change fast.
    """
    with store.write() as session:
        mark_items(session, ids)
    return process_pending(store, now=now)


def is_pending(session: Session, now: datetime | None = None) -> bool:
    """Whether a day waits for recomputation (two indexed probes)."""
    now = now or utcnow()
    if session.scalar(select(DirtyDay.id).limit(1)) is not None:
        return True
    return session.scalar(select(RollupDay.day).where(RollupDay.next_due_at <= now).limit(1)) is not None


def ensure_fresh(store: Store, *, now: datetime | None = None, max_days: int | None = LAZY_MAX_DAYS) -> int:
    """The lazy refresh before numbers are read: recompute what is pending, if anything — at most about
    ``max_days`` days, newest first, so a page after a huge import does not wait for all of history
    (``pending_days`` tells the page; the pipeline and ``voxpop rollup refresh`` do the rest)."""
    with store.read() as session:
        pending = is_pending(session, now)
    return process_pending(store, now=now, max_days=max_days) if pending else 0


def pending_days(session: Session) -> int:
    """How many distinct days wait for recomputation."""
    return int(session.scalar(select(func.count(func.distinct(DirtyDay.day)))) or 0)


def rebuild(store: Store, *, now: datetime | None = None) -> int:
    """Throw every cell away and recompute all days from ``items``; returns how many days."""
    with store.write() as session:
        lock_writer(session)
        session.execute(delete(DailyCell))
        bump(session)
        session.execute(delete(RollupDay))
        session.execute(delete(DirtyDay))
        session.execute(text(QUEUE_ALL_DAYS[session.get_bind().dialect.name]))
    return process_pending(store, now=now)


@task("rollup")
def rollup_task(store: Store, ids: Sequence[int]) -> None:
    """The pipeline's last stage: recompute every day pending now, once.

    The triggers on ``items`` queued the days of these items when the earlier stages changed them, so
    there is nothing to mark here; and whichever run comes first takes the queue rows of every batch
    finished so far. The batches waiting for a roll-up thus share one recomputation of their days
    (workers send this stage with a delay, ``voxpop.workers.queue.STAGE_DELAY_MS``, so that they do)
    instead of each recomputing the same whole days again.
    """
    del ids  # the queue, not the batch, says which days are due
    process_pending(store)
