"""The pipeline on Dramatiq workers: the broker, the one actor that runs any stage, and the executor that
web servers, importers and connectors use to send work to it.

A message carries a stage name, the item ids and the stages still to run after it; a worker runs the
stage and then sends the next one, so the chain survives any worker dying between stages. Every stage is
idempotent, so a message redelivered after a crash (it was never acknowledged) does no harm.

A batch that still fails after ``task_max_retries`` is split in two and both halves go back to the queue;
a single item that still fails is a *poison* item: parked in ``task_failures`` with its error (visible in
``voxpop failures`` and the web UI) instead of blocking the rest.

Recovery is tuned on purpose: with Dramatiq's defaults a killed worker's unacknowledged messages waited
for a 60 s heartbeat timeout *and* a maintenance pass that runs on 0.1 % of broker calls — minutes in our
trials. ``broker_heartbeat_ms`` and ``broker_maintenance_chance`` make it seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from dramatiq import Broker, Message
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from voxpop.settings import Settings

log = logging.getLogger(__name__)

ACTOR = "voxpop_stage"
#: Stages sent with a delay (ms) because one run serves every batch waiting for it: the roll-up
#: recomputes the whole days that are queued, so the batches finished during the delay share one run
#: (and the runs after it find nothing left to do) instead of each recomputing the same days. A run's
#: cost grows with the size of the day, not of the batch, so the delay bounds the roll-up work to about
#: one run per delay however many batches finish. Dashboards do not wait for it: they recompute
#: what is still queued before reading (``rollups.ensure_fresh``).
STAGE_DELAY_MS = {"rollup": 10_000}


def queue_name(settings: Settings) -> str:
    return settings.broker_namespace


def make_broker(settings: Settings) -> Broker:
    """A Redis (or RabbitMQ) broker with voxpop's retry and recovery settings."""
    middleware = [
        AgeLimit(),
        TimeLimit(time_limit=settings.task_time_limit_seconds * 1000),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=settings.task_max_retries, min_backoff=500, max_backoff=10_000),
        CurrentMessage(),
    ]
    url = settings.broker_url
    broker: Broker
    if url.startswith(("redis://", "rediss://", "unix://")):
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(
            url=url,
            namespace=settings.broker_namespace,
            heartbeat_timeout=settings.broker_heartbeat_ms,
            maintenance_chance=settings.broker_maintenance_chance,
            middleware=middleware,
        )
    elif url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url, middleware=middleware)
    else:
        raise ValueError(f"broker_url must start with redis:// or amqp://, not {url.split('://')[0]!r}")
    broker.declare_queue(queue_name(settings))
    return broker


def queue_depth(broker: Broker, queue: str) -> int:
    """Messages waiting in ``queue`` (not counting those a worker holds)."""
    counts = getattr(broker, "get_queue_message_counts", None)
    if counts is not None:  # RabbitMQ: (ready, delayed, dead-lettered)
        return int(counts(queue)[0])
    return int(broker.do_qsize(queue))  # type: ignore[attr-defined]


def stage_message(settings: Settings, stage: str, ids: Sequence[int], rest: Sequence[str]) -> Message[Any]:
    return Message(
        queue_name=queue_name(settings),
        actor_name=ACTOR,
        args=(stage, [int(i) for i in ids], list(rest)),
        kwargs={},
        options={"max_retries": settings.task_max_retries},
    )


class DramatiqExecutor:
    """Sends stages to the workers. While more than ``queue_max_depth`` batches wait, it waits too
    (back-pressure), so a fast importer cannot fill the broker's memory."""

    _brokers: ClassVar[dict[tuple[str, str], Broker]] = {}
    _lock = threading.Lock()

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        key = (settings.broker_url, settings.broker_namespace)
        with self._lock:
            broker = self._brokers.get(key)
            if broker is None:
                broker = self._brokers[key] = make_broker(settings)
        self.broker = broker

    def submit(self, name: str, ids: Sequence[int]) -> None:
        self.submit_chain([name], ids)

    def submit_chain(self, stages: Sequence[str], ids: Sequence[int], *, block: bool = True) -> None:
        """Queue ``stages`` for ``ids``. Workers pass ``block=False``: a worker waiting for room in the
        queue it consumes could wait for ever."""
        if not ids or not stages:
            return
        if block:
            self.wait_for_room()
        self.broker.enqueue(
            stage_message(self.settings, stages[0], ids, stages[1:]), delay=STAGE_DELAY_MS.get(stages[0])
        )

    def wait_for_room(self, *, poll_seconds: float = 0.2) -> None:
        queue = queue_name(self.settings)
        warned = False
        while queue_depth(self.broker, queue) >= self.settings.queue_max_depth:
            if not warned:
                log.info("waiting: %d batches are queued for the workers", self.settings.queue_max_depth)
                warned = True
            time.sleep(poll_seconds)
