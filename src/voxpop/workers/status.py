"""How the pipeline is doing, in one place for ``voxpop status``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import func, select, text

from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.models.ops import TaskFailure
from voxpop.workers.stats import totals


@dataclass
class PipelineStatus:
    executor: str  # "inline" or "dramatiq"
    items: int
    pending_analysis: int
    parked_failures: int
    stages: dict[str, dict[str, float]] = field(default_factory=dict)
    queue_depth: int | None = None
    workers_alive: int | None = None
    broker_error: str | None = None


def database_ok(store: Store) -> str | None:
    """None when the database answers; else the error."""
    try:
        with store.read() as session:
            session.execute(text("SELECT 1"))
    except Exception as exc:
        return f"database: {exc.__class__.__name__}: {exc}"
    return None


def broker_ok(store: Store) -> str | None:
    """None when no broker is configured or it answers; else the error."""
    if not store.settings.broker_url:
        return None
    try:
        from voxpop.workers.queue import DramatiqExecutor, queue_depth, queue_name

        queue_depth(DramatiqExecutor(store.settings).broker, queue_name(store.settings))
    except Exception as exc:
        return f"broker: {exc.__class__.__name__}: {exc}"
    return None


def pipeline_status(store: Store) -> PipelineStatus:
    with store.read() as session:
        items = int(session.scalar(select(func.count()).select_from(Item)) or 0)
        pending = int(session.scalar(select(func.count()).select_from(Item).where(Item.analyzed_at.is_(None))) or 0)
        failures = int(
            session.scalar(select(func.count()).select_from(TaskFailure).where(TaskFailure.retried_at.is_(None))) or 0
        )
    status = PipelineStatus(
        executor="dramatiq" if store.settings.broker_url else "inline",
        items=items,
        pending_analysis=pending,
        parked_failures=failures,
        stages=totals(store),
    )
    if store.settings.broker_url:
        try:
            status.queue_depth, status.workers_alive = _broker_figures(store)
        except Exception as exc:
            status.broker_error = f"{exc.__class__.__name__}: {exc}"
    return status


def _broker_figures(store: Store) -> tuple[int, int | None]:
    from voxpop.workers.queue import DramatiqExecutor, queue_depth, queue_name

    broker = DramatiqExecutor(store.settings).broker
    depth = queue_depth(broker, queue_name(store.settings))
    client = getattr(broker, "client", None)
    if client is None:  # RabbitMQ: consumers are not visible this way
        return depth, None
    since = int(time.time() * 1000) - store.settings.broker_heartbeat_ms
    alive = int(client.zcount(f"{store.settings.broker_namespace}:__heartbeats__", since, "+inf"))
    return depth, alive
