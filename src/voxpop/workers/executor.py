"""Executors run tasks: inline in this process (the default), or — with ``VOXPOP_BROKER_URL`` — on
workers (see the scale-out issue). Callers say ``executor.submit("analyze", ids)``, or
``run_pipeline(executor, ids)`` (``voxpop.workers.pipeline``) for every stage."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from typing import Protocol

from voxpop.store import Store
from voxpop.workers.tasks import TASKS

log = logging.getLogger(__name__)


class Executor(Protocol):
    def submit(self, name: str, ids: Sequence[int]) -> None: ...


class InlineExecutor:
    """Runs each task at once, in the caller's process. A failing task is logged and re-raised: the
    caller decides whether the rest of its work goes on (ingest keeps the items; analysis can be re-run)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def submit(self, name: str, ids: Sequence[int]) -> None:
        if not ids:
            return
        try:
            fn = TASKS[name]
        except KeyError:
            raise LookupError(f"no task named {name!r}; known: {', '.join(sorted(TASKS)) or 'none'}") from None
        fn(self.store, list(ids))


BUILTIN_TASK_MODULES = (
    "voxpop.workers.analysis",
    "voxpop.act.routing.engine",
    "voxpop.act.alerts.tasks",
    "voxpop.measure.rollups",
)


def load_builtin_tasks() -> None:
    """Import the modules whose ``@task`` functions make up the pipeline (their import registers them)."""
    for name in BUILTIN_TASK_MODULES:
        importlib.import_module(name)


def get_executor(store: Store) -> Executor:
    load_builtin_tasks()
    return InlineExecutor(store)
