"""The pipeline stage ``alert`` and the scheduled run of the window rules."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from voxpop.act.alerts.delivery import DeliveryReport, deliver_pending
from voxpop.act.alerts.digest import DigestReport, parse_week, send_digests
from voxpop.act.alerts.firing import evaluate_items
from voxpop.act.alerts.windows import evaluate_windows
from voxpop.act.sla import mark_breaches
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.types import utcnow
from voxpop.workers.tasks import task

log = logging.getLogger(__name__)


@task("alert")
def alert_stage(store: Store, ids: Sequence[int]) -> None:
    """Item-level rules on the new items, then deliver what is due. Idempotent: an item fires a rule
    once ever, and a delivered alert is not delivered again."""
    evaluate_items(store, ids)
    deliver_pending(store)


@dataclass
class RunReport:
    fired: list[int] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


def run_alerts(store: Store, *, now: datetime | None = None) -> RunReport:
    """What ``voxpop alerts run`` and the server's timer do: stamp new SLA breaches, the window rules, then
    every due delivery (retries and held-back alerts included)."""
    now = now or utcnow()
    mark_breaches(store, now)  # stamp SLA breaches first, so the SLA rule and the dashboards see them
    fired = evaluate_windows(store, now=now)
    return RunReport(fired=fired, delivery=deliver_pending(store, now=now))


def send_due_digests(store: Store, *, now: datetime | None = None) -> DigestReport | None:
    """Last week's digests, each sent once (``digest_sends`` remembers); None when switched off or no mail."""
    settings = store.settings
    if not settings.digest_auto or not settings.smtp_host:
        return None
    now = now or utcnow()
    return send_digests(store, week=parse_week(None, now.date()), now=now)


def start_periodic(settings: Settings, stop: threading.Event | None = None) -> threading.Thread | None:
    """A daemon thread running :func:`run_alerts` (and :func:`send_due_digests`) every
    ``alerts_interval_seconds`` (None when 0)."""
    if settings.alerts_interval_seconds <= 0:
        return None
    stop = stop or threading.Event()

    def loop() -> None:
        store = Store(settings)
        try:
            while not stop.wait(settings.alerts_interval_seconds):
                try:
                    report = run_alerts(store)
                    send_due_digests(store)
                    if report.fired or report.delivery.messages:
                        log.info("voxpop alerts: %d fired, %d messages", len(report.fired), report.delivery.messages)
                except Exception:
                    log.exception("voxpop alerts: the scheduled run failed; it runs again next time")
        finally:
            store.dispose()

    thread = threading.Thread(target=loop, name="voxpop-alerts", daemon=True)
    thread.start()
    return thread
