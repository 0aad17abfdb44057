"""The window rules: negative spike (a statistical test against the same hours of the past weeks),
SLA breach, and a burst of likely-fake items."""

from __future__ import annotations

import math
import random
from datetime import timedelta

from sqlalchemy import select

from tests.act.alerts_support import NOW, add_item, hours, manager, source
from voxpop.act.alerts.rules import create_rule
from voxpop.act.alerts.spike import spike_test
from voxpop.act.alerts.windows import evaluate_windows
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.models.outreach import Alert


def test_spike_test_floors_the_deviation_at_poisson() -> None:
    quiet = [0] * 20 + [1] * 8
    # A flat, near-zero baseline: two negatives are not a spike; eight are.
    assert not spike_test(2, quiet, k=3, min_count=2).is_spike
    assert spike_test(8, quiet, k=3, min_count=2).is_spike
    # min_count holds even above the threshold, and too little history never alerts.
    assert not spike_test(4, [0] * 28, k=3, min_count=5).is_spike
    assert not spike_test(50, [1, 2, 1], k=3, min_count=1).is_spike
    result = spike_test(30, [10, 12, 9, 11, 10, 13, 8, 11], k=3, min_count=5)
    assert result.is_spike
    assert math.isclose(result.mean, 10.5)


def _poisson(rng: random.Random, lam: float) -> int:
    # Knuth's method; enough for small rates.
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _history(store: Store, src: int, rng: random.Random, *, days: int = 30) -> None:
    """A month of reviews with a daily rhythm: busy evenings, quiet nights; ~15% negative."""
    rows = []
    start = NOW - timedelta(days=days)
    for hour in range(days * 24):
        at = start + timedelta(hours=hour)
        rate = 2.5 if 17 <= at.hour <= 21 else (0.2 if at.hour < 7 else 1.0)
        for _ in range(_poisson(rng, rate)):
            minute = rng.randrange(60)
            sentiment = "negative" if rng.random() < 0.15 else rng.choice(["positive", "positive", "neutral"])
            rows.append(
                Item(
                    source_id=src,
                    dedup_key=f"h:{hour}:{minute}:{rng.random()}",
                    channel="google",
                    text="x",
                    created_at=at + timedelta(minutes=minute),
                    raw={},
                    sentiment=sentiment,
                )
            )
    with store.write() as s:
        s.add_all(rows)


def test_a_burst_of_negatives_is_a_spike_and_an_ordinary_day_is_not(store: Store) -> None:
    boss = manager(store)
    with store.write() as s:
        create_rule(s, boss, name="spike", kind="spike", params={"window_hours": 6, "k": 3, "min_count": 4})
    src = source(store)
    _history(store, src, random.Random(7))

    assert evaluate_windows(store, now=NOW) == []  # the month's own last six hours are ordinary

    for n in range(14):  # a bad evening: 14 more negatives in the last 3 hours
        add_item(store, src, at=NOW - hours(3) + timedelta(minutes=12 * n), sentiment="negative", text=f"cold {n}")
    fired = evaluate_windows(store, now=NOW)
    assert len(fired) == 1
    assert evaluate_windows(store, now=NOW + timedelta(minutes=5)) == []  # the same spike, not again
    with store.read() as s:
        alert = s.get(Alert, fired[0])
        assert alert is not None
        assert alert.detail["count"] > alert.detail["threshold"]
        assert "negative items in the last 6 h" in alert.title


def test_sla_breach_alerts_once_per_item(store: Store) -> None:
    boss = manager(store)
    with store.write() as s:
        create_rule(s, boss, name="sla", kind="sla")
    src = source(store)
    late = add_item(store, src, at=NOW - hours(30), due_at=NOW - hours(6))
    add_item(store, src, at=NOW - hours(30), due_at=NOW - hours(6), responded_at=NOW - hours(7))
    add_item(store, src, at=NOW - hours(2), due_at=NOW + hours(22))

    fired = evaluate_windows(store, now=NOW)
    assert evaluate_windows(store, now=NOW + hours(1)) == []
    with store.read() as s:
        assert [a.item_id for a in s.scalars(select(Alert).where(Alert.id.in_(fired)))] == [late]


def test_a_burst_of_likely_fake_items_for_one_location(store: Store) -> None:
    boss = manager(store)
    with store.write() as s:
        create_rule(s, boss, name="fakes", kind="fake_burst", params={"window_hours": 24, "risk": 0.7, "min_count": 3})
    src = source(store)
    for n in range(4):
        add_item(store, src, at=NOW - hours(n), authenticity_risk=0.9, location="Soho", rating=1.0)
    for n in range(2):
        add_item(store, src, at=NOW - hours(n), authenticity_risk=0.9, location="Camden")
    add_item(store, src, at=NOW - hours(1), authenticity_risk=0.1, location="Camden")

    fired = evaluate_windows(store, now=NOW)
    assert len(fired) == 1
    with store.read() as s:
        alert = s.get(Alert, fired[0])
        assert alert is not None
        assert alert.detail["location"] == "Soho"
        assert alert.detail["count"] == 4
    assert evaluate_windows(store, now=NOW + hours(2)) == []


def test_a_burst_of_one_star_ratings_when_watched(store: Store) -> None:
    boss = manager(store)
    with store.write() as s:
        create_rule(s, boss, name="stars", kind="fake_burst", params={"window_hours": 6, "rating_burst": 5})
    src = source(store)
    for n in range(5):
        add_item(store, src, at=NOW - hours(n / 2), rating=0.0, location="Soho", authenticity_risk=0.1)
    for n in range(4):
        add_item(store, src, at=NOW - hours(n / 2), rating=1.0, location="Soho", authenticity_risk=0.1)
    add_item(store, src, at=NOW - hours(8), rating=0.0, location="Soho")

    fired = evaluate_windows(store, now=NOW)
    with store.read() as s:
        [alert] = s.scalars(select(Alert).where(Alert.id.in_(fired))).all()
    assert "5 1★ ratings in 6 h" in alert.title
    assert evaluate_windows(store, now=NOW + hours(1)) == []


def test_the_server_timer_runs_the_window_rules(store: Store) -> None:
    import threading

    from voxpop.act.alerts.tasks import start_periodic
    from voxpop.store.types import utcnow

    boss = manager(store)
    with store.write() as s:
        create_rule(s, boss, name="sla", kind="sla")
    item = add_item(store, source(store), at=utcnow() - hours(30), due_at=utcnow() - hours(1))
    assert start_periodic(store.settings.model_copy(update={"alerts_interval_seconds": 0})) is None
    stop = threading.Event()
    thread = start_periodic(store.settings.model_copy(update={"alerts_interval_seconds": 1}), stop)
    assert thread is not None
    try:
        for _ in range(200):
            with store.read() as s:
                if s.scalar(select(Alert.item_id)) == item:
                    break
            stop.wait(0.05)
        with store.read() as s:
            assert s.scalar(select(Alert.item_id)) == item
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_the_scheduled_run_stamps_sla_breaches_once(store: Store) -> None:
    from voxpop.act.alerts.tasks import run_alerts

    src = source(store)
    late = add_item(store, src, at=NOW - hours(30), due_at=NOW - hours(6))
    add_item(store, src, at=NOW - hours(2), due_at=NOW + hours(22))
    run_alerts(store, now=NOW)
    with store.read() as s:
        stamped = {i.id: i.sla_breached_at for i in s.scalars(select(Item))}
    assert stamped[late] is not None
    assert sum(v is not None for v in stamped.values()) == 1
    run_alerts(store, now=NOW + hours(1))
    with store.read() as s:
        assert s.get(Item, late).sla_breached_at == stamped[late]  # type: ignore[union-attr]
