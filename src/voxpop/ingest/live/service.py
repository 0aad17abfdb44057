"""Adding, configuring and reading the health of live sources — what the pages and the CLI call."""

from __future__ import annotations

import secrets as token_source
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.errors import NotFoundError, NotUniqueError, ValidationError
from voxpop.ingest.live.base import LiveConnector
from voxpop.ingest.live.catalogue import live_connector
from voxpop.ingest.live.credentials import hint, seal, unseal
from voxpop.settings import Settings
from voxpop.store.models import Source
from voxpop.store.models.sources import SourceEvent, SourceState
from voxpop.store.types import utcnow

MIN_INTERVAL = 60


@dataclass
class SourceHealth:
    """One source as the list page and ``voxpop sources list`` show it."""

    id: int
    name: str
    kind: str
    label: str
    enabled: bool
    healthy: bool
    failures: int
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    next_poll_at: datetime | None
    interval_seconds: int
    credentials_hint: str
    pushed: bool


def add_source(
    session: Session,
    settings: Settings,
    *,
    name: str,
    kind: str,
    config: dict[str, Any],
    credentials: dict[str, Any] | None = None,
    interval_seconds: int | None = None,
) -> tuple[Source, str | None]:
    """Create a live source; returns it and, for a webhook source, its signing secret (shown once)."""
    connector = live_connector(kind)
    name = name.strip()
    if not name:
        raise ValidationError("a source needs a name")
    if session.scalars(select(Source).where(Source.name == name)).first() is not None:
        raise NotUniqueError(f"a source named {name!r} already exists")
    creds = _secret_values(connector, credentials or {})
    clean = connector.check_config(settings, config, creds)
    channel = str(clean.get("channel") or connector.channel)
    source = Source(name=name, kind=connector.name, channel=channel, config=clean, enabled=True)
    session.add(source)
    session.flush()
    state = SourceState(
        source_id=source.id,
        poll_interval_seconds=_interval(interval_seconds or connector.default_interval),
        next_poll_at=None if connector.pushed else utcnow(),
        cursor={},
        failures=0,
        healthy=True,
    )
    if creds:
        state.credentials = seal(settings, creds)
        state.credentials_hint = hint(creds)
    webhook_secret = None
    if connector.pushed:
        webhook_secret = token_source.token_urlsafe(32)
        state.webhook_secret = seal(settings, {"secret": webhook_secret})
    session.add(state)
    session.flush()
    return source, webhook_secret


def set_credentials(session: Session, settings: Settings, source_id: int, values: dict[str, Any]) -> str:
    """Replace some of a source's secret values (write-only: blank ones keep what is stored); returns the hint."""
    source, state = load(session, source_id)
    connector = live_connector(source.kind)
    given = _secret_values(connector, {k: v for k, v in values.items() if str(v or "").strip()})
    merged = {**unseal(settings, state.credentials), **given}
    if any(k in given for k in ("refresh_token", "api_key", "api_secret", "client_id", "client_secret")):
        merged.pop("access_token", None)  # a token of the old account must not be used for the new one
        merged.pop("expires_at", None)
    state.credentials = seal(settings, merged)
    state.credentials_hint = hint({k: v for k, v in merged.items() if k not in ("access_token", "expires_at")})
    state.failures, state.next_poll_at, state.updated_at = 0, utcnow(), utcnow()
    return state.credentials_hint


def set_enabled(session: Session, source_id: int, enabled: bool) -> None:
    source, state = load(session, source_id)
    source.enabled = enabled
    if enabled:
        state.next_poll_at = utcnow()


def load(session: Session, source_id: int) -> tuple[Source, SourceState]:
    source = session.get(Source, source_id)
    state = session.get(SourceState, source_id)
    if source is None or state is None:
        raise NotFoundError(f"no live source with id {source_id}")
    return source, state


def find(session: Session, ref: str) -> tuple[Source, SourceState]:
    """A live source by id or name."""
    source = session.scalars(select(Source).where(Source.name == ref)).first()
    if source is None and ref.isdigit():
        source = session.get(Source, int(ref))
    if source is None:
        raise NotFoundError(f"no source named {ref!r}")
    return load(session, source.id)


def health(session: Session) -> list[SourceHealth]:
    rows = session.execute(
        select(Source, SourceState).join(SourceState, SourceState.source_id == Source.id).order_by(Source.name)
    ).all()
    out: list[SourceHealth] = []
    for source, state in rows:
        try:
            connector: LiveConnector | None = live_connector(source.kind)
        except ValidationError:
            connector = None
        out.append(
            SourceHealth(
                id=source.id,
                name=source.name,
                kind=source.kind,
                label=connector.label if connector else f"{source.kind} (connector not installed)",
                enabled=source.enabled,
                healthy=state.healthy,
                failures=state.failures,
                last_success_at=source.last_success_at,
                last_error=source.last_error,
                last_error_at=source.last_error_at,
                next_poll_at=state.next_poll_at,
                interval_seconds=state.poll_interval_seconds,
                credentials_hint=state.credentials_hint or "",
                pushed=bool(connector and connector.pushed),
            )
        )
    return out


def events(session: Session, source_id: int, limit: int = 20) -> list[SourceEvent]:
    query = (
        select(SourceEvent)
        .where(SourceEvent.source_id == source_id)
        .order_by(SourceEvent.at.desc(), SourceEvent.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def _secret_values(connector: LiveConnector, values: dict[str, Any]) -> dict[str, Any]:
    allowed = {f.name for f in connector.fields if f.secret}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValidationError(f"{connector.label}: unknown credential(s) {', '.join(unknown)}")
    return {k: str(v).strip() for k, v in values.items() if str(v or "").strip()}


def _interval(seconds: int) -> int:
    if seconds < MIN_INTERVAL:
        raise ValidationError(f"poll at most once a minute (interval ≥ {MIN_INTERVAL} s)")
    return int(seconds)
