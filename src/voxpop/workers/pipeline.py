"""The pipeline after storing: the stages every new (or re-analysed) item goes through, in order.

Each stage is a registered task ``fn(store, ids)`` (``voxpop.workers.tasks``) that is idempotent: run
twice on the same ids, it leaves the store as once. An area adds a stage by registering its task under
one of these names in a module listed in ``executor.BUILTIN_TASK_MODULES``; a stage whose task is not
registered is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence

from voxpop.workers.executor import Executor, load_builtin_tasks
from voxpop.workers.tasks import TASKS

# analyze: sentiment, aspects… (analyze/) · route: department, priority, SLA (act/) ·
# alert: alert rules (act/) · rollup: the dashboards' daily roll-ups (measure/)
STAGES: tuple[str, ...] = ("analyze", "route", "alert", "rollup")


def stages_from(start: str = "analyze") -> list[str]:
    """The registered stages from ``start`` on, in pipeline order."""
    load_builtin_tasks()  # a producer that never ran a task itself still knows every stage
    if start not in STAGES:
        raise LookupError(f"no pipeline stage named {start!r}; stages: {', '.join(STAGES)}")
    return [stage for stage in STAGES[STAGES.index(start) :] if stage in TASKS]


def run_pipeline(executor: Executor, ids: Sequence[int], *, start: str = "analyze") -> None:
    """Send ``ids`` through every registered stage from ``start`` on."""
    stages = stages_from(start)
    if ids and stages:
        executor.submit_chain(stages, ids)
