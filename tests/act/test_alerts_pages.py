"""The alert pages: managers create destinations and rules and see the history; agents cannot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.act.alerts_support import add_item, source, wired_store
from tests.servers import HttpSink
from tests.web.conftest import PASSWORD, csrf_of, login
from voxpop.accounts.users import create_user
from voxpop.act.alerts.destinations import webhook_secret
from voxpop.act.alerts.tasks import alert_stage
from voxpop.store import Store
from voxpop.store.models.outreach import AlertDestination, AlertRule
from voxpop.web.app import create_app


@pytest.fixture
def wired(store: Store) -> Store:
    wired = wired_store(store, base_url="http://testserver")
    with wired.write() as s:
        create_user(s, email="m@example.com", password=PASSWORD, role="manager")
        create_user(s, email="a@example.com", password=PASSWORD, role="agent")
    return wired


@pytest.fixture
def client(wired: Store) -> Iterator[TestClient]:
    with TestClient(create_app(wired.settings, wired), base_url="http://testserver") as c:
        yield c


def test_agents_see_no_alert_pages(client: TestClient) -> None:
    assert login(client, "a@example.com").status_code == 303
    for path in ("/alerts", "/alerts/history"):
        assert client.get(path, follow_redirects=False).status_code == 403
    assert "/alerts" not in client.get("/inbox").text


def test_a_manager_sets_up_a_rule_and_sees_it_fire(wired: Store, client: TestClient, http_server: HttpSink) -> None:
    assert login(client, "m@example.com").status_code == 303
    page = client.get("/alerts")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    made = client.post(
        "/alerts/destinations",
        data={
            "csrf_token": csrf,
            "name": "team slack",
            "kind": "slack",
            "target": f"{http_server.url}/slack",
            "max_per_hour": "5",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    with wired.read() as s:
        dest = s.scalars(select(AlertDestination).where(AlertDestination.kind == "slack")).one()
    hook = client.post(
        "/alerts/destinations",
        data={"csrf_token": csrf, "name": "hook", "kind": "webhook", "target": f"{http_server.url}/h"},
        follow_redirects=False,
    )
    assert hook.status_code == 200
    assert hook.headers["cache-control"] == "no-store"
    with wired.read() as s:
        stored = s.scalars(select(AlertDestination).where(AlertDestination.name == "hook")).one()
    secret = webhook_secret(wired.settings, stored)
    assert secret
    assert len(secret) >= 32
    assert stored.secret
    assert secret not in stored.secret  # sealed at rest
    assert secret in hook.text  # shown once…
    assert secret not in client.get("/alerts").text  # …and never again
    bad = client.post(
        "/alerts/rules", data={"csrf_token": csrf, "name": "words", "kind": "rating", "p_stars": "9", "enabled": "yes"}
    )
    assert bad.status_code == 422
    assert "rating rule, stars" in bad.text
    made = client.post(
        "/alerts/rules",
        data={
            "csrf_token": csrf,
            "name": "words",
            "kind": "keyword",
            "p_keywords": "refund, lawyer",
            "destination_id": str(dest.id),
            "enabled": "yes",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    with wired.read() as s:
        rule = s.scalars(select(AlertRule)).one()
    assert rule.params == {"keywords": ["refund", "lawyer"]}
    assert rule.destination_ids == [dest.id]

    edit = client.get(f"/alerts/rules/{rule.id}")
    assert "lawyer" in edit.text
    client.post(
        f"/alerts/rules/{rule.id}",
        data={
            "csrf_token": csrf,
            "name": "words",
            "p_keywords": "refund\nlawyer\nscam",
            "destination_id": str(dest.id),
            "enabled": "yes",
        },
    )
    with wired.read() as s:
        assert s.get(AlertRule, rule.id).params["keywords"] == ["refund", "lawyer", "scam"]  # type: ignore[union-attr]

    item = add_item(wired, source(wired), text="This is a <img src=x onerror=alert(1)> SCAM")
    alert_stage(wired, [item])
    assert len(http_server.requests) == 1
    history = client.get("/alerts/history")
    assert f"/items/{item}" in history.text
    assert "<img src=x" not in history.text
    assert "&lt;img src=x" in history.text
    assert "team slack: sent" in history.text
    no_csrf = client.post("/alerts/rules", data={"name": "x", "kind": "viral"}, follow_redirects=False)
    assert no_csrf.status_code == 403


def test_the_api_lists_alerts_for_managers_only(
    wired: Store, client: TestClient, http_server: HttpSink, token_for
) -> None:  # type: ignore[no-untyped-def]
    from voxpop.accounts.users import get_user_by_email
    from voxpop.act.alerts.destinations import create_destination
    from voxpop.act.alerts.rules import create_rule

    with wired.write() as s:
        boss = get_user_by_email(s, "m@example.com")
        dest = create_destination(s, boss, wired.settings, name="hook", kind="webhook", target=f"{http_server.url}/h")
        create_rule(s, boss, name="low", kind="rating", params={"stars": 1}, destination_ids=[dest.id])
    item = add_item(wired, source(wired), rating=0.0)
    alert_stage(wired, [item])

    manager_token = token_for("m@example.com", "items:read")
    body = client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {manager_token}"}).json()
    assert [(a["rule"], a["item_id"]) for a in body] == [("low", item)]
    assert body[0]["deliveries"][0]["status"] == "sent"
    status = client.get("/api/v1/outreach/status", headers={"Authorization": f"Bearer {manager_token}"}).json()
    assert [n["kind"] for n in status] == ["testimonial", "survey", "referral"]
    agent_token = token_for("a@example.com", "items:read")
    denied = client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {agent_token}"})
    assert denied.status_code == 403
    assert denied.json()["ok"] is False
    assert client.get("/api/v1/alerts").status_code == 401
