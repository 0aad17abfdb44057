"""Results computed from the roll-ups, kept in memory until the roll-ups change.

The dashboard's numbers for a period are a function of the roll-up cells, the viewer's department scope
and a few small tables. Computing them on 1,000,000 items takes a few hundred milliseconds; a second
view of the same period — the same manager refreshing, a colleague opening it — needs none of that work
while the cells are unchanged. Every change of the cells (``day_cells.recompute_day``,
``month_cells.recompute_month``, ``rollups.rebuild``) writes a new random token to ``measure_version`` in
the same transaction, so a cached result is used only while the token it was computed under is still the
current one.

The cache is per :class:`~voxpop.store.Store` (so two stores in one process never share entries) and
per process (each web worker keeps its own; the token check keeps them all correct). It is bounded
(least recently used entries go first).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from voxpop.store import Store
from voxpop.store.models.measure import RollupVersion

T = TypeVar("T")
MAX_ENTRIES = 64


def bump(session: Session) -> None:
    """Mark the roll-up cells as changed (call in the transaction that changes them)."""
    token = secrets.token_hex(16)
    if session.execute(update(RollupVersion).where(RollupVersion.id == 1).values(version=token)).rowcount == 0:  # type: ignore[attr-defined]
        session.execute(insert(RollupVersion).values(id=1, version=token))


def current(session: Session) -> str | None:
    """The roll-ups' version token (None before the first change)."""
    return session.scalar(select(RollupVersion.version).where(RollupVersion.id == 1))


class _Entries:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: str | None = None
        self.items: OrderedDict[Hashable, object] = OrderedDict()


_CACHES: WeakKeyDictionary[Store, _Entries] = WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _entries(store: Store) -> _Entries:
    with _CACHES_LOCK:
        found = _CACHES.get(store)
        if found is None:
            found = _CACHES[store] = _Entries()
        return found


def remember(store: Store, session: Session, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, or its result from an earlier call with the same ``key`` while the roll-ups have
    not changed since. ``key`` must hold everything else the result depends on (period, filters, the
    viewer's scope…). The version is read first, so a result computed while a change lands is filed
    under the older version and never served after it."""
    version = current(session)
    entries = _entries(store)
    with entries.lock:
        if version != entries.version:  # the cells changed: every entry is out of date
            entries.items.clear()
            entries.version = version
        elif key in entries.items:
            entries.items.move_to_end(key)
            return entries.items[key]  # type: ignore[return-value]
    value = compute()
    with entries.lock:
        if entries.version == version:
            entries.items[key] = value
            while len(entries.items) > MAX_ENTRIES:
                entries.items.popitem(last=False)
    return value
