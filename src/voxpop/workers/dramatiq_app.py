"""The module ``voxpop worker`` hands to Dramatiq: it builds the broker from the settings (environment
and config file) and declares the one actor that runs any pipeline stage."""

from __future__ import annotations

import threading
from typing import Any

import dramatiq
from dramatiq.middleware import CurrentMessage

from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.workers.executor import load_builtin_tasks
from voxpop.workers.queue import ACTOR, DramatiqExecutor, make_broker, queue_name
from voxpop.workers.worker import process

settings = Settings()
broker = make_broker(settings)
dramatiq.set_broker(broker)
load_builtin_tasks()

_store: Store | None = None
_store_lock = threading.Lock()


def _shared_store() -> Store:
    global _store
    with _store_lock:
        if _store is None:
            _store = Store(settings)
        return _store


@dramatiq.actor(actor_name=ACTOR, queue_name=queue_name(settings), max_retries=settings.task_max_retries)
def run_stage_message(stage: str, ids: list[int], rest: list[str]) -> None:
    message: Any = CurrentMessage.get_current_message()
    retries = int(message.options.get("retries", 0)) if message is not None else 0
    process(
        _shared_store(),
        DramatiqExecutor(settings),
        stage,
        ids,
        rest,
        retries=retries,
        max_retries=settings.task_max_retries,
    )
