"""The trends report from the roll-up cells: the same series, changes and drivers as from the items."""

from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.measure.hotels import LONG_BEACH, complaints, dated_series, inject, read_reviews
from tests.measure.insight_store import make_source, store_rows
from tests.web.conftest import World, app_client, login, world  # noqa: F401
from voxpop.accounts.users import create_user
from voxpop.act.departments import create_department
from voxpop.measure.attribution import explain
from voxpop.measure.changes import detect_changes, detect_segment_changes
from voxpop.measure.observations import Observation, load_observations
from voxpop.measure.rollups import ensure_fresh
from voxpop.measure.trends import trend_report
from voxpop.store import Store

START, END = date(2015, 9, 1), date(2016, 6, 30)
INJECTED = date(2016, 2, 1)


@pytest.fixture(scope="module")
def shifted(shared_data: Path) -> list[Observation]:
    reviews = read_reviews(shared_data)
    real = dated_series(reviews, START, END)
    pool = complaints(reviews, "cleanliness")
    return inject(real, pool, hotel=LONG_BEACH, start=INJECTED, days=29, count=25, rng=random.Random(1))


@pytest.fixture
def stocked(store: Store, shifted: list[Observation]) -> Store:
    store_rows(store, shifted, make_source(store))
    return store


@pytest.mark.parametrize("metric", ["negative_share", "rating", "volume"])
def test_cells_give_the_items_series_and_changes(stocked: Store, metric: str) -> None:
    with stocked.read() as s:
        pending = trend_report(s, None, metric, start=START, end=END, segments=False)
    assert pending.source == "items"  # days wait for recomputation: the cells are not trusted yet
    ensure_fresh(stocked, max_days=None)
    with stocked.read() as s:
        report = trend_report(s, None, metric, start=START, end=END, segments=False)
        rows = load_observations(s, None, start=START, end=END)
    assert report.source == "rollups"
    assert report.items == len(rows)
    series, changes = detect_changes(rows, metric, START, END)
    assert report.series is not None
    np.testing.assert_allclose(report.series.n, series.n)
    np.testing.assert_allclose(report.series.total, series.total)
    assert [(c.day, c.p_value) for c in report.changes] == [(c.day, c.p_value) for c in changes]
    for mine, theirs in zip(report.changes, changes, strict=True):
        assert mine.before == pytest.approx(theirs.before)
        assert mine.after == pytest.approx(theirs.after)
        explain(theirs, rows)
        # locations and channels: each item in one segment, so the sums give the items' figures exactly
        for dimension in ("location", "channel"):
            got = [(d.segment, d.mix, d.rate) for d in report.drivers_of(mine, dimension)]
            want = [(d.segment, d.mix, d.rate) for d in theirs.drivers if d.dimension == dimension]
            assert [g[0] for g in got] == [w[0] for w in want]
            assert [x for g in got for x in g[1:]] == pytest.approx([x for w in want for x in w[1:]])


def test_cells_give_the_items_segment_changes(stocked: Store) -> None:
    ensure_fresh(stocked, max_days=None)
    with stocked.read() as s:
        report = trend_report(s, None, "negative_share", start=START, end=END)
        rows = load_observations(s, None, start=START, end=END)
    assert report.source == "rollups"
    # locations and channels hold the same items either way (an aspect's cells count its clause's sentiment)
    want = [
        (c.dimension, c.segment, c.day, c.p_value)
        for c in detect_segment_changes(rows, "negative_share", START, END)
        if c.dimension != "aspect"
    ]
    got = [(c.dimension, c.segment, c.day, c.p_value) for c in report.segment_changes if c.dimension != "aspect"]
    assert got == want
    assert any(segment == LONG_BEACH for _, segment, _, _ in got)


def test_the_injected_change_its_drivers_and_evidence(stocked: Store) -> None:
    ensure_fresh(stocked, max_days=None)
    with stocked.read() as s:
        report = trend_report(s, None, "negative_share", start=START, end=END)
        assert report.source == "rollups"
        [near] = [c for c in report.changes if abs((c.day - INJECTED).days) <= 7]
        assert near.delta > 0
        assert report.drivers_of(near, "aspect")[0].segment == "cleanliness"
        assert report.drivers_of(near, "location")[0].segment == LONG_BEACH
        top = report.drivers_of(near, "aspect")[0]
        assert top.evidence
        rows = {r.id: r for r in load_observations(s, None, start=near.day, end=near.after_to)}
        for item_id in top.evidence:  # negative items of the stretch after the change that mention it
            assert rows[item_id].sentiment == "negative"
            assert "cleanliness" in rows[item_id].aspects
        segment = [c for c in report.segment_changes if c.segment == LONG_BEACH]
        assert segment
        assert segment[0].drivers
        assert {d.dimension for d in segment[0].drivers} <= {"aspect", "channel"}
        # no dates: the last 180 days the cells hold
        default = trend_report(s, None, "volume", segments=False)
        assert default.end == max(r.day for r in load_observations(s, None))
        assert (default.end - default.start).days == 179


def test_agents_and_competitor_sources(store: Store, shifted: list[Observation]) -> None:
    with store.write() as s:
        housekeeping = create_department(s, name="Housekeeping")
        other = create_department(s, name="Other")
        agent = create_user(
            s, email="a@example.com", password="correct horse battery", role="agent", department_ids=[other.id]
        )
        housekeeping_id = housekeeping.id
    store_rows(store, shifted[:400], make_source(store), department_id=housekeeping_id)
    ensure_fresh(store, max_days=None)
    with store.read() as s:
        hidden = trend_report(s, s.merge(agent), "volume", start=START, end=END)
    assert hidden.source == "rollups"
    assert hidden.items == 0
    assert hidden.changes == []
    # a competitor's items count only in their source's cells: the report still reads the cells, ours alone
    store_rows(store, shifted[400:500], make_source(store, "Rival", competitor="Rival Hotel"))
    ensure_fresh(store, max_days=None)
    with store.read() as s:
        report = trend_report(s, None, "volume", start=START, end=END)
        from_items = trend_report(s, None, "volume", start=START, end=END, rollups=False)
    assert report.source == "rollups"
    assert report.items == from_items.items == 400
    assert report.series is not None
    assert from_items.series is not None
    assert report.series.n.tolist() == from_items.series.n.tolist()


def test_the_page_reads_the_cells_and_drills_down(app_client: TestClient, world: World, stocked: Store) -> None:  # noqa: F811
    ensure_fresh(stocked, max_days=None)
    login(app_client, "manager@example.com")
    html = app_client.get(f"/trends?metric=negative_share&date_from={START}&date_to={END}").text
    assert "from the daily roll-ups" in html
    match = re.search(r'id="change-(2016-0[12]-\d\d)"', html)
    assert match, "the injected change is not listed"
    section = html[match.start() :].split("</article>")[0]
    assert "aspect=cleanliness" in section
    evidence = re.findall(r'href="/items/(\d+)"', section)
    assert evidence
    assert app_client.get(f"/items/{evidence[0]}").status_code == 200
