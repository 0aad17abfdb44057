"""Polling live sources: one poll, the due ones, and the poller thread of ``voxpop serve``.

A poll either stores its items *and* records success in one transaction, or stores nothing and records
the failure (the source turns unhealthy, its last error says why, and it is polled again after an
exponential back-off with jitter that never undercuts the platform's ``Retry-After``). New items then go
through the pipeline (analyse → route → alert → rollup).

Claiming is a conditional UPDATE of ``next_poll_at`` (the database is the queue), so two pollers — a
``voxpop serve`` and a cron'd ``voxpop sources poll --due`` — never poll one source at once.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from voxpop.errors import VoxpopError
from voxpop.ingest.live.base import PollContext, PollResult
from voxpop.ingest.live.catalogue import live_connector
from voxpop.ingest.live.credentials import seal, unseal
from voxpop.ingest.live.errors import PayloadError, SourceError
from voxpop.ingest.live.http import LiveClient, backoff_delay
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import RecordError, prepare_row, write_batch
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Source
from voxpop.store.models.sources import SourceEvent, SourceState
from voxpop.store.types import utcnow

log = logging.getLogger(__name__)

CLAIM_SECONDS = 600  # a claimed poll that never finished (crash) is retried after this
KEEP_EVENTS = 500  # health-log entries kept per source


@dataclass
class PollOutcome:
    source_id: int
    name: str
    ok: bool
    message: str
    added_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    duplicates: int = 0
    next_poll_at: datetime | None = None


def poll_source(store: Store, source_id: int, *, pipeline: bool = True, timeout: float = 20.0) -> PollOutcome:
    """Poll one source now, whatever its schedule."""
    settings = store.settings
    with store.read() as session:
        source = session.get(Source, source_id)
        state = session.get(SourceState, source_id)
        if source is None or state is None:
            raise VoxpopError(f"no live source with id {source_id}")
        name, kind, config = source.name, source.kind, dict(source.config or {})
        cursor, sealed = dict(state.cursor or {}), state.credentials
        etag, modified, failures, interval = (
            state.etag,
            state.last_modified,
            state.failures,
            state.poll_interval_seconds,
        )

    ctx: PollContext | None = None
    try:
        connector = live_connector(kind)
        if connector.pushed:
            raise SourceError(f"{connector.label} sources receive items by webhook; there is nothing to poll")
        with LiveClient(settings, timeout=timeout) as http:
            ctx = PollContext(
                settings=settings,
                http=http,
                source_id=source_id,
                source_name=name,
                config=config,
                cursor=cursor,
                credentials=unseal(settings, sealed),
                etag=etag,
                last_modified=modified,
            )
            result = connector.poll(ctx)
        outcome = _store_success(store, source_id, name, result, ctx, interval)
    except VoxpopError as exc:
        return _store_failure(store, source_id, name, exc, ctx, failures)
    except Exception as exc:  # a connector bug must not stop the poller; it is logged with its trace
        log.exception("polling source %s failed unexpectedly", name)
        return _store_failure(store, source_id, name, exc, ctx, failures)
    ids = outcome.added_ids + outcome.updated_ids
    if pipeline and ids and store.settings.analyze_on_ingest:
        from voxpop.workers.executor import get_executor
        from voxpop.workers.pipeline import run_pipeline

        try:
            run_pipeline(get_executor(store), ids)
        except Exception:  # the items are stored; `voxpop reanalyze` catches up
            log.exception("the pipeline failed after polling %s; the items are stored", name)
    return outcome


def _store_success(
    store: Store, source_id: int, name: str, result: PollResult, ctx: PollContext, interval: int
) -> PollOutcome:
    now = utcnow()
    next_at = now + timedelta(seconds=interval)
    with store.write() as session:
        source = session.get(Source, source_id)
        state = session.get(SourceState, source_id)
        assert source is not None
        assert state is not None
        try:
            written = write_batch(session, source, result.records) if result.records else None
        except RecordError as exc:  # nothing of the poll is stored: say which item and field
            raise _bad_item(source, result.records, exc) from None
        added = list(written.added_ids) if written else []
        updated = list(getattr(written, "updated_ids", []) or []) if written else []
        duplicates = written.duplicates if written else 0
        state.cursor = result.cursor
        state.etag, state.last_modified = result.etag, result.last_modified
        state.failures, state.healthy, state.next_poll_at, state.updated_at = 0, True, next_at, now
        if ctx.credentials_changed:
            state.credentials = seal(store.settings, ctx.credentials)
        source.last_success_at = now
        message = result.note or f"{len(result.records)} read, {len(added)} new, {len(updated)} updated"
        session.add(
            SourceEvent(
                source_id=source_id,
                at=now,
                ok=True,
                message=message,
                added=len(added),
                updated=len(updated),
                http_status=304 if result.not_modified else None,
                next_poll_at=next_at,
            )
        )
        prune_events(session, source_id)
    return PollOutcome(source_id, name, True, message, added, updated, duplicates, next_at)


def _bad_item(source: Source, records: list[ItemRecord], exc: RecordError) -> PayloadError:
    """The writer refused an item the connector read: name it (its id and place in the poll) and the field."""
    now = utcnow()
    for number, record in enumerate(records, 1):
        try:
            prepare_row(source, record, now=now)
        except RecordError as bad:
            ident = f" (id {record.external_id[:80]})" if isinstance(record.external_id, str) else ""
            return PayloadError(f"item {number} of {len(records)} read{ident}, field '{bad.field}': {bad.reason}")
    return PayloadError(str(exc))


def _store_failure(
    store: Store, source_id: int, name: str, exc: Exception, ctx: PollContext | None, failures: int
) -> PollOutcome:
    now = utcnow()
    message = str(exc) if isinstance(exc, VoxpopError) else f"unexpected error: {exc.__class__.__name__}: {exc}"
    message = message[:2000]
    retry_after = exc.retry_after if isinstance(exc, SourceError) else None
    status = exc.status if isinstance(exc, SourceError) else None
    next_at = now + timedelta(seconds=backoff_delay(failures + 1, retry_after=retry_after))
    with store.write() as session:
        source = session.get(Source, source_id)
        state = session.get(SourceState, source_id)
        assert source is not None
        assert state is not None
        state.failures, state.healthy, state.next_poll_at, state.updated_at = failures + 1, False, next_at, now
        if ctx is not None and ctx.credentials_changed:
            state.credentials = seal(store.settings, ctx.credentials)
        source.last_error, source.last_error_at = message, now
        session.add(
            SourceEvent(
                source_id=source_id, at=now, ok=False, message=message, http_status=status, next_poll_at=next_at
            )
        )
        prune_events(session, source_id)
    log.warning("source %s: %s (next try %s)", name, message, next_at.isoformat(timespec="seconds"))
    return PollOutcome(source_id, name, False, message, next_poll_at=next_at)


def prune_events(session: Session, source_id: int, keep: int = KEEP_EVENTS) -> None:
    """Keep a source's health log to its latest ``keep`` entries (a 5-minute poll adds 288 a day)."""
    cutoff = session.scalars(
        select(SourceEvent.id)
        .where(SourceEvent.source_id == source_id)
        .order_by(SourceEvent.id.desc())
        .offset(keep)
        .limit(1)
    ).first()
    if cutoff is not None:
        session.execute(delete(SourceEvent).where(SourceEvent.source_id == source_id, SourceEvent.id <= cutoff))


def claim_due(store: Store, *, now: datetime | None = None, limit: int = 20) -> list[int]:
    """Ids of enabled, polled sources whose time has come, each claimed for this poller."""
    now = now or utcnow()
    with store.read() as session:
        candidates = list(
            session.scalars(
                select(SourceState.source_id)
                .join(Source, Source.id == SourceState.source_id)
                .where(Source.enabled.is_(True), SourceState.next_poll_at.is_not(None))
                .where(SourceState.next_poll_at <= now)
                .order_by(SourceState.next_poll_at)
                .limit(limit)
            )
        )
    claimed: list[int] = []
    for source_id in candidates:
        with store.write() as session:
            taken = session.execute(  # type: ignore[attr-defined]
                update(SourceState)
                .where(SourceState.source_id == source_id, SourceState.next_poll_at <= now)
                .values(next_poll_at=now + timedelta(seconds=CLAIM_SECONDS))
            ).rowcount
        if taken == 1:
            claimed.append(source_id)
    return claimed


def poll_due(store: Store, *, pipeline: bool = True) -> list[PollOutcome]:
    """Poll every source that is due (``voxpop sources poll --due``, and the poller thread)."""
    return [poll_source(store, source_id, pipeline=pipeline) for source_id in claim_due(store)]


class Poller(threading.Thread):
    """The background poller of ``voxpop serve``: every ``tick`` seconds, poll what is due."""

    def __init__(self, store: Store, *, tick: float = 30.0) -> None:
        super().__init__(name="voxpop-poller", daemon=True)
        self.store = store
        self.tick = tick
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                poll_due(self.store)
            except Exception:
                log.exception("the source poller failed; it tries again in %s s", self.tick)
            self._stop_event.wait(self.tick * (0.8 + 0.4 * random.random()))

    def stop(self) -> None:
        self._stop_event.set()


def start_poller(settings: Settings, *, tick: float = 30.0) -> Poller:
    """Start the background poller (``voxpop serve``) over a store of its own."""
    poller = Poller(Store(settings), tick=tick)
    poller.start()
    return poller
