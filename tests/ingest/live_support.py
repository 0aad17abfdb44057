"""Helpers for the live-source tests: a store that may reach 127.0.0.1, documented payloads, counts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from voxpop.ingest.live.service import add_source
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item, Source
from voxpop.store.models.sources import SourceEvent, SourceState

FIXTURES = Path(__file__).parent / "fixtures" / "live"


def payload(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def local_store(settings: Settings) -> Iterator[Store]:
    """The test store, allowed to reach the local test servers on 127.0.0.1 (SSRF rule relaxed)."""
    store = Store(settings.model_copy(update={"allow_private_urls": True}))
    yield store
    store.dispose()


def make_source(store: Store, kind: str, config: dict[str, Any], credentials: dict[str, Any] | None = None) -> int:
    with store.write() as session:
        source, _ = add_source(
            session, store.settings, name=f"{kind} test", kind=kind, config=config, credentials=credentials
        )
        return source.id


def item_count(store: Store) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(Item)) or 0)


def items(store: Store) -> list[Item]:
    with store.read() as session:
        return list(session.scalars(select(Item).order_by(Item.created_at.desc())))


def state_of(store: Store, source_id: int) -> tuple[Source, SourceState, list[SourceEvent]]:
    with store.read() as session:
        source = session.get(Source, source_id)
        state = session.get(SourceState, source_id)
        assert source is not None
        assert state is not None
        events = list(
            session.scalars(select(SourceEvent).where(SourceEvent.source_id == source_id).order_by(SourceEvent.id))
        )
        return source, state, events
