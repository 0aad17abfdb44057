"""Delivering queued alerts: claimed, rate-limited per destination, retried on failure.

* **Claim.** A delivery is claimed with a conditional UPDATE (pending → sending), so two runners
  never post the same alert; a claim older than ``STALE_CLAIM`` (a crashed runner) is taken over.
* **Rate limit.** A destination gets at most ``max_per_hour`` messages per rolling hour. When more
  alerts wait than the hour has room for, they go out as **one digest message** listing them all;
  with no room at all they wait (still pending) until the hour has room again.
* **Retry.** A failed post (refused, 500, timeout) leaves its deliveries pending with a growing
  delay (1, 2, 4 … 60 minutes). An alert is never dropped and — because a delivery is marked sent in
  the same unit of work that records the message — never sent twice by voxpop's own doing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from voxpop.act.alerts.destinations import TransportError, send
from voxpop.act.alerts.messages import alert_view, render
from voxpop.store import Store
from voxpop.store.models.outreach import Alert, AlertDelivery, AlertDestination, AlertMessage, AlertRule
from voxpop.store.types import utcnow

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=1)
HOUR = timedelta(hours=1)
MAX_BATCH = 200


@dataclass
class DeliveryReport:
    messages: int = 0  # messages posted
    alerts: int = 0  # alerts delivered (a digest counts all it lists)
    digests: int = 0
    failed: int = 0  # deliveries that failed this time (kept for a retry)
    held: int = 0  # deliveries waiting for the rate limit

    def add(self, other: DeliveryReport) -> None:
        for name in ("messages", "alerts", "digests", "failed", "held"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _due(destination_id: int, now: datetime) -> Select[int]:
    return (
        select(AlertDelivery.id)
        .where(
            AlertDelivery.destination_id == destination_id,
            or_(
                (AlertDelivery.status == "pending") & (AlertDelivery.next_attempt_at <= now),
                (AlertDelivery.status == "sending") & (AlertDelivery.claimed_at < now - STALE_CLAIM),
            ),
        )
        .order_by(AlertDelivery.id)
        .limit(MAX_BATCH)
    )


def _claim(store: Store, destination_id: int, now: datetime) -> list[int]:
    claimed: list[int] = []
    with store.write() as session:
        for delivery_id in list(session.scalars(_due(destination_id, now))):
            result = session.execute(
                update(AlertDelivery)
                .where(
                    AlertDelivery.id == delivery_id,
                    or_(
                        AlertDelivery.status == "pending",
                        (AlertDelivery.status == "sending") & (AlertDelivery.claimed_at < now - STALE_CLAIM),
                    ),
                )
                .values(status="sending", claimed_at=now)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                claimed.append(delivery_id)
    return claimed


def _room(session: Session, destination: AlertDestination, now: datetime) -> tuple[int, datetime | None]:
    """Messages the destination may still get this hour, and when the oldest one leaves the hour."""
    recent = select(AlertMessage.sent_at).where(
        AlertMessage.destination_id == destination.id, AlertMessage.sent_at > now - HOUR
    )
    used = int(session.scalar(select(func.count()).select_from(recent.subquery())) or 0)
    oldest = session.scalar(select(func.min(recent.subquery().c.sent_at)))
    return destination.max_per_hour - used, (oldest + HOUR if oldest else None)


def _release(store: Store, ids: list[int], *, at: datetime, error: str | None, failed: bool) -> None:
    with store.write() as session:
        values: dict[str, object] = {"status": "pending", "next_attempt_at": at, "claimed_at": None}
        if failed:
            values.update(attempts=AlertDelivery.attempts + 1, last_error=(error or "")[:2000])
        session.execute(update(AlertDelivery).where(AlertDelivery.id.in_(ids)).values(**values))


def _post(store: Store, destination: AlertDestination, ids: list[int], now: datetime, *, held: bool) -> DeliveryReport:
    """Post one message for the deliveries ``ids`` (one alert, or a digest) and record the outcome."""
    settings = store.settings
    session = store.read()
    try:
        rows = session.execute(
            select(Alert, AlertRule)
            .join(AlertDelivery, AlertDelivery.alert_id == Alert.id)
            .join(AlertRule, AlertRule.id == Alert.rule_id)
            .where(AlertDelivery.id.in_(ids))
            .order_by(Alert.id)
        ).all()
        views = [alert_view(alert, rule, settings.base_url) for alert, rule in rows]
    finally:
        session.close()
    message = render(views, business=settings.business_name, held=held)
    try:
        send(settings, destination, message)
    except TransportError as exc:
        log.warning("alert destination '%s' failed: %s", destination.name, exc)
        with store.read() as s:
            attempts = 1 + int(s.scalar(select(func.max(AlertDelivery.attempts)).where(AlertDelivery.id.in_(ids))) or 0)
        _release(store, ids, at=now + backoff(attempts), error=str(exc), failed=True)
        return DeliveryReport(failed=len(ids))
    with store.write() as session:
        record = AlertMessage(destination_id=destination.id, sent_at=now, alert_count=len(ids), is_digest=held)
        session.add(record)
        session.flush()
        session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.id.in_(ids))
            .values(status="sent", sent_at=now, message_id=record.id, last_error=None)
        )
    return DeliveryReport(messages=1, alerts=len(ids), digests=1 if held else 0)


def deliver_destination(store: Store, destination: AlertDestination, now: datetime) -> DeliveryReport:
    claimed = _claim(store, destination.id, now)
    if not claimed:
        return DeliveryReport()
    with store.read() as session:
        room, frees_at = _room(session, destination, now)
    if room <= 0:
        _release(store, claimed, at=frees_at or now + HOUR, error=None, failed=False)
        return DeliveryReport(held=len(claimed))
    if len(claimed) > room:
        return _post(store, destination, claimed, now, held=True)
    report = DeliveryReport()
    for position, delivery_id in enumerate(claimed):
        outcome = _post(store, destination, [delivery_id], now, held=False)
        report.add(outcome)
        if outcome.failed:
            # The destination is failing: the rest wait for the retry instead of each timing out now.
            rest = claimed[position + 1 :]
            if rest:
                _release(store, rest, at=now + backoff(1), error=None, failed=False)
                report.failed += len(rest)
            break
    return report


def deliver_pending(store: Store, *, now: datetime | None = None) -> DeliveryReport:
    """Deliver whatever is due, destination by destination."""
    now = now or utcnow()
    with store.read() as session:
        destinations = list(
            session.scalars(
                select(AlertDestination).where(AlertDestination.enabled.is_(True)).order_by(AlertDestination.id)
            )
        )
    report = DeliveryReport()
    for destination in destinations:
        report.add(deliver_destination(store, destination, now))
    return report
