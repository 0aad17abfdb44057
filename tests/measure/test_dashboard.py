"""The dashboard page over the real app and store: every role, scoping, drill-down links, CSV export."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.web.conftest import PASSWORD, World, add_item, login
from voxpop.accounts.users import create_user
from voxpop.act.departments import create_department
from voxpop.store import Store
from voxpop.store.models import Department, Item, Source
from voxpop.web.app import create_app


@pytest.fixture
def world(store: Store) -> World:
    """Billing and Delivery, one user per role (the agent in Billing only), a review and a tweet source."""
    with store.write() as s:
        billing = create_department(s, name="Billing")
        delivery = create_department(s, name="Delivery")
        create_user(s, email="admin@example.com", password=PASSWORD, role="admin")
        create_user(s, email="manager@example.com", password=PASSWORD, role="manager")
        create_user(s, email="agent@example.com", password=PASSWORD, role="agent", department_ids=[billing.id])
        create_user(s, email="viewer@example.com", password=PASSWORD, role="viewer")
        reviews = Source(name="Google reviews", kind="file", channel="google", config={})
        tweets = Source(name="Twitter", kind="file", channel="twitter", config={})
        s.add_all([reviews, tweets])
        s.flush()
        return World(billing=billing.id, delivery=delivery.id, reviews=reviews.id, tweets=tweets.id)


@pytest.fixture
def app_client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store.settings, store), base_url="http://testserver") as client:
        yield client


def _seed(store: Store, world: World) -> None:
    """Items in the last days: Billing's on Google in Leeds, Delivery's on Twitter in York."""
    # At 01:00 three days ago: the items of each group (up to 11 hours apart) fall on one UTC day whatever
    # the hour the tests run at.
    base = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0) - timedelta(days=3)
    for i in range(12):
        created = base + timedelta(hours=i)
        add_item(
            store,
            world.reviews,
            created_at=created,
            external_id=f"b{i}",
            department_id=world.billing,
            channel="google",
            location="Leeds",
            rating=1.0 if i % 3 else 0.0,
            sentiment="positive" if i % 3 else "negative",
            aspects=[{"name": "staff", "sentiment": "positive" if i % 3 else "negative"}],
            responded_at=created + timedelta(minutes=90) if i < 6 else None,
            status="responded" if i < 6 else "new",
        )
    for i in range(5):
        add_item(
            store,
            world.tweets,
            created_at=base + timedelta(hours=i),
            external_id=f"d{i}",
            department_id=world.delivery,
            channel="twitter",
            kind="mention",
            location="York",
            sentiment="negative",
            text="<script>alert(1)</script> late again",
            aspects=[{"name": "delivery <b>", "sentiment": "negative"}],
        )


def _kpi(html: str, key: str) -> str:
    match = re.search(rf'data-kpi="{key}">.*?<span class="kpi-value[^"]*">([^<]*)</span>', html, re.S)
    assert match, f"no KPI {key}"
    return unescape(match.group(1)).strip()


def test_dashboard_numbers_for_admin_and_agent(store: Store, world: World, app_client: TestClient) -> None:
    _seed(store, world)
    login(app_client, "admin@example.com")
    page = app_client.get("/dashboard?period=30d")
    assert page.status_code == 200, page.text
    html = page.text
    assert _kpi(html, "volume") == "17"
    assert _kpi(html, "response_time") == "1 h 30 min"
    assert _kpi(html, "response_rate") == "35%"  # 6 answered of 17 answerable
    # the heat map holds both locations; text written by strangers is escaped
    assert "delivery &lt;b&gt;" in html
    assert "delivery <b>" not in html
    assert 'class="chart" data-chart="' in html
    # drill-down: the KPI links to the inbox with the same period, and the inbox lists exactly those items
    link = unescape(re.search(r'<a class="kpi card" href="([^"]+)" data-kpi="response_time"', html).group(1))
    assert link.startswith("/inbox?")
    assert "responded=1" in link
    inbox = app_client.get(link)
    assert inbox.status_code == 200
    assert inbox.text.count('<tr class="item-row') == 6
    # the heat map cell of (delivery <b>, York) lists the five York items
    cell = re.search(r'<td class="heat-[^"]+"><a href="([^"]+)" title="5 mentions">', html)
    assert cell, "no heat map cell for York"
    drill = unescape(cell.group(1))
    assert "location=York" in drill
    assert "aspect=delivery" in drill
    assert app_client.get(drill).text.count('<tr class="item-row') == 5

    # the agent of Billing sees Billing's numbers only
    agent = TestClient(app_client.app)
    login(agent, "agent@example.com")
    mine = agent.get("/dashboard?period=30d").text
    assert _kpi(mine, "volume") == "12"
    assert "delivery &lt;b&gt;" not in mine
    assert "York" not in mine


def test_filters_and_bad_input(store: Store, world: World, app_client: TestClient) -> None:
    _seed(store, world)
    login(app_client, "viewer@example.com")
    assert _kpi(app_client.get("/dashboard?channel=twitter").text, "volume") == "5"
    assert _kpi(app_client.get(f"/dashboard?department_id={world.billing}").text, "volume") == "12"
    assert _kpi(app_client.get("/dashboard?location=York").text, "volume") == "5"
    bad = app_client.get("/dashboard?date_from=yesterday&date_to=2025-01-01")
    assert bad.status_code == 422
    assert "date_from" in bad.text
    assert app_client.get("/dashboard?period=2y").status_code == 422


def test_too_few_answers_shown_instead_of_a_number(store: Store, world: World, app_client: TestClient) -> None:
    add_item(store, world.reviews, created_at=datetime.now(UTC) - timedelta(hours=2), rating=1.0, sentiment="positive")
    login(app_client, "manager@example.com")
    html = app_client.get("/dashboard").text
    assert _kpi(html, "rating") == "too few answers"
    assert _kpi(html, "nps") == "no data"


def test_login_required(app_client: TestClient) -> None:
    response = app_client.get("/dashboard", follow_redirects=False)
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["location"]
    assert app_client.get("/dashboard/export/kpis.csv", follow_redirects=False).status_code in (302, 303)


def test_csv_export_defuses_formulas(store: Store, world: World, app_client: TestClient) -> None:
    now = datetime.now(UTC) - timedelta(hours=3)
    for i in range(3):
        add_item(
            store,
            world.reviews,
            created_at=now + timedelta(minutes=i),
            external_id=f"x{i}",
            location="=HYPERLINK(1)",
            sentiment="negative",
            aspects=[{"name": "@cmd", "sentiment": "negative"}],
        )
    login(app_client, "admin@example.com")
    response = app_client.get("/dashboard/export/heatmap.csv?period=7d")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:3] == ["aspect", "location", "mentions"]
    assert rows[1][:3] == ["'@cmd", "'=HYPERLINK(1)", "3"]
    assert app_client.get("/dashboard/export/nothing.csv").status_code == 422
    kpis = list(csv.reader(io.StringIO(app_client.get("/dashboard/export/kpis.csv?period=7d").text)))
    assert kpis[1][:2] == ["Feedback", "3"]


def test_drivers_separate_mix_from_rate() -> None:
    from datetime import date as day

    from voxpop.measure.metrics import Metrics, Totals
    from voxpop.measure.overview import drivers
    from voxpop.measure.series import Slice

    def m(volume: int, positive: int, negative: int) -> Metrics:
        return Metrics(Totals(volume=volume, analysed=volume, positive=positive, negative=negative), 1)

    s = Slice(day(2025, 5, 1), day(2025, 5, 31))
    before = {"price": m(20, 16, 4), "staff": m(20, 10, 10), "delivery": m(10, 2, 8)}
    # price got worse at the same volume; delivery (as negative as before) is mentioned twice as often;
    # wifi is new
    now = {"price": m(20, 4, 16), "staff": m(20, 10, 10), "delivery": m(30, 6, 24), "wifi": m(10, 0, 10)}
    ranked = drivers(s, now, before, 1)
    assert ranked[0].aspect == "price"
    assert ranked[0].reason == "got worse"
    # shares: price 20/80 now (20/50 before): rate = 0.25 * (-60 - 60) = -30; mix = (0.25 - 0.4) * 60 = -9
    assert ranked[0].rate == pytest.approx(-30.0)
    assert ranked[0].mix == pytest.approx(-9.0)
    delivery = next(d for d in ranked if d.aspect == "delivery")
    assert delivery.reason == "mentioned more"
    assert delivery.rate == pytest.approx(0.0)
    wifi = next(d for d in ranked if d.aspect == "wifi")
    assert wifi.reason == "new this period"
    assert wifi.rate == 0
    assert "aspect=price" in ranked[0].link


def test_change_points_marked_and_explained(store: Store, world: World, app_client: TestClient) -> None:
    from voxpop.measure.overview import change_points
    from voxpop.measure.rollups import process_pending
    from voxpop.measure.series import Slice

    start = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=29)
    with store.write() as s:
        for day in range(30):
            for k in range(12):
                bad = k < (9 if day >= 15 else 1)  # from day 15 on, most feedback turns negative
                s.add(
                    Item(
                        source_id=world.reviews,
                        dedup_key=f"c:{day}:{k}",
                        channel="google",
                        kind="review",
                        text="x",
                        raw={},
                        status="new",
                        priority=0,
                        created_at=start + timedelta(days=day, minutes=k),
                        sentiment="negative" if bad else "positive",
                        rating=0.0 if bad else 1.0,
                    )
                )
    process_pending(store)
    with store.read() as s:
        found = change_points(s, None, Slice(start.date(), start.date() + timedelta(days=29)))
    shifts = [c for c in found if c.metric == "negative_share"]
    assert shifts, found
    assert abs((shifts[0].day - (start.date() + timedelta(days=15))).days) <= 2
    login(app_client, "manager@example.com")
    html = app_client.get("/dashboard?period=30d").text
    assert "share negative went from" in html
    assert "&#34;marks&#34;: [" in html or "&quot;marks&quot;: [" in html


def test_csv_export_is_audited(store: Store, world: World, app_client: TestClient) -> None:
    from sqlalchemy import select

    from voxpop.store.models import AuditEvent

    login(app_client, "viewer@example.com")
    assert app_client.get("/dashboard/export/kpis.csv?period=7d").status_code == 200
    with store.read() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "dashboard.export")))
    assert len(events) == 1
    assert events[0].actor == "viewer@example.com"
    assert events[0].object_id.startswith("voxpop-kpis-")


def test_cached_overview_follows_every_change_of_the_rollups(
    store: Store, world: World, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second view of the same period is served from the cache; a new item, an edited item or a
    deleted one (each changes the roll-ups) is on the next view, and an agent never gets the admin's entry."""
    from voxpop.web import dashboard_pages

    computed: list[object] = []
    original = dashboard_pages._computed

    def counting(*args: object, **kwargs: object) -> object:
        computed.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dashboard_pages, "_computed", counting)
    _seed(store, world)
    login(app_client, "admin@example.com")
    assert _kpi(app_client.get("/dashboard?period=30d").text, "volume") == "17"
    assert _kpi(app_client.get("/dashboard?period=30d").text, "volume") == "17"
    assert len(computed) == 1  # the second view came from the cache

    new = add_item(store, world.reviews, created_at=datetime.now(UTC) - timedelta(hours=1), external_id="late")
    assert _kpi(app_client.get("/dashboard?period=30d").text, "volume") == "18"
    assert len(computed) == 2
    with store.write() as s:
        s.get(Item, new).created_at = datetime.now(UTC) - timedelta(days=60)  # moved out of the period
    assert _kpi(app_client.get("/dashboard?period=30d").text, "volume") == "17"
    with store.write() as s:
        s.delete(s.get(Item, new))
    assert _kpi(app_client.get("/dashboard?period=30d").text, "volume") == "17"

    agent = TestClient(app_client.app)
    login(agent, "agent@example.com")
    assert _kpi(agent.get("/dashboard?period=30d").text, "volume") == "12"
    with store.write() as s:
        s.get(Department, world.billing).name = "Accounts"
    assert "Accounts" in app_client.get("/dashboard?period=30d").text


def test_csv_export_keeps_every_metric_the_page_does_not_sum(
    store: Store, world: World, app_client: TestClient
) -> None:
    """The page sums only the counters it shows (trend: volume, sentiment, rating, NPS; aspects: sentiment);
    the trend and aspect CSVs still carry response rates and SLA breaches, after the page was viewed."""
    _seed(store, world)
    with store.write() as s:  # one of Billing's answered reviews breached its deadline
        item = s.scalars(select(Item).where(Item.external_id == "b0")).one()
        item.due_at = item.created_at + timedelta(minutes=30)
    login(app_client, "admin@example.com")
    assert app_client.get("/dashboard?period=30d").status_code == 200

    def table(name: str) -> list[dict[str, str]]:
        response = app_client.get(f"/dashboard/export/{name}.csv?period=30d")
        assert response.status_code == 200
        return list(csv.DictReader(io.StringIO(response.text)))

    trend = table("trend")
    assert sum(int(row["volume"]) for row in trend) == 17
    assert sum(int(row["SLA breaches"]) for row in trend) == 1
    assert any(row["response rate %"] for row in trend)
    aspects = {row["aspect"]: row for row in table("aspects")}
    assert aspects["staff"]["volume"] == "12"
    assert aspects["staff"]["response rate %"] == "50.0"  # 6 of Billing's 12 reviews answered
    assert aspects["staff"]["SLA breaches"] == "1"
