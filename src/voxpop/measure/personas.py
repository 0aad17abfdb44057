"""Personas ("customer avatars") as the page shows them: fitted in the background, kept per department scope.

Fitting (``measure.persona_fitting``: the features, k-means, the names and quotes) takes seconds to minutes
on a large store, so the page never fits: :func:`refresh` fits the personas of the last ``PERIOD_DAYS``
days with items for a department scope (everyone's, or the departments an agent sees) and keeps the
result in ``persona_runs`` with the data version it saw (the roll-ups' version token and the business
metrics' count). :func:`refresh_all` refits every scope whose data changed, at most every ``MIN_AGE``;
``voxpop serve`` runs it every ``REFRESH_SECONDS`` (:func:`start_periodic`) and ``voxpop personas refresh``
on demand. The page shows the stored result (:func:`stored`), when it was computed and on how many
customers.

This module is the one to import: it re-exports the fitting's public names (``personas``,
``find_personas``, ``people_of``, ``Persona``, ``PersonaResult``…).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxpop.act.inbox import visible_to
from voxpop.measure.cache import current
from voxpop.measure.observations import ours
from voxpop.measure.persona_fitting import (
    MAX_K,
    MAX_SAMPLE,
    MIN_PEOPLE,
    Person,
    Persona,
    PersonaResult,
    features,
    find_personas,
    name_cluster,
    people_of,
    personas,
    quote,
)
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item, Role, Source, User
from voxpop.store.models.insight import BusinessMetric, PersonaRun
from voxpop.store.types import utcnow

__all__ = [
    "ALL",
    "MAX_K",
    "MAX_SAMPLE",
    "MIN_AGE",
    "MIN_PEOPLE",
    "PERIOD_DAYS",
    "REFRESH_SECONDS",
    "Person",
    "Persona",
    "PersonaResult",
    "StoredPersonas",
    "data_version",
    "features",
    "find_personas",
    "last_day",
    "name_cluster",
    "people_of",
    "personas",
    "quote",
    "refresh",
    "refresh_all",
    "scope_of",
    "scopes",
    "start_periodic",
    "stored",
    "stored_scope",
]

log = logging.getLogger(__name__)

#: The personas are fitted on the customers of the last this many days with items.
PERIOD_DAYS = 365
#: A scope whose data changed is refitted at most this often by :func:`refresh_all`.
MIN_AGE = timedelta(minutes=30)
#: How often ``voxpop serve`` runs :func:`refresh_all`.
REFRESH_SECONDS = 900
ALL = "all"


@dataclass
class StoredPersonas:
    """The personas last computed for a scope, and when and over what."""

    result: PersonaResult
    scope: str
    computed_at: datetime
    start: date | None
    end: date | None
    seconds: float
    data_version: str | None
    current_version: str | None = None

    @property
    def stale(self) -> bool:
        """Whether the data changed since (the next refresh will refit)."""
        return self.data_version != self.current_version


def scope_of(viewer: User | None) -> str:
    """``"all"``, or ``"d:1,3"``: the departments an agent sees (the personas and their quotes are theirs)."""
    if viewer is None or viewer.sees_all_departments:
        return ALL
    return "d:" + ",".join(str(i) for i in sorted(viewer.department_ids))


def data_version(session: Session) -> str:
    """What the personas depend on, as a token: the roll-ups' version (every change of the items' numbers
    bumps it) and how many business metrics are imported."""
    business = session.scalar(select(func.count(BusinessMetric.id))) or 0
    return f"{current(session) or '-'}:{business}"


def _to_json(result: PersonaResult) -> dict[str, Any]:
    data = asdict(result)
    for persona in data["personas"]:
        persona["members"] = []  # up to one key per customer: not kept (the page shows sizes)
        # Only the quotes' item ids are kept: their text is read when shown, so an erased or edited item
        # is never shown from here.
        persona["quotes"] = []
    return data


def _from_json(data: dict[str, Any]) -> PersonaResult:
    found = [
        Persona(
            **{
                **p,
                "top_aspects": [tuple(x) for x in p["top_aspects"]],
                "top_channels": [tuple(x) for x in p["top_channels"]],
                "quotes": [tuple(x) for x in p["quotes"]],
            }
        )
        for p in data["personas"]
    ]
    return PersonaResult(**{**data, "personas": found})


def _stored(row: PersonaRun, version: str | None) -> StoredPersonas:
    return StoredPersonas(
        result=_from_json(row.result),
        scope=row.scope,
        computed_at=row.computed_at,
        start=row.period_start,
        end=row.period_end,
        seconds=row.seconds,
        data_version=row.data_version,
        current_version=version,
    )


def stored(session: Session, viewer: User | None) -> StoredPersonas | None:
    """The personas last computed for the viewer's scope (None before the first refresh); one row read."""
    return stored_scope(session, scope_of(viewer))


def stored_scope(session: Session, scope: str) -> StoredPersonas | None:
    row = session.scalar(select(PersonaRun).where(PersonaRun.scope == scope))
    if row is None:
        return None
    found = _stored(row, data_version(session))
    quote(session, found.result)
    return found


def last_day(session: Session, viewer: User | None) -> date | None:
    """The UTC day of the newest item of ours the viewer sees (the date index, newest first)."""
    query = (
        select(Item.created_at)
        .join(Source, Source.id == Item.source_id)
        .where(*ours())
        .order_by(Item.created_at.desc())
        .limit(1)
    )
    if viewer is not None and (scope := visible_to(viewer)) is not None:
        query = query.where(scope)
    newest = session.scalar(query)
    return None if newest is None else newest.astimezone(UTC).date()


def refresh(
    store: Store, viewer_id: int | None = None, *, force: bool = False, days: int = PERIOD_DAYS
) -> tuple[StoredPersonas | None, bool]:
    """Fit the personas of the scope of ``viewer_id`` (None: everyone's) over the last ``days`` days with
    items and keep them, unless the data did not change since the last fit (``force`` fits anyway).
    Returns what is stored now and whether it was refitted."""
    with store.read() as session:
        viewer = session.get(User, viewer_id) if viewer_id is not None else None
        scope = scope_of(viewer)
        version = data_version(session)
        row = session.scalar(select(PersonaRun).where(PersonaRun.scope == scope))
        if row is not None and row.data_version == version and not force:
            return _stored(row, version), False
        end = last_day(session, viewer)
        start = None if end is None else end - timedelta(days=days - 1)
        started = time.process_time()
        result = personas(session, viewer, start=start, end=end)
        seconds = time.process_time() - started
    with store.write() as session:
        row = session.scalar(select(PersonaRun).where(PersonaRun.scope == scope))
        if row is None:
            row = PersonaRun(scope=scope, result={})
            session.add(row)
        row.data_version, row.computed_at = version, utcnow()
        row.period_start, row.period_end, row.seconds = start, end, seconds
        row.result = _to_json(result)
        session.flush()
        return _stored(row, version), True


def scopes(session: Session) -> list[tuple[str, int | None]]:
    """Every scope the personas are kept for: everyone's, and each distinct set of departments that an
    active agent sees, with one of those agents (whose scope it is)."""
    found: dict[str, int | None] = {ALL: None}
    for user in session.scalars(select(User).where(User.is_active.is_(True), User.role == Role.agent.value)):
        found.setdefault(scope_of(user), user.id)
    return list(found.items())


def refresh_all(store: Store, *, force: bool = False, now: datetime | None = None) -> list[tuple[str, bool]]:
    """Refit every scope whose data changed since its last fit more than ``MIN_AGE`` ago, or since a fit
    that found no personas (all of them with ``force``); returns (scope, refitted) per scope."""
    now = now or utcnow()
    with store.read() as session:
        todo = scopes(session)
        version = data_version(session)
        last = {row.scope: row for row in session.scalars(select(PersonaRun))}
        ages = {k: (r.data_version, r.computed_at, bool(r.result.get("personas"))) for k, r in last.items()}
    done: list[tuple[str, bool]] = []
    for scope, viewer_id in todo:
        seen, at, found = ages.get(scope, (None, None, False))
        # A fit that found no personas (an empty or new store) is cheap and shows nothing: not throttled.
        if not force and at is not None and (seen == version or (found and now - at < MIN_AGE)):
            done.append((scope, False))
            continue
        done.append((scope, refresh(store, viewer_id, force=force)[1]))
    return done


def start_periodic(settings: Settings, stop: threading.Event | None = None) -> threading.Thread:
    """A daemon thread running :func:`refresh_all` at once, then every ``REFRESH_SECONDS`` (``voxpop serve``),
    so a new store (the demo) has its personas within a minute of starting."""
    stop = stop or threading.Event()

    def loop() -> None:
        store = Store(settings)
        try:
            while True:
                try:
                    done = refresh_all(store)
                    log.info("voxpop personas: refitted %s", [scope for scope, fitted in done if fitted] or "none")
                except Exception:
                    log.exception("voxpop personas: the scheduled run failed; it runs again next time")
                if stop.wait(REFRESH_SECONDS):
                    return
        finally:
            store.dispose()

    thread = threading.Thread(target=loop, name="voxpop-personas", daemon=True)
    thread.start()
    return thread
