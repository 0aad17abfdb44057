"""Executors run tasks: inline in this process (the default), or — with ``VOXPOP_BROKER_URL`` — on
Dramatiq workers (``voxpop worker``), on this machine or any number of others sharing the database.
Callers say ``executor.submit("analyze", ids)``, or ``run_pipeline(executor, ids)``
(``voxpop.workers.pipeline``) for every stage."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from typing import Protocol

from voxpop.store import Store
from voxpop.workers.stats import run_stage

log = logging.getLogger(__name__)


class Executor(Protocol):
    def submit(self, name: str, ids: Sequence[int]) -> None:
        """Run one task on ``ids``."""

    def submit_chain(self, stages: Sequence[str], ids: Sequence[int], *, block: bool = True) -> None:
        """Run ``stages`` on ``ids`` one after the other, each only once the one before succeeded.
        ``block=False``: do not wait for room in a full queue (for senders that are workers themselves)."""


class InlineExecutor:
    """Runs each task at once, in the caller's process. A failing task is logged and re-raised: the
    caller decides whether the rest of its work goes on (ingest keeps the items; analysis can be re-run)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def submit(self, name: str, ids: Sequence[int]) -> None:
        if ids:
            run_stage(self.store, name, ids)

    def submit_chain(self, stages: Sequence[str], ids: Sequence[int], *, block: bool = True) -> None:
        for stage in stages:
            self.submit(stage, ids)


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
    """Inline, unless a broker is configured: then the tasks go to the workers."""
    load_builtin_tasks()
    if store.settings.broker_url:
        from voxpop.workers.queue import DramatiqExecutor

        return DramatiqExecutor(store.settings)
    return InlineExecutor(store)
