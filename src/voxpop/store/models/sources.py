"""Live sources' own tables: poll state and encrypted credentials, the health log, webhook deliveries.

Kept beside ``sources`` (core) one-to-one, so the core table stays small; ``sources.last_success_at``,
``last_error`` and ``last_error_at`` are still updated for every other page that shows a source.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voxpop.store.models.core import Base
from voxpop.store.types import BigIntId, Json, UtcDateTime, utcnow


class SourceState(Base):
    """How and when a live source is polled, where the last poll stopped, and its sealed secrets."""

    __tablename__ = "source_state"
    __table_args__ = (Index("ix_source_state_next_poll_at", "next_poll_at"),)

    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    poll_interval_seconds: Mapped[int] = mapped_column(Integer, default=900)
    next_poll_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0, doc="Consecutive failed polls.")
    healthy: Mapped[bool] = mapped_column(Boolean, default=True)
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    cursor: Mapped[dict[str, Any]] = mapped_column(Json, default=dict, doc="Where the connector stopped.")
    credentials: Mapped[str | None] = mapped_column(Text, doc="Fernet token (voxpop.ingest.live.credentials).")
    credentials_hint: Mapped[str | None] = mapped_column(String(500), doc="Masked: names and ••••last4.")
    webhook_secret: Mapped[str | None] = mapped_column(Text, doc="Fernet token of the HMAC secret.")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SourceEvent(Base):
    """One poll or delivery: the source's health log."""

    __tablename__ = "source_events"
    __table_args__ = (Index("ix_source_events_source_at", "source_id", "at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean)
    message: Mapped[str] = mapped_column(Text, default="")
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    http_status: Mapped[int | None] = mapped_column(Integer)
    next_poll_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebhookDelivery(Base):
    """A webhook delivery accepted for a source; a second one with the same id is a replay."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("source_id", "delivery_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    delivery_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    added: Mapped[int] = mapped_column(Integer, default=0)
