"""Change points on real dated hotel reviews with a known injected shift: found, dated, explained."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from tests.measure.hotels import LONG_BEACH, Review, complaints, dated_series, inject, read_reviews
from tests.measure.insight_store import make_source, store_rows
from voxpop.accounts.users import create_user
from voxpop.act.departments import create_department
from voxpop.errors import ValidationError
from voxpop.measure.attribution import attribute, explain
from voxpop.measure.changes import detect_changes, detect_segment_changes
from voxpop.measure.daily_series import daily_series
from voxpop.measure.observations import Mention, Observation
from voxpop.measure.trends import trend_report
from voxpop.store import Store

START, END = date(2015, 3, 1), date(2016, 10, 31)
INJECTED = date(2016, 2, 1)


@pytest.fixture(scope="module")
def reviews(shared_data: Path) -> list[Review]:
    return read_reviews(shared_data)


@pytest.fixture(scope="module")
def real(reviews: list[Review]) -> list[Observation]:
    return dated_series(reviews, START, END)


@pytest.fixture(scope="module")
def shifted(reviews: list[Review], real: list[Observation]) -> list[Observation]:
    """20 extra real negative cleanliness reviews for one hotel in February 2016."""
    pool = complaints(reviews, "cleanliness")
    return inject(real, pool, hotel=LONG_BEACH, start=INJECTED, days=29, count=20, rng=random.Random(1))


def test_the_injected_shift_is_found_dated_and_explained(shifted: list[Observation]) -> None:
    _, found = detect_changes(shifted, "negative_share", START, END)
    near = [c for c in found if abs((c.day - INJECTED).days) <= 7]
    assert near, f"no change within a week of {INJECTED}: {[(c.day, c.delta) for c in found]}"
    change = near[0]
    assert change.delta > 0.15
    assert change.p_value <= 0.01
    drivers = explain(change, shifted)
    assert drivers["aspect"][0].segment == "cleanliness"
    assert drivers["location"][0].segment == LONG_BEACH
    # The evidence is the hotel's negative items after the change.
    by_id = {r.id: r for r in shifted}
    evidence = [by_id[i] for i in drivers["location"][0].evidence]
    assert evidence
    assert all(r.is_negative and r.location == LONG_BEACH and r.day >= change.day for r in evidence)
    # And the return to normal a month later is found too.
    assert any(c.delta < 0 and abs((c.day - date(2016, 3, 1)).days) <= 7 for c in found)


def test_the_real_series_alone_has_no_change_in_negative_share(real: list[Observation]) -> None:
    _, found = detect_changes(real, "negative_share", START, END)
    assert found == []


def test_segment_series_find_a_shift_the_whole_business_hides(reviews: list[Review], real: list[Observation]) -> None:
    pool = complaints(reviews, "cleanliness")
    small = inject(real, pool, hotel=LONG_BEACH, start=INJECTED, days=29, count=15, rng=random.Random(1))
    _, whole = detect_changes(small, "negative_share", START, END)
    assert not [c for c in whole if abs((c.day - INJECTED).days) <= 7]
    segments = detect_segment_changes(small, "negative_share", START, END)
    hits = {(c.dimension, c.segment) for c in segments if c.delta > 0 and abs((c.day - INJECTED).days) <= 7}
    assert ("aspect", "cleanliness") in hits
    assert detect_segment_changes(real, "negative_share", START, END) == []


def _obs(i: int, day: int, sentiment: str, location: str, aspects: tuple[str, ...] = ()) -> Observation:
    return Observation(
        id=i,
        created_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day),
        sentiment=sentiment,
        score=-1.0 if sentiment == "negative" else 1.0,
        location=location,
        mentions=tuple(Mention(a) for a in aspects),
    )


def test_shift_share_adds_up_and_separates_mix_from_rate() -> None:
    # Before: A 4 items (1 negative), B 4 items (1 negative) -> 0.25.
    # After:  A 4 items (1 negative) — unchanged; B 4 items (3 negative) — B got worse ("rate").
    before = [_obs(i, 0, "negative" if i in (0, 4) else "positive", "A" if i < 4 else "B") for i in range(8)]
    after = [_obs(10 + i, 1, "negative" if i in (0, 4, 5, 6) else "positive", "A" if i < 4 else "B") for i in range(8)]
    found = attribute(before, after, "negative_share", before_days=1, after_days=1, upward=True)["location"]
    assert [d.segment for d in found] == ["B"]
    b = found[0]
    assert b.rate == pytest.approx(0.5 * (0.75 - 0.25))
    assert b.mix == pytest.approx(0.0)
    assert b.kind == "rate"

    # Mix: B (3 in 4 negative) goes from a third of the items to two thirds; A (1 in 4) the other way.
    # Nothing's own rate moved, so the whole change (5/12 -> 7/12) is mix, shared by A and B.
    def side(first: int, day: int, a: int, b: int) -> list[Observation]:
        rows = [_obs(first + i, day, "negative" if i < a // 4 else "positive", "A") for i in range(a)]
        return rows + [_obs(first + a + i, day, "negative" if i < 3 * b // 4 else "positive", "B") for i in range(b)]

    before, after = side(100, 0, 8, 4), side(200, 1, 4, 8)
    found = attribute(before, after, "negative_share", before_days=1, after_days=1, upward=True)["location"]
    by_name = {d.segment: d for d in found}
    assert by_name["B"].mix == pytest.approx((8 / 12 - 4 / 12) * (0.75 - 0.5))
    assert by_name["B"].rate == pytest.approx(0.0)
    assert by_name["B"].kind == "mix"
    assert sum(d.total for d in found) == pytest.approx(7 / 12 - 5 / 12)


def _weekly(
    rng: np.random.Generator, *, rate: float, bump: tuple[int, int, float] | None = None, days: int = 180
) -> list[Observation]:
    """Synthetic items with a weekly cycle, as real customers write: twice the volume and a higher share
    negative at weekends (0.25 against 0.15), at three locations; ``bump`` adds ``+share`` negative over
    days ``[from, to)``."""
    rows: list[Observation] = []
    for day in range(days):
        when = datetime(2025, 1, 6, 12, tzinfo=UTC) + timedelta(days=day)  # a Monday
        weekend = when.weekday() >= 5
        share = 0.25 if weekend else 0.15
        if bump is not None and bump[0] <= day < bump[1]:
            share += bump[2]
        for _ in range(int(rng.poisson(rate * (2 if weekend else 1)))):
            negative = bool(rng.random() < share)
            location = "ABC"[int(rng.integers(3))]
            rows.append(_obs(len(rows) + 1, 0, "negative" if negative else "positive", location))
            rows[-1] = replace(rows[-1], created_at=when)
    return rows


def test_a_shift_that_starts_and_ends_inside_the_window_is_found_at_both_edges() -> None:
    # A month of +0.25 share negative in the middle of half a year, at about 8 items a day.
    rows = _weekly(np.random.default_rng(0), rate=6.0, bump=(60, 90, 0.25))
    first = date(2025, 1, 6)
    _, found = detect_changes(rows, "negative_share", first, first + timedelta(days=179))
    starts = [c for c in found if c.delta > 0.15 and abs((c.day - first).days - 60) <= 7]
    ends = [c for c in found if c.delta < -0.15 and abs((c.day - first).days - 90) <= 7]
    assert starts, [(c.day, c.delta, c.p_value) for c in found]
    assert ends, [(c.day, c.delta, c.p_value) for c in found]
    assert starts[0].p_value <= 0.01
    assert ends[0].p_value <= 0.01
    # The stretch after the bump is compared with the bump, not with the whole rest of the period.
    assert ends[0].before_from == starts[0].day


@pytest.mark.parametrize("rate", [3.0, 12.0, 50.0])
def test_noise_with_a_weekly_cycle_reports_nothing(rate: float) -> None:
    rows = _weekly(np.random.default_rng(int(rate)), rate=rate)
    first = date(2025, 1, 6)
    last = first + timedelta(days=179)
    for metric in ("negative_share", "sentiment", "volume"):
        _, found = detect_changes(rows, metric, first, last)
        assert found == [], (metric, [(c.day, c.delta, c.p_value) for c in found])
    assert detect_segment_changes(rows, "negative_share", first, last, dimensions=("location",)) == []


def test_bad_metric_and_period_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown metric"):
        detect_changes([], "happiness", START, END)
    with pytest.raises(ValidationError, match="ends"):
        daily_series([], "volume", END, START)


def test_trend_report_from_the_store_is_scoped_to_the_agents_departments(
    store: Store, shifted: list[Observation]
) -> None:
    source = make_source(store)
    with store.write() as s:
        housekeeping = create_department(s, name="Housekeeping")
        other = create_department(s, name="Other")
        agent = create_user(
            s, email="a@example.com", password="correct horse battery", role="agent", department_ids=[other.id]
        )
        manager = create_user(s, email="m@example.com", password="correct horse battery", role="manager")
        housekeeping_id = housekeeping.id
    store_rows(store, shifted, source, department_id=housekeeping_id)
    with store.read() as s:
        report = trend_report(s, s.merge(manager), "negative_share", start=START, end=END)
        assert report.items == len(shifted)
        near = [c for c in report.changes if abs((c.day - INJECTED).days) <= 7]
        assert near
        assert report.drivers_of(near[0], "aspect")[0].segment == "cleanliness"
        assert any(c.segment == LONG_BEACH for c in report.segment_changes)
        hidden = trend_report(s, s.merge(agent), "negative_share", start=START, end=END)
        assert hidden.items == 0
        assert hidden.changes == []
