"""Running one stage on one batch, with its numbers kept: every executor goes through :func:`run_stage`,
so ``/metrics`` and ``voxpop status`` see the same figures whether the work ran inline or on workers on
several machines (the figures live in the database, summed per stage and minute)."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from voxpop.store import Store
from voxpop.store.models.ops import StageStat
from voxpop.store.types import utcnow
from voxpop.workers.tasks import TASKS

log = logging.getLogger(__name__)


def _minute(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def record(store: Store, stage: str, *, items: int, seconds: float, errors: int = 0) -> None:
    """Add one batch to the stage's figures for this minute (an upsert: safe from many processes)."""
    values = {
        "stage": stage,
        "minute": _minute(utcnow()),
        "batches": 1,
        "items": items,
        "errors": errors,
        "seconds": seconds,
    }
    insert = postgresql.insert if store.dialect == "postgresql" else sqlite.insert
    statement = insert(StageStat).values(**values)
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["stage", "minute"],
        set_={
            "batches": StageStat.batches + 1,
            # Subscripts, not attributes: ``excluded.items`` is the collection's ``items()`` method.
            "items": StageStat.items + excluded["items"],
            "errors": StageStat.errors + excluded["errors"],
            "seconds": StageStat.seconds + excluded["seconds"],
        },
    )
    with store.write() as session:
        session.execute(statement)


def run_stage(store: Store, stage: str, ids: Sequence[int]) -> None:
    """Run the task ``stage`` on ``ids`` and record what it took; a failure is counted and re-raised."""
    try:
        fn = TASKS[stage]
    except KeyError:
        raise LookupError(f"no task named {stage!r}; known: {', '.join(sorted(TASKS)) or 'none'}") from None
    started = time.perf_counter()
    try:
        fn(store, list(ids))
    except Exception:
        _safe_record(store, stage, items=0, seconds=time.perf_counter() - started, errors=1)
        raise
    _safe_record(store, stage, items=len(ids), seconds=time.perf_counter() - started)


def _safe_record(store: Store, stage: str, *, items: int, seconds: float, errors: int = 0) -> None:
    # The figures are for watching the pipeline; failing to write them must not fail the work itself.
    try:
        record(store, stage, items=items, seconds=seconds, errors=errors)
    except Exception:
        log.warning("could not record the figures of stage %s", stage, exc_info=True)


def totals(store: Store) -> dict[str, dict[str, float]]:
    """Per stage, everything recorded so far: batches, items, errors, seconds."""
    query = select(
        StageStat.stage,
        func.sum(StageStat.batches),
        func.sum(StageStat.items),
        func.sum(StageStat.errors),
        func.sum(StageStat.seconds),
    ).group_by(StageStat.stage)
    with store.read() as session:
        return {
            stage: {"batches": b or 0, "items": n or 0, "errors": e or 0, "seconds": float(s or 0.0)}
            for stage, b, n, e, s in session.execute(query)
        }
