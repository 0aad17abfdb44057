"""The window rules, run on a schedule: negative spike, SLA breach, suspected-fake burst."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from voxpop.act.alerts.firing import fire, item_detail
from voxpop.act.alerts.rules import RuleKind, list_rules
from voxpop.act.alerts.spike import SpikeResult, spike_test
from voxpop.act.sla import breached_items
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.models.outreach import Alert, AlertRule
from voxpop.store.types import utcnow


def _bucket(now: datetime, hours: int) -> str:
    """The window ``now`` falls in, as a stable key (windows are aligned to the Unix epoch)."""
    return str(int(now.timestamp()) // (hours * 3600))


def _fired_since(session: Session, rule: AlertRule, prefix: str, since: datetime) -> bool:
    return (
        session.scalar(
            select(Alert.id)
            .where(Alert.rule_id == rule.id, Alert.dedup_key.startswith(prefix), Alert.created_at >= since)
            .limit(1)
        )
        is not None
    )


def count_negatives(session: Session, start: datetime, end: datetime) -> int:
    query = select(func.count(Item.id)).where(
        Item.sentiment == "negative", Item.created_at >= start, Item.created_at < end
    )
    return int(session.scalar(query) or 0)


def negative_spike(session: Session, params: dict[str, Any], now: datetime) -> SpikeResult:
    """The spike test for the window ending at ``now`` (see ``act.alerts.spike``)."""
    window = timedelta(hours=params["window_hours"])
    first = session.scalar(select(func.min(Item.created_at)))
    current = count_negatives(session, now - window, now)
    baseline: list[int] = []
    for day in range(1, params["days"] + 1):
        end = now - timedelta(days=day)
        if first is None or end - window < first:
            continue
        baseline.append(count_negatives(session, end - window, end))
    return spike_test(current, baseline, k=params["k"], min_count=params["min_count"])


def _spike(session: Session, rule: AlertRule, now: datetime) -> list[Alert]:
    params = rule.params
    result = negative_spike(session, params, now)
    if not result.is_spike or _fired_since(session, rule, "spike:", now - timedelta(hours=params["window_hours"])):
        return []
    title = (
        f"{rule.name}: {result.count} negative items in the last {params['window_hours']} h "
        f"(usual {result.mean:.1f} ± {result.sd:.1f}, alert above {result.threshold:.1f})"
    )
    detail = {
        "reason": f"z = {result.z:.1f}",
        "count": result.count,
        "mean": round(result.mean, 2),
        "sd": round(result.sd, 2),
        "threshold": round(result.threshold, 2),
        "window_hours": params["window_hours"],
    }
    alert = fire(session, rule, f"spike:{_bucket(now, params['window_hours'])}", title, detail, now=now)
    return [alert] if alert else []


def _breached(session: Session, now: datetime) -> Iterable[Item]:
    """Items past due, still open and unanswered: the workflow's SLA clock (``act.sla``)."""
    return breached_items(session, now)


def _sla(session: Session, rule: AlertRule, now: datetime) -> list[Alert]:
    fired: list[Alert] = []
    for item in _breached(session, now):
        due = item.due_at.strftime("%Y-%m-%d %H:%M") if item.due_at else "?"
        reason = f"no response since it was due at {due} UTC"
        alert = fire(
            session,
            rule,
            f"item:{item.id}",
            f"{rule.name}: item {item.id} {reason}",
            item_detail(item, reason),
            item_id=item.id,
            now=now,
        )
        if alert:
            fired.append(alert)
    return fired


def _bursts(params: dict[str, Any]) -> list[tuple[str, str, ColumnElement[bool], int]]:
    """The kinds of burst a fake_burst rule watches: (key, what, condition, minimum count)."""
    kinds = [("fake", "likely-fake items", Item.authenticity_risk >= params["risk"], params["min_count"])]
    if params.get("rating_burst"):
        kinds += [
            ("stars1", "1★ ratings", Item.rating <= 0.125, params["rating_burst"]),
            ("stars5", "5★ ratings", Item.rating >= 0.875, params["rating_burst"]),
        ]
    return kinds


def _fake_burst(session: Session, rule: AlertRule, now: datetime) -> list[Alert]:
    params = rule.params
    since = now - timedelta(hours=params["window_hours"])
    fired: list[Alert] = []
    for key, what, condition, minimum in _bursts(params):
        rows = session.execute(
            select(Item.source_id, Item.location, func.count(Item.id), func.min(Item.id))
            .where(Item.created_at >= since, Item.created_at <= now, condition)
            .group_by(Item.source_id, Item.location)
            .having(func.count(Item.id) >= minimum)
        ).all()
        for source_id, location, count, first_id in rows:
            group = f"{key}:{source_id}:{location or ''}:"
            if _fired_since(session, rule, group, since):
                continue
            where = f"source {source_id}" + (f", location {location}" if location else "")
            title = f"{rule.name}: {count} {what} in {params['window_hours']} h ({where})"
            detail = {
                "reason": f"{count} {what} (alert at {minimum})",
                "count": count,
                "source_id": source_id,
                "location": location,
                "first_item_id": first_id,
            }
            alert = fire(session, rule, group + _bucket(now, params["window_hours"]), title, detail, now=now)
            if alert:
                fired.append(alert)
    return fired


def evaluate_windows(store: Store, *, now: datetime | None = None) -> list[int]:
    """Run every enabled window rule once for ``now``; returns the new alerts' ids."""
    now = now or utcnow()
    fired: list[int] = []
    with store.write() as session:
        for rule in list_rules(session, enabled_only=True):
            if rule.kind == RuleKind.spike:
                alerts = _spike(session, rule, now)
            elif rule.kind == RuleKind.sla:
                alerts = _sla(session, rule, now)
            elif rule.kind == RuleKind.fake_burst:
                alerts = _fake_burst(session, rule, now)
            else:
                continue
            fired.extend(a.id for a in alerts)
    return fired
