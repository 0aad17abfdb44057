"""Storing an alert once and queueing it for its rule's destinations.

``(rule_id, dedup_key)`` is unique in the database, so firing is idempotent even when two workers
evaluate the same ids at once: the second insert fails inside a savepoint and is ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voxpop.act.alerts.matching import match
from voxpop.act.alerts.rules import ITEM_KINDS, list_rules
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.models.outreach import Alert, AlertDelivery, AlertDestination, AlertRule
from voxpop.store.types import utcnow

CHUNK = 500
EXCERPT = 280


def excerpt(item: Item) -> str:
    text = " ".join(f"{item.title or ''} {item.text or ''}".split())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


def item_detail(item: Item, reason: str) -> dict[str, Any]:
    return {
        "reason": reason,
        "excerpt": excerpt(item),
        "source": item.source.name if item.source else None,
        "channel": item.channel,
        "location": item.location,
        "department": item.department.name if item.department else None,
        "author": item.author_name,
        "url": item.url,
    }


def fire(
    session: Session,
    rule: AlertRule,
    dedup_key: str,
    title: str,
    detail: dict[str, Any],
    *,
    item_id: int | None = None,
    now: datetime | None = None,
) -> Alert | None:
    """Store the alert and queue its deliveries; None when this (rule, key) has fired before."""
    now = now or utcnow()
    if session.scalar(select(Alert.id).where(Alert.rule_id == rule.id, Alert.dedup_key == dedup_key)) is not None:
        return None
    alert = Alert(
        rule_id=rule.id, dedup_key=dedup_key[:200], item_id=item_id, title=title[:500], detail=detail, created_at=now
    )
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return None  # another worker stored it a moment ago
    if rule.destination_ids:
        destinations = session.scalars(
            select(AlertDestination.id).where(
                AlertDestination.id.in_(rule.destination_ids), AlertDestination.enabled.is_(True)
            )
        )
        for destination_id in destinations:
            session.add(AlertDelivery(alert_id=alert.id, destination_id=destination_id, next_attempt_at=now))
        session.flush()
    return alert


def evaluate_items(store: Store, ids: Sequence[int], *, now: datetime | None = None) -> list[int]:
    """Fire the enabled item-level rules on the items ``ids``; returns the new alerts' ids."""
    fired: list[int] = []
    with store.write() as session:
        rules = list_rules(session, enabled_only=True, kinds=ITEM_KINDS)
        if not rules:
            return fired
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            for item in session.scalars(select(Item).where(Item.id.in_(chunk)).order_by(Item.id)):
                for rule in rules:
                    reason = match(rule.kind, rule.params, item)
                    if reason is None:
                        continue
                    title = f"{rule.name}: item {item.id} {reason}"
                    alert = fire(
                        session, rule, f"item:{item.id}", title, item_detail(item, reason), item_id=item.id, now=now
                    )
                    if alert is not None:
                        fired.append(alert.id)
    return fired
