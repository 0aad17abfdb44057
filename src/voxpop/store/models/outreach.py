"""Tables of promoter outreach, alerts and the weekly department digest (``voxpop.act.outreach``,
``voxpop.act.alerts``). Migration ``0005_outreach``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voxpop.store.models.core import Base
from voxpop.store.types import BigIntId, Json, UtcDateTime, utcnow


class OutreachSend(Base):
    """One thank-you-and-ask mail to a promoter, and what became of it (clicked, completed).

    ``token`` is the unguessable key of the mail's links (click, testimonial form, referral); the
    customer-wide opt-out is ``customers.unsubscribed_at``.
    """

    __tablename__ = "outreach_sends"
    __table_args__ = (Index("ix_outreach_sends_customer_sent", "customer_id", "sent_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # testimonial, survey, referral
    token: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default="sending")  # sending, sent, failed
    error: Mapped[str | None] = mapped_column(Text)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    clicked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    clicks: Mapped[int] = mapped_column(Integer, default=0)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    testimonial: Mapped[str | None] = mapped_column(Text)
    testimonial_public: Mapped[bool] = mapped_column(Boolean, default=False)


class AlertDestination(Base):
    """Where alerts go: an e-mail address, a Slack incoming webhook, or a signed generic webhook."""

    __tablename__ = "alert_destinations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # email, slack, webhook
    target: Mapped[str] = mapped_column(String(2000))  # an address or a URL
    secret: Mapped[str | None] = mapped_column(Text)  # the webhook's HMAC key, sealed (act.alerts.destinations)
    max_per_hour: Mapped[int] = mapped_column(Integer, default=10)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AlertRule(Base):
    """A condition worth telling someone about; ``params`` depend on ``kind`` (see act.alerts.rules)."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    destination_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Alert(Base):
    """One firing of a rule. ``(rule_id, dedup_key)`` is unique: one alert per item per rule, ever
    (``item:<id>``), or per window for the window rules — so a redelivered task never alerts twice."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("rule_id", "dedup_key"), Index("ix_alerts_created", "created_at"))

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    dedup_key: Mapped[str] = mapped_column(String(200))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AlertDelivery(Base):
    """An alert on its way to one destination: pending → sending → sent (alone or in a digest).
    A failed post stays pending with a later ``next_attempt_at``; it is never dropped."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "destination_id"),
        Index("ix_alert_deliveries_destination_status", "destination_id", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    destination_id: Mapped[int] = mapped_column(ForeignKey("alert_destinations.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("alert_messages.id", ondelete="SET NULL"))


class AlertMessage(Base):
    """One message posted to a destination: a single alert, or a digest of several (rate limit)."""

    __tablename__ = "alert_messages"
    __table_args__ = (Index("ix_alert_messages_destination_sent", "destination_id", "sent_at"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    destination_id: Mapped[int] = mapped_column(ForeignKey("alert_destinations.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    alert_count: Mapped[int] = mapped_column(Integer, default=1)
    is_digest: Mapped[bool] = mapped_column(Boolean, default=False)


class DigestSend(Base):
    """The weekly digest of one department for one week (Monday), sent once."""

    __tablename__ = "digest_sends"
    __table_args__ = (UniqueConstraint("department_id", "week_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"))
    week_start: Mapped[date] = mapped_column(Date)
    recipients: Mapped[list[str]] = mapped_column(Json, default=list)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
