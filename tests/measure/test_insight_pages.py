"""The insight pages over the real app: content, drill-down links, escaping, scoping and permissions."""

from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.measure.hotels import LONG_BEACH, complaints, dated_series, inject, read_reviews
from tests.measure.insight_store import make_source, store_rows
from tests.web.conftest import World, app_client, csrf_of, login, world  # noqa: F401
from voxpop.measure.observations import Observation
from voxpop.store import Store

EVIL = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def shifted(shared_data: Path) -> list[Observation]:
    reviews = read_reviews(shared_data)
    real = dated_series(reviews, date(2015, 9, 1), date(2016, 6, 30))
    return inject(
        real,
        complaints(reviews, "cleanliness"),
        hotel=LONG_BEACH,
        start=date(2016, 2, 1),
        days=29,
        count=25,
        rng=random.Random(1),
    )


@pytest.fixture
def stocked(store: Store, world: World, shifted: list[Observation]) -> Store:  # noqa: F811
    """The hotel reviews in Delivery's queue (the agent works for Billing only)."""
    store_rows(
        store,
        shifted,
        make_source(store, "Hotel reviews"),
        department_id=world.delivery,
        texts={r.id: f"review {r.id} {EVIL}" for r in shifted},
    )
    return store


def test_every_insight_page_needs_a_login(app_client: TestClient) -> None:  # noqa: F811
    for path in ("/trends", "/events", "/journey", "/competitors", "/personas", "/business"):
        response = app_client.get(path, follow_redirects=False)
        assert response.status_code in (302, 303), path
        assert "/login" in response.headers["location"]


def test_trends_show_the_change_its_drivers_and_drill_down(app_client: TestClient, stocked: Store) -> None:  # noqa: F811
    login(app_client, "manager@example.com")
    page = app_client.get("/trends?metric=negative_share&date_from=2015-09-01&date_to=2016-06-30")
    assert page.status_code == 200
    html = page.text
    assert 'data-chart="trend"' in html
    assert '<path class="line" d="M' in html
    match = re.search(r'id="change-(2016-0[12]-\d\d)"', html)
    assert match, "the injected change is not listed"
    assert abs((date.fromisoformat(match.group(1)) - date(2016, 2, 1)).days) <= 7
    section = html[match.start() :]
    assert "cleanliness" in section.split("</table>")[0]
    assert "/inbox?" in section
    assert "aspect=cleanliness" in section
    assert re.search(r'href="/items/\d+"', section)
    assert app_client.get("/trends?metric=happiness").status_code == 422


def test_an_agent_sees_only_their_departments(app_client: TestClient, stocked: Store) -> None:  # noqa: F811
    login(app_client, "agent@example.com")
    html = app_client.get("/trends?date_from=2015-09-01&date_to=2016-06-30").text
    assert "0 items" in html
    assert "No items in this period" in html
    journey = app_client.get("/journey").text
    assert "0 items" in journey


def test_events_are_marked_by_managers_and_shown_on_trends(app_client: TestClient, stocked: Store) -> None:  # noqa: F811
    login(app_client, "manager@example.com")
    token = csrf_of(app_client.get("/events").text)
    missing = app_client.post("/events", data={"name": "x", "kind": "campaign", "starts_on": "2016-02-01"})
    assert missing.status_code == 403
    created = app_client.post(
        "/events",
        data={"csrf_token": token, "name": f"Cleaning {EVIL}", "kind": "policy", "starts_on": "2016-02-01"},
        follow_redirects=False,
    )
    assert created.status_code == 303
    event_page = app_client.get(created.headers["location"]).text
    assert EVIL not in event_page
    assert "&lt;script&gt;" in event_page
    assert "Fisher" in event_page
    assert "significant" in event_page
    trend = app_client.get("/trends?date_from=2015-09-01&date_to=2016-06-30").text
    assert "marker-event" in trend
    assert EVIL not in trend
    app_client.post("/logout", data={"csrf_token": csrf_of(trend)})
    login(app_client, "viewer@example.com")
    token = csrf_of(app_client.get("/events").text)
    refused = app_client.post(
        "/events", data={"csrf_token": token, "name": "y", "kind": "campaign", "starts_on": "2016-02-01"}
    )
    assert refused.status_code == 403


def test_journey_map_is_an_escaped_svg_with_links_and_editable(app_client: TestClient, stocked: Store) -> None:  # noqa: F811
    login(app_client, "manager@example.com")
    html = app_client.get("/journey").text
    assert '<svg class="journey-map"' in html
    assert "cleanliness and comfort" in html
    assert 'href="/inbox?aspect=' in html or 'href="/inbox?sentiment=negative' in html
    token = csrf_of(html)
    bad = app_client.post("/journey/map", data={"csrf_token": token, "map": "stages: [oops"})
    assert bad.status_code == 422
    new_map = (
        f"stages:\n  - name: 'stay {EVIL}'\n    touchpoints:\n      - name: clean\n        aspects: [cleanliness]\n"
    )
    saved = app_client.post("/journey/map", data={"csrf_token": token, "map": new_map}, follow_redirects=False)
    assert saved.status_code == 303
    html = app_client.get("/journey").text
    assert EVIL not in html
    assert "stay &lt;script&gt;" in html


def test_competitors_personas_and_business_pages(app_client: TestClient, stocked: Store, tmp_path: Path) -> None:  # noqa: F811
    login(app_client, "manager@example.com")
    assert "Competitor benchmark" in app_client.get("/competitors").text
    personas = app_client.get("/personas").text
    assert "Personas" in personas
    assert 'data-personas="none"' in personas  # the page never fits them itself
    business = app_client.get("/business")
    token = csrf_of(business.text)
    bad = app_client.post(
        "/business/import",
        data={"csrf_token": token},
        files={"file": ("m.csv", b"period,churn\n2016-01,2\n", "text/csv")},
    )
    assert bad.status_code == 422
    assert "row 2" in bad.text
    good = app_client.post(
        "/business/import",
        data={"csrf_token": token},
        files={
            "file": ("m.csv", b"period,churn\n2015-10,0.05\n2015-11,0.04\n2016-01,0.06\n2016-02,0.09\n", "text/csv")
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    assert good.headers["location"] == "/business?imported=4"
    html = app_client.get(good.headers["location"]).text
    assert "Imported 4 values" in html
    assert "0.090" in html
    assert "Correlation, not causation" in html
    assert "Pearson r" in html


def test_personas_page_shows_what_was_computed_in_the_background(
    app_client: TestClient,  # noqa: F811
    store: Store,
    world: World,  # noqa: F811
    shifted: list[Observation],
) -> None:
    from dataclasses import replace

    from voxpop.measure.personas import refresh_all

    guests = [replace(r, author=f"guest{r.id % 60}") for r in shifted[:900]]  # 60 guests, 15 reviews each
    texts = {r.id: f"review {r.id} {EVIL}" for r in guests}
    store_rows(store, guests, make_source(store, "Guests"), department_id=world.delivery, texts=texts)
    refresh_all(store)
    login(app_client, "manager@example.com")
    html = app_client.get("/personas").text
    assert 'data-personas="computed"' in html
    people = re.search(r"Computed \d{4}-\d\d-\d\d \d\d:\d\d UTC on ([\d,]+) customers", html)
    assert people is not None
    assert int(people.group(1).replace(",", "")) > 20
    assert "the last 365 days with items" in html
    assert '<article class="card persona">' in html
    assert EVIL not in html  # the quotes are escaped
    assert "&lt;script&gt;" in html
    app_client.cookies.clear()
    login(app_client, "agent@example.com")  # Billing only; the reviews are Delivery's
    html = app_client.get("/personas").text
    assert "Computed" in html
    assert "review " not in html
    assert "at least 20 are needed" in html
