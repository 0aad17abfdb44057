"""Personas: planted groups of real reviewers are found, named by what sets them apart, with quotes."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.measure.hotels import Review, observation, read_reviews
from tests.measure.insight_store import make_source, store_rows
from voxpop.measure.observations import Observation
from voxpop.measure.personas import find_personas, people_of, personas
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Customer
from voxpop.store.models.insight import BusinessMetric

START = datetime(2025, 1, 1, tzinfo=UTC)


def _group(
    pool: list[Review], prefix: str, people: int, per_person: int, channel: str, rng: random.Random, first_id: int
) -> list[Observation]:
    rows: list[Observation] = []
    for p in range(people):
        for k in range(per_person):
            row = observation(rng.choice(pool), first_id + len(rows), START + timedelta(days=p + k))
            rows.append(replace(row, author=f"{prefix}{p}", channel=channel))
    return rows


@pytest.fixture(scope="module")
def planted(shared_data: Path) -> list[Observation]:
    """Three kinds of real reviewers: regulars who complain about cleanliness on Google, one-off happy
    TripAdvisor guests who praise the staff, and Twitter users who mention the location."""
    from tests.measure.hotels import aspects_of

    reviews = read_reviews(shared_data)
    dirty = [r for r in reviews if r.stars <= 2 and aspects_of(r.text) == ["cleanliness"]]
    staff = [r for r in reviews if r.stars == 5 and aspects_of(r.text) == ["staff"]]
    where = [r for r in reviews if r.stars in (3, 4) and aspects_of(r.text) == ["location"]]
    assert dirty
    assert staff
    assert where
    rng = random.Random(0)
    return (
        _group(dirty, "grumpy", 12, 4, "google", rng, 1)
        + _group(staff, "fan", 15, 1, "tripadvisor", rng, 1000)
        + _group(where, "tweeter", 10, 2, "twitter", rng, 2000)
    )


def test_planted_groups_are_found_and_named(planted: list[Observation]) -> None:
    result = find_personas(people_of(planted))
    assert result.k == 3
    assert result.silhouette is not None
    assert result.silhouette > 0.3
    groups = {p.name: {m.split(":", 1)[1].rstrip("0123456789") for m in p.members} for p in result.personas}
    assert sorted(len(v) for v in groups.values()) == [1, 1, 1]
    by_kind = {next(iter(v)): name for name, v in groups.items()}
    # e.g. "Complaining · talks about cleanliness · on google"
    assert "talks about cleanliness" in by_kind["grumpy"].lower()
    assert by_kind["grumpy"].startswith(("Complaining", "Unhappy", "Low raters"))
    assert "talks about staff" in by_kind["fan"].lower()
    assert "on twitter" in by_kind["tweeter"].lower()
    grumpy = next(p for p in result.personas if p.name == by_kind["grumpy"])
    assert grumpy.size == 12
    assert grumpy.items_per_person == 4
    assert grumpy.negative_share == 1.0
    assert grumpy.top_aspects[0][0] == "cleanliness"
    assert len(grumpy.quote_ids) == 3


def test_a_sample_finds_the_groups_and_everyone_joins_one(planted: list[Observation]) -> None:
    """Past ``max_sample`` people, k-means runs on a seeded sample; the rest join the nearest persona."""
    people = people_of(planted)
    result = find_personas(people, max_sample=25)
    assert result.sample == 25
    assert result.people == len(people) == 37
    assert result.k == 3
    members = [m for p in result.personas for m in p.members]
    assert sorted(members) == sorted(p.key for p in people)  # everyone, once
    groups = sorted({m.split(":", 1)[1].rstrip("0123456789") for m in p.members} for p in result.personas)
    assert groups == [{"fan"}, {"grumpy"}, {"tweeter"}]
    assert sum(p.share for p in result.personas) == pytest.approx(1.0)
    assert find_personas(people).sample is None


def test_too_few_people_says_so() -> None:
    rows = [Observation(id=i, created_at=START, author=f"a{i}", sentiment="positive", score=0.5) for i in range(5)]
    result = find_personas(people_of(rows))
    assert result.personas == []
    assert "at least 20" in result.reason


def test_personas_from_the_store_use_customers_and_their_business_metrics(
    store: Store, planted: list[Observation]
) -> None:
    with store.write() as s:
        customers = {f"grumpy{p}": Customer(external_ref=f"g{p}", handles={}, attributes={}) for p in range(12)}
        s.add_all(customers.values())
        s.flush()
        for p in range(12):
            s.add(BusinessMetric(metric="churn", period=START.date(), value=1.0, location="", customer_ref=f"g{p}"))
        ids = {k: c.id for k, c in customers.items()}
    rows = [replace(r, customer_id=ids.get(r.author or "")) for r in planted]
    texts = {r.id: f"quote from {r.author}" for r in rows}
    store_rows(store, rows, make_source(store), texts=texts)
    with store.read() as s:
        result = personas(s, None)
    assert result.k == 3
    grumpy = next(p for p in result.personas if p.members[0].startswith("customer:"))
    assert grumpy.size == 12
    assert grumpy.business == {"churn": 1.0}
    assert grumpy.quotes
    assert all(text.startswith("quote from grumpy") for _, text in grumpy.quotes)


def test_personas_are_fitted_in_the_background_and_kept_until_the_data_changes(
    store: Store, planted: list[Observation]
) -> None:
    from voxpop.accounts.users import create_user
    from voxpop.act.departments import create_department
    from voxpop.measure.personas import MIN_AGE, refresh, refresh_all, stored
    from voxpop.measure.rollups import ensure_fresh
    from voxpop.store.types import utcnow

    with store.write() as s:
        ours = create_department(s, name="Front desk")
        theirs = create_department(s, name="Billing")
        agent = create_user(
            s, email="a@example.com", password="correct horse battery", role="agent", department_ids=[theirs.id]
        )
        create_user(s, email="m@example.com", password="correct horse battery", role="manager")
        ours_id = ours.id
    store_rows(store, planted, make_source(store), department_id=ours_id)
    ensure_fresh(store, max_days=None)
    with store.read() as s:
        assert stored(s, None) is None  # nothing is fitted on a read
    assert refresh_all(store) == [("all", True), (f"d:{theirs.id}", True)]
    with store.read() as s:
        found = stored(s, None)
        scoped = stored(s, s.merge(agent))
    assert found is not None
    assert scoped is not None
    assert (found.result.k, found.result.people, found.stale) == (3, 37, False)
    newest = max(r.day for r in planted)
    assert (found.start, found.end) == (newest - timedelta(days=364), newest)
    assert sorted(p.size for p in found.result.personas) == [10, 12, 15]
    assert all(p.quote_ids and not p.members for p in found.result.personas)  # members are not kept
    assert (scoped.result.people, scoped.result.personas) == (0, [])  # the agent's departments: no one
    assert refresh_all(store) == [("all", False), (f"d:{theirs.id}", False)]  # nothing changed
    with store.write() as s:
        s.add(BusinessMetric(metric="churn", period=START.date(), value=0.1, location="", customer_ref=""))
    with store.read() as s:
        changed = stored(s, None)
    assert changed is not None
    assert changed.stale
    # refitted at most every MIN_AGE, unless the last fit found no one (the agent's scope: cheap, shows nothing)
    assert refresh_all(store) == [("all", False), (f"d:{theirs.id}", True)]
    later = utcnow() + MIN_AGE + timedelta(seconds=1)
    assert refresh_all(store, now=later) == [("all", True), (f"d:{theirs.id}", False)]  # it saw this version
    with store.read() as s:
        again = stored(s, None)
    assert again is not None
    assert not again.stale
    assert again.computed_at > found.computed_at
    assert [p.name for p in again.result.personas] == [p.name for p in found.result.personas]
    assert refresh(store, force=True)[1] is True


def test_voxpop_serve_fits_them_in_a_background_thread_at_start(
    store: Store, settings: Settings, planted: list[Observation]
) -> None:
    import threading

    from voxpop.measure.personas import start_periodic, stored

    store_rows(store, planted, make_source(store))
    stop = threading.Event()
    stop.set()  # one run, then the thread ends
    thread = start_periodic(settings, stop)
    thread.join(timeout=300)
    assert not thread.is_alive()
    with store.read() as s:
        found = stored(s, None)
    assert found is not None
    assert found.result.k == 3


def test_stored_personas_keep_no_words_the_quotes_are_read_when_shown(store: Store, planted: list[Observation]) -> None:
    """An erased or edited item is never quoted from the stored fit: only the quotes' ids are kept."""
    from sqlalchemy import select, update

    from voxpop.measure.personas import refresh, stored
    from voxpop.store.models import Item
    from voxpop.store.models.insight import PersonaRun

    ids = store_rows(store, planted, make_source(store), texts={r.id: f"secret words {r.id}" for r in planted})
    refresh(store)
    with store.read() as s:
        kept = s.scalar(select(PersonaRun.result))
        found = stored(s, None)
    assert "secret words" not in str(kept)
    assert found is not None
    quoted = found.result.personas[0].quotes[0][0]
    assert found.result.personas[0].quotes[0][1].startswith("secret words")
    assert quoted in ids.values()
    with store.write() as s:
        s.execute(update(Item).where(Item.id == quoted).values(text="[erased]"))
    with store.read() as s:
        again = stored(s, None)
    assert again is not None
    assert dict(again.result.personas[0].quotes)[quoted] == "[erased]"
