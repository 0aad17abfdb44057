"""The pipeline's tasks, registered by name so every executor runs the same functions."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from voxpop.store import Store

Task = Callable[[Store, Sequence[int]], None]
TASKS: dict[str, Task] = {}


def task(name: str) -> Callable[[Task], Task]:
    """Register a task function ``fn(store, ids)`` under ``name``."""

    def register(fn: Task) -> Task:
        if name in TASKS and TASKS[name] is not fn:
            raise ValueError(f"a task named {name!r} is already registered")
        TASKS[name] = fn
        return fn

    return register
