"""Scheduling: only due, enabled, polled sources are claimed, each by one poller; back-off grows with
jitter and never undercuts Retry-After; the capability matrix documents every live kind."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.ingest.live_support import FIXTURES, local_store, make_source, state_of
from tests.servers import HttpSink, Request, Response
from voxpop.ingest.live.catalogue import live_connectors
from voxpop.ingest.live.http import backoff_delay, retry_after_seconds
from voxpop.ingest.live.scheduler import claim_due, poll_due
from voxpop.ingest.live.service import add_source, set_enabled
from voxpop.store import Store
from voxpop.store.models.sources import SourceState

__all__ = ["local_store"]
DOCS = Path(__file__).resolve().parents[2] / "docs" / "sources.md"


def test_backoff_grows_with_jitter_and_honours_retry_after() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(n, base=60, cap=3600, rng=rng) for n in range(1, 9)]
    for n, delay in enumerate(delays, 1):
        full = min(3600, 60 * 2 ** (n - 1))
        assert full / 2 <= delay <= full
    assert delays[-1] <= 3600
    assert backoff_delay(1, base=60, retry_after=900, rng=rng) == 900
    assert backoff_delay(1, base=60, retry_after=1, rng=rng) >= 30


def test_retry_after_forms() -> None:
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120.0
    assert retry_after_seconds("Sat, 01 Mar 2025 12:05:00 GMT", now=now) == 300.0
    assert retry_after_seconds("Sat, 01 Mar 2025 11:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_only_due_enabled_sources_are_claimed_once(local_store: Store, http_server: HttpSink) -> None:
    http_server.routes[("GET", "/feed.xml")] = Response(200, (FIXTURES / "feed.rss").read_bytes())
    due = make_source(local_store, "rss", {"url": f"{http_server.url}/feed.xml"})
    with local_store.write() as session:
        later, _ = add_source(
            session, local_store.settings, name="later", kind="rss", config={"url": f"{http_server.url}/feed.xml"}
        )
        paused, _ = add_source(
            session, local_store.settings, name="paused", kind="rss", config={"url": f"{http_server.url}/feed.xml"}
        )
        add_source(session, local_store.settings, name="hook", kind="webhook", config={})
        state = session.get(SourceState, later.id)
        assert state is not None
        state.next_poll_at = datetime.now(UTC) + timedelta(hours=1)
        later_id, paused_id = later.id, paused.id
    with local_store.write() as session:
        set_enabled(session, paused_id, False)

    assert claim_due(local_store) == [due]
    assert claim_due(local_store) == []  # claimed: a second poller gets nothing

    with local_store.write() as session:  # due again
        state = session.get(SourceState, due)
        assert state is not None
        state.next_poll_at = datetime.now(UTC) - timedelta(seconds=1)
    outcomes = poll_due(local_store)
    assert [o.source_id for o in outcomes] == [due]
    assert outcomes[0].ok
    _, state, _ = state_of(local_store, due)
    assert state.next_poll_at is not None
    assert state.next_poll_at > datetime.now(UTC) + timedelta(minutes=25)  # the rss interval: 30 min
    _, later_state, _ = state_of(local_store, later_id)
    assert later_state.failures == 0
    assert all(r.path == "/feed.xml" for r in http_server.requests)
    assert len(http_server.requests) == 1


def test_capability_matrix_documents_every_live_kind() -> None:
    text = DOCS.read_text()
    for connector in live_connectors():
        assert f"`{connector.name}`" in text, f"docs/sources.md does not mention {connector.name}"
        assert connector.capabilities.history
        assert connector.capabilities.terms
    for fact in ("at most **3**", "up to **5**", "**500 per country**", "November 2025", "**all** of a location"):
        assert fact in text


def test_background_poller_polls_due_sources(local_store: Store, http_server: HttpSink) -> None:
    import time

    from voxpop.ingest.live.scheduler import start_poller

    http_server.routes[("GET", "/feed.xml")] = Response(200, (FIXTURES / "feed.rss").read_bytes())
    source_id = make_source(local_store, "rss", {"url": f"{http_server.url}/feed.xml"})
    poller = start_poller(local_store.settings, tick=0.1)
    try:
        for _ in range(200):  # waits for the thread, not a timing assertion
            if state_of(local_store, source_id)[0].last_success_at is not None:
                break
            time.sleep(0.05)
    finally:
        poller.stop()
        poller.join(timeout=10)
        poller.store.dispose()
    assert state_of(local_store, source_id)[0].last_success_at is not None
    assert len(http_server.requests) == 1


def test_health_log_is_pruned(local_store: Store, http_server: HttpSink) -> None:
    from sqlalchemy import select

    from voxpop.ingest.live.scheduler import poll_source, prune_events
    from voxpop.store.models.sources import SourceEvent

    http_server.routes[("GET", "/feed.xml")] = Response(500, b"down")
    source_id = make_source(local_store, "rss", {"url": f"{http_server.url}/feed.xml"})
    for _ in range(4):
        assert not poll_source(local_store, source_id).ok
    with local_store.write() as session:
        prune_events(session, source_id, keep=2)
    with local_store.read() as session:
        kept = list(session.scalars(select(SourceEvent.id).where(SourceEvent.source_id == source_id)))
    assert len(kept) == 2
    _, state, events = state_of(local_store, source_id)
    assert state.failures == 4
    assert [e.id for e in events] == sorted(kept)


def test_last_modified_is_sent_back(local_store: Store, http_server: HttpSink) -> None:
    from voxpop.ingest.live.scheduler import poll_source

    stamp = "Sat, 01 Mar 2025 10:00:00 GMT"

    def answer(request: Request) -> Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return Response(304, b"")
        return Response(200, (FIXTURES / "feed.rss").read_bytes(), {"Last-Modified": stamp})

    http_server.routes[("GET", "/feed.xml")] = answer
    source_id = make_source(local_store, "rss", {"url": f"{http_server.url}/feed.xml"})
    assert len(poll_source(local_store, source_id).added_ids) == 2
    second = poll_source(local_store, source_id)
    assert second.ok
    assert "304" in second.message
    assert http_server.requests[-1].headers["If-Modified-Since"] == stamp
