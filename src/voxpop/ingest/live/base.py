"""What a live connector is given and gives back; the scheduler does the rest (storing, health, back-off).

A live connector is registered in the connector registry (``kind = "live"``) like any other. It declares
the settings a user fills in (``fields``: the non-secret ``config`` and the ``secret`` ones, which are
sealed — see ``credentials``), turns the platform's documented payload into ``ItemRecord``s in ``poll``,
and — when its ``capabilities.can_reply`` — posts a reply back in ``post_reply``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal

from voxpop.errors import ValidationError
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.live.http import LiveClient
from voxpop.ingest.records import ItemRecord
from voxpop.notify.urls import check_outbound_url
from voxpop.settings import Settings


@dataclass(frozen=True, slots=True)
class Field:
    """One thing a user configures for a source. ``secret`` ones are sealed and never shown back."""

    name: str
    label: str
    required: bool = True
    secret: bool = False
    default: str = ""
    url: bool = False  # checked against the SSRF rule when saved (and before every connection)
    help: str = ""


@dataclass
class PollContext:
    """Everything one poll may read; ``cursor`` and ``credentials`` may be replaced by the connector."""

    settings: Settings
    http: LiveClient
    source_id: int
    source_name: str
    config: dict[str, Any]
    cursor: dict[str, Any]
    credentials: dict[str, Any]
    etag: str | None = None
    last_modified: str | None = None
    credentials_changed: bool = False
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def update_credentials(self, **values: Any) -> None:
        """Keep new values (a refreshed OAuth token) — sealed again by the scheduler, even if the poll fails."""
        self.credentials = {**self.credentials, **values}
        self.credentials_changed = True

    def url(self, name: str, default: str = "") -> str:
        """A configured URL (or base URL), checked against the SSRF rule."""
        value = str(self.config.get(name) or default).rstrip("/")
        if value == default.rstrip("/"):
            return value  # the platform's own documented host, not a URL a user typed
        return check_outbound_url(value, allow_private=self.settings.allow_private_urls)


@dataclass
class PollResult:
    records: list[ItemRecord]
    cursor: dict[str, Any] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class ReplyPosted:
    """A reply the platform accepted: where it went and the platform's reference, if it gave one."""

    platform: str
    reference: str | None = None
    posted_at: datetime | None = None


class LiveConnector:
    """Base of every live connector — voxpop's own and plug-ins alike (the scheduler relies on its methods)."""

    kind: ClassVar[Literal["live"]] = "live"
    name: ClassVar[str]
    label: ClassVar[str]
    channel: ClassVar[str] = "other"
    item_kind: ClassVar[str] = "review"
    capabilities: ClassVar[Capabilities]
    fields: ClassVar[tuple[Field, ...]] = ()
    default_interval: ClassVar[int] = 3600
    pushed: ClassVar[bool] = False  # items arrive by webhook, nothing to poll

    def check_config(self, settings: Settings, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
        """The config to store: required fields present, URLs allowed, secrets kept out. Raises ValidationError."""
        unknown = sorted(set(config) - {f.name for f in self.fields})
        if unknown:
            raise ValidationError(f"{self.label}: unknown setting(s) {', '.join(unknown)}")
        clean: dict[str, Any] = {}
        for spec in self.fields:
            if spec.secret:
                if spec.required and not str(secrets.get(spec.name) or "").strip():
                    raise ValidationError(f"{self.label}: '{spec.label}' ({spec.name}) is required")
                continue
            value = str(config.get(spec.name) or spec.default).strip()
            if spec.required and not value:
                raise ValidationError(f"{self.label}: '{spec.label}' ({spec.name}) is required")
            if value and spec.url and value != spec.default:  # our own defaults are the platforms' hosts
                value = check_outbound_url(value, allow_private=settings.allow_private_urls)
            if value:
                clean[spec.name] = value
        return clean

    def poll(self, ctx: PollContext) -> PollResult:
        raise NotImplementedError

    def post_reply(self, ctx: PollContext, raw: dict[str, Any], external_id: str, text: str) -> ReplyPosted:
        raise NotImplementedError(f"{self.label} cannot post replies")


def expires_at(expires_in: Any, now: datetime) -> str:
    """An OAuth ``expires_in`` (seconds, maybe a string) as an ISO instant, a minute early to be safe."""
    try:
        seconds = float(expires_in)
    except (TypeError, ValueError):
        seconds = 3600.0
    return (now + timedelta(seconds=max(0.0, seconds - 60))).isoformat()


def token_is_fresh(credentials: dict[str, Any], now: datetime) -> bool:
    token, until = credentials.get("access_token"), credentials.get("expires_at")
    if not token or not until:
        return False
    try:
        return datetime.fromisoformat(str(until)) > now
    except ValueError:
        return False
