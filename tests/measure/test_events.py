"""Events: marking them, and the before/after reaction with its significance, on real hotel reviews."""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from tests.measure.hotels import LONG_BEACH, complaints, dated_series, inject, read_reviews
from tests.measure.insight_store import make_source, store_rows
from voxpop.accounts.users import create_user
from voxpop.errors import PermissionDeniedError, ValidationError
from voxpop.measure.events import add_event, compare_windows, delete_event, list_events, reaction
from voxpop.measure.observations import Observation
from voxpop.store import Store
from voxpop.store.models import AuditEvent

LAUNCH = date(2016, 2, 1)


@pytest.fixture(scope="module")
def shifted(shared_data: Path) -> list[Observation]:
    reviews = read_reviews(shared_data)
    real = dated_series(reviews, date(2015, 12, 1), date(2016, 3, 31))
    return inject(
        real,
        complaints(reviews, "cleanliness"),
        hotel=LONG_BEACH,
        start=LAUNCH,
        days=14,
        count=20,
        rng=random.Random(3),
    )


def _at(i: int, day: int) -> Observation:
    return Observation(id=i, created_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=day))


def test_volume_uses_the_exact_poisson_rate_test() -> None:
    before = [_at(i, 0) for i in range(10)]
    after = [_at(100 + i, 20) for i in range(30)]
    volume, *_ = compare_windows(before, after, days_before=14, days_after=14)
    # Two-sided exact binomial p for 30 of 40 at p = 1/2, computed by hand.
    tail = sum(math.comb(40, k) for k in range(30, 41)) / 2**40
    assert volume.p_value == pytest.approx(2 * tail)
    assert volume.before == pytest.approx(10 / 14)
    assert volume.after == pytest.approx(30 / 14)
    assert volume.significant


def test_the_same_windows_show_no_significant_reaction(shifted: list[Observation]) -> None:
    window = [r for r in shifted if date(2015, 12, 1) <= r.day < date(2015, 12, 15)]
    volume, sentiment, negative, rating, aspects = compare_windows(window, window, days_before=14, days_after=14)
    for difference in (volume, sentiment, negative, rating, *aspects):
        assert not difference.significant, difference


def test_reaction_to_an_event_on_real_reviews(store: Store, shifted: list[Observation]) -> None:
    source = make_source(store)
    store_rows(store, shifted, source)
    with store.write() as s:
        manager = create_user(s, email="m@example.com", password="correct horse battery", role="manager")
        event = add_event(s, manager, name="New cleaning contractor", kind="policy", starts_on=LAUNCH)
        event_id = event.id
        assert s.query(AuditEvent).filter_by(action="event.add").count() == 1
    with store.read() as s:
        found = reaction(s, None, s.get(type(event), event_id), window=14)
    assert found.negative_share.significant
    assert (found.negative_share.after or 0) > (found.negative_share.before or 0)
    assert found.sentiment.significant
    assert found.sentiment.test == "Mann-Whitney U"
    assert found.aspects[0].label == "cleanliness"
    assert found.aspects[0].significant
    with store.write() as s:
        local = add_event(s, None, name="Lobby works", kind="other", starts_on=LAUNCH, location="Nowhere Inn")
        assert reaction(s, None, local).volume.n_after == 0


def test_events_are_checked_listed_and_only_managers_mark_them(store: Store) -> None:
    with store.write() as s:
        agent = create_user(s, email="a@example.com", password="correct horse battery", role="agent")
        viewer = create_user(s, email="v@example.com", password="correct horse battery", role="viewer")
        for user in (agent, viewer):
            with pytest.raises(PermissionDeniedError):
                add_event(s, user, name="Sale", kind="campaign", starts_on=LAUNCH)
        with pytest.raises(ValidationError, match="kind"):
            add_event(s, None, name="Sale", kind="party", starts_on=LAUNCH)
        with pytest.raises(ValidationError, match="ends_on"):
            add_event(s, None, name="Sale", kind="campaign", starts_on=LAUNCH, ends_on=LAUNCH - timedelta(days=1))
        with pytest.raises(ValidationError, match="name"):
            add_event(s, None, name="  ", kind="campaign", starts_on=LAUNCH)
        late = add_event(s, None, name="Spring menu", kind="launch", starts_on=date(2016, 4, 1))
        add_event(s, None, name="Winter sale", kind="campaign", starts_on=date(2016, 1, 5), ends_on=date(2016, 1, 20))
        add_event(s, None, name="Price rise", kind="price", starts_on=date(2015, 6, 1))
    with store.write() as s:
        names = [e.name for e in list_events(s, start=date(2016, 1, 10), end=date(2016, 12, 31))]
        assert names == ["Winter sale", "Spring menu"]
        delete_event(s, None, late.id)
        assert [e.name for e in list_events(s)] == ["Price rise", "Winter sale"]
