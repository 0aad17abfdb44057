"""Helpers for the alert and outreach tests: a store whose mail and posts go to the local servers,
a manager, a source and items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from tests.servers import HttpSink, SmtpSink
from voxpop.accounts.users import create_user
from voxpop.store import Store
from voxpop.store.models import Item, Source, User

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
_seq = count()


def wired_store(store: Store, smtp: SmtpSink | None = None, **overrides: Any) -> Store:
    """The same database, with settings pointing mail at ``smtp`` and allowing the local HTTP server."""
    update: dict[str, Any] = {"allow_private_urls": True, "base_url": "https://vox.example", **overrides}
    if smtp is not None:
        update.update(smtp.settings_overrides())
    return Store(store.settings.model_copy(update=update), migrate=False)


def manager(store: Store) -> User:
    with store.write() as s:
        return create_user(s, email=f"boss{next(_seq)}@example.com", password="correct horse battery", role="manager")


def source(store: Store, name: str = "Google reviews") -> int:
    with store.write() as s:
        src = Source(name=f"{name} {next(_seq)}", kind="file", channel="google", config={})
        s.add(src)
        s.flush()
        return src.id


def add_item(store: Store, source_id: int, *, at: datetime = NOW, **fields: Any) -> int:
    values: dict[str, Any] = {
        "source_id": source_id,
        "dedup_key": f"t:{next(_seq)}",
        "channel": "google",
        "text": "A perfectly ordinary review.",
        "created_at": at,
        "raw": {},
    }
    values.update(fields)
    with store.write() as s:
        item = Item(**values)
        s.add(item)
        s.flush()
        return item.id


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


__all__ = ["NOW", "HttpSink", "SmtpSink", "add_item", "hours", "manager", "source", "wired_store"]
