"""/api/v1/metrics: the dashboard's numbers as JSON, per dimension, over time, and their change points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import World, add_item
from voxpop.measure.overview import build_overview, period_slice
from voxpop.store import Store
from voxpop.store.models import Item


def _seed(store: Store, world: World) -> datetime:
    """Billing's reviews in Leeds (8 of 12 positive, 6 answered after 90 min) and 10 NPS answers;
    Delivery's 5 negative tweets in York. Everything three days ago, from 01:00: each group (up to 11 hours
    apart) falls on one UTC day whatever the hour the tests run at."""
    base = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0) - timedelta(days=3)
    for i in range(12):
        created = base + timedelta(hours=i)
        add_item(
            store,
            world.reviews,
            created_at=created,
            external_id=f"b{i}",
            department_id=world.billing,
            location="Leeds",
            rating=1.0 if i % 3 else 0.0,
            sentiment="positive" if i % 3 else "negative",
            aspects=[{"name": "staff", "sentiment": "positive" if i % 3 else "negative"}],
            responded_at=created + timedelta(minutes=90) if i < 6 else None,
            status="responded" if i < 6 else "new",
        )
    for i, score in enumerate([10, 9, 9, 10, 9, 7, 8, 7, 3, 0]):  # 5 promoters, 2 detractors: NPS 30
        add_item(
            store,
            world.reviews,
            created_at=base + timedelta(hours=i, minutes=30),
            external_id=f"s{i}",
            kind="survey",
            department_id=world.billing,
            location="Leeds",
            rating_raw=float(score),
            rating_min=0.0,
            rating_max=10.0,
            raw={"question_type": "nps"},
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
            text="<b>late</b> again",
        )
    return base


def _get(client: TestClient, token: str, path: str, **params: Any) -> Any:
    return client.get(path, params=params, headers={"Authorization": f"Bearer {token}"})


def test_needs_a_token_with_the_metrics_scope(app_client: TestClient, world: World, token_for: Any) -> None:
    assert app_client.get("/api/v1/metrics").status_code == 401
    assert app_client.get("/api/v1/metrics/series").status_code == 401
    assert app_client.get("/api/v1/metrics/changes").status_code == 401
    reader = token_for("manager@example.com", "items:read")
    for path in ("/api/v1/metrics", "/api/v1/metrics/series", "/api/v1/metrics/changes"):
        assert _get(app_client, reader, path).status_code == 403
    assert _get(app_client, token_for("manager@example.com", "metrics:read"), "/api/v1/metrics").status_code == 200


def test_metrics_equal_the_items_and_the_dashboard(
    store: Store, world: World, app_client: TestClient, token_for: Any
) -> None:
    _seed(store, world)
    token = token_for("admin@example.com", "metrics:read")
    body = _get(app_client, token, "/api/v1/metrics", period="30d").json()
    m = body["metrics"]
    # from the items: 27 items; 8 positive, 9 negative of 17 analysed; 6 of 17 answerable answered
    assert m["volume"]["value"] == 27
    assert m["sentiment"]["value"] == pytest.approx(100 * (8 - 9) / 17)
    assert m["sentiment"]["low"] < m["sentiment"]["value"] < m["sentiment"]["high"]
    assert m["rating"]["value"] == pytest.approx(8 / 12)
    assert m["rating"]["n"] == 12
    assert m["nps"]["value"] == pytest.approx(30.0)
    assert m["nps"]["n"] == 10
    assert m["response_rate"]["value"] == pytest.approx(100 * 6 / 17)
    assert m["median_response_minutes"]["value"] == 90
    assert m["csat"] == {"value": None, "low": None, "high": None, "n": 0, "too_few": False}
    assert body["link"].startswith("/inbox?date_from=")

    # the same numbers as the dashboard's KPIs for the same slice
    with store.read() as db:
        from voxpop.accounts.users import get_user_by_email

        admin = get_user_by_email(db, "admin@example.com")
        overview = build_overview(db, admin, period_slice(datetime.now(UTC).date(), "30d"), min_n=10)
    shown = {k.key: k.value for k in overview.kpis}
    for key in ("volume", "rating", "sentiment", "nps", "response_rate", "sla_breaches"):
        assert m[key]["value"] == pytest.approx(shown[key]), key
    assert m["median_response_minutes"]["value"] == shown["response_time"]


def test_breakdown_filters_and_agent_scoping(
    store: Store, world: World, app_client: TestClient, token_for: Any
) -> None:
    _seed(store, world)
    admin = token_for("admin@example.com", "metrics:read")
    body = _get(app_client, admin, "/api/v1/metrics", by="location").json()
    groups = {g["value"]: g for g in body["groups"]}
    assert list(groups) == ["Leeds", "York"]  # largest volume first
    assert groups["York"]["metrics"]["volume"]["value"] == 5
    assert "location=York" in groups["York"]["link"]
    # a location, a channel, a kind narrow the slice
    assert _get(app_client, admin, "/api/v1/metrics", location="York").json()["metrics"]["volume"]["value"] == 5
    assert _get(app_client, admin, "/api/v1/metrics", channel="twitter").json()["metrics"]["volume"]["value"] == 5
    assert _get(app_client, admin, "/api/v1/metrics", kind="survey").json()["metrics"]["volume"]["value"] == 10
    by_aspect = _get(app_client, admin, "/api/v1/metrics", by="aspect").json()["groups"]
    assert [(g["value"], g["metrics"]["volume"]["value"]) for g in by_aspect] == [("staff", 12)]

    # the Billing agent's numbers are Billing's alone, whatever the filter
    agent = token_for("agent@example.com", "metrics:read")
    mine = _get(app_client, agent, "/api/v1/metrics", by="department").json()
    assert mine["metrics"]["volume"]["value"] == 22
    assert [(g["value"], g["label"]) for g in mine["groups"]] == [(world.billing, "Billing")]
    assert _get(app_client, agent, "/api/v1/metrics", location="York").json()["metrics"]["volume"]["value"] == 0
    assert _get(app_client, agent, "/api/v1/metrics", by="location").json()["groups"][0]["value"] == "Leeds"
    series = _get(app_client, agent, "/api/v1/metrics/series", metric="volume", period="7d").json()
    assert sum(p["value"] for p in series["points"]) == 22


def test_too_few_answers_and_bad_input(store: Store, world: World, app_client: TestClient, token_for: Any) -> None:
    add_item(store, world.reviews, created_at=datetime.now(UTC) - timedelta(hours=2), rating=1.0)
    token = token_for("viewer@example.com", "metrics:read")
    rating = _get(app_client, token, "/api/v1/metrics").json()["metrics"]["rating"]
    assert rating == {"value": None, "low": None, "high": None, "n": 1, "too_few": True}
    assert _get(app_client, token, "/api/v1/metrics", period="2y").status_code == 422
    assert _get(app_client, token, "/api/v1/metrics", by="colour").status_code == 422
    assert _get(app_client, token, "/api/v1/metrics", kind="review", product="x").status_code == 422
    assert _get(app_client, token, "/api/v1/metrics", date_from="2025-01-01").status_code == 422
    assert _get(app_client, token, "/api/v1/metrics/series", metric="happiness").status_code == 422
    assert _get(app_client, token, "/api/v1/metrics/changes", period="7d").status_code == 422


def test_series_per_day_week_and_value(store: Store, world: World, app_client: TestClient, token_for: Any) -> None:
    base = _seed(store, world)
    token = token_for("manager@example.com", "metrics:read")
    daily = _get(app_client, token, "/api/v1/metrics/series", metric="volume", grain="day", period="7d").json()
    assert len(daily["points"]) == 7
    by_day = {p["start"]: p["value"] for p in daily["points"]}
    assert sum(by_day.values()) == 27
    assert by_day[base.date().isoformat()] == 27 - sum(v for d, v in by_day.items() if d != base.date().isoformat())
    point = next(p for p in daily["points"] if p["value"])
    assert point["link"] == f"/inbox?date_from={point['start']}&date_to={point['end']}"
    weekly = _get(app_client, token, "/api/v1/metrics/series", metric="nps", grain="week", period="30d").json()
    assert weekly["grain"] == "week"
    assert all(p["start"] <= p["end"] for p in weekly["points"])
    answered = [p for p in weekly["points"] if p["n"]]
    assert sum(p["n"] for p in answered) == 10
    york = _get(app_client, token, "/api/v1/metrics/series", metric="sentiment", location="York", period="7d").json()
    assert {p["n"] for p in york["points"]} <= {0, 5}
    assert [p["too_few"] for p in york["points"] if p["n"]] == [True]  # 5 answers < 10


def test_changes_of_a_series(store: Store, world: World, app_client: TestClient, token_for: Any) -> None:
    """Four weeks of 12 reviews a day: 1 in 6 negative, then from two weeks ago 5 in 6 negative."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=28)
    with store.write() as s:
        for day in range(28):
            for i in range(12):
                negative = i % 6 == 0 if day < 14 else i % 6 != 0
                s.add(
                    Item(
                        source_id=world.reviews,
                        dedup_key=f"c:{day}:{i}",
                        channel="google",
                        kind="review",
                        status="new",
                        priority=0,
                        raw={},
                        text="x",
                        created_at=start + timedelta(days=day, hours=i),
                        sentiment="negative" if negative else "positive",
                    )
                )
    token = token_for("manager@example.com", "metrics:read")
    body = _get(
        app_client,
        token,
        "/api/v1/metrics/changes",
        date_from=start.date().isoformat(),
        date_to=(today - timedelta(days=1)).date().isoformat(),
    ).json()
    [change] = [c for c in body["changes"] if c["metric"] == "negative_share"]
    assert change["day"] == (start + timedelta(days=14)).date().isoformat()
    assert "17%" in change["text"]
    assert "83%" in change["text"]
    assert change["link"].startswith(f"/inbox?date_from={change['day']}")


def test_openapi_documents_the_metrics(app_client: TestClient, world: World, token_for: Any) -> None:
    from tests.web.conftest import login

    login(app_client, "viewer@example.com")
    schema = app_client.get("/api/openapi.json")
    assert schema.status_code == 200, schema.text
    paths = schema.json()["paths"]
    for path in ("/api/v1/metrics", "/api/v1/metrics/series", "/api/v1/metrics/changes"):
        assert "get" in paths[path]
    assert "nps" in str(paths["/api/v1/metrics/series"]["get"]["parameters"])
