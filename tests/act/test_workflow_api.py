"""The workflow and routing REST API: scoping (an agent of A gets 404 for B's item), scopes, PATCH, notes
with mentions (real SMTP), bulk actions, history, SLA breaches and rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.servers import SmtpSink
from tests.web.conftest import World, add_item
from voxpop.accounts.users import create_user
from voxpop.store import Store
from voxpop.web.app import create_app

TokenFor = Any


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_agent_of_another_department_gets_404_everywhere(
    app_client: TestClient, store: Store, world: World, token_for: TokenFor
) -> None:
    theirs = add_item(store, world.reviews, department_id=world.delivery)
    mine = add_item(store, world.reviews, minutes=1, department_id=world.billing)
    agent = bearer(token_for("agent@example.com", "items:read", "items:write"))
    for method, path, body in [
        ("GET", f"/api/v1/items/{theirs}/workflow", None),
        ("PATCH", f"/api/v1/items/{theirs}", {"status": "resolved"}),
        ("GET", f"/api/v1/items/{theirs}/notes", None),
        ("POST", f"/api/v1/items/{theirs}/notes", {"text": "hello"}),
        ("GET", f"/api/v1/items/{theirs}/history", None),
    ]:
        response = app_client.request(method, path, json=body, headers=agent)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json() == {"ok": False, "error": f"no item {theirs}", "status": 404}
    assert app_client.get(f"/api/v1/items/{mine}/workflow", headers=agent).status_code == 200
    bulk = app_client.post(
        "/api/v1/items/bulk", json={"ids": [theirs, mine], "action": "tag", "value": "x"}, headers=agent
    )
    assert bulk.status_code == 200
    assert bulk.json() == {"changed": [mine], "unchanged": [], "skipped": {str(theirs): f"no item {theirs}"}}


def test_scopes_and_roles(app_client: TestClient, store: Store, world: World, token_for: TokenFor) -> None:
    item = add_item(store, world.reviews, department_id=world.billing)
    reader = bearer(token_for("admin@example.com", "items:read"))
    assert app_client.patch(f"/api/v1/items/{item}", json={"status": "waiting"}, headers=reader).status_code == 403
    viewer = bearer(token_for("viewer@example.com", "items:read", "items:write"))
    denied = app_client.patch(f"/api/v1/items/{item}", json={"status": "waiting"}, headers=viewer)
    assert denied.status_code == 403
    assert app_client.get(f"/api/v1/items/{item}/workflow").status_code == 401


def test_patch_walks_the_workflow_and_records_history(
    app_client: TestClient, store: Store, world: World, token_for: TokenFor
) -> None:
    item = add_item(store, world.reviews, department_id=world.billing)
    manager = bearer(token_for("manager@example.com", "items:read", "items:write"))
    users = app_client.get("/api/v1/me", headers=bearer(token_for("agent@example.com", "items:read"))).json()
    patched = app_client.patch(
        f"/api/v1/items/{item}",
        json={"assignee_id": users["id"], "priority": 3, "add_tags": ["VIP"]},
        headers=manager,
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["status"] == "assigned"
    assert body["assignee_id"] == users["id"]
    assert body["priority"] == 3
    assert body["tags"] == ["vip"]
    assert body["route"]["manual"] is True
    bad = app_client.patch(f"/api/v1/items/{item}", json={"status": "closed"}, headers=manager)
    assert bad.status_code == 422
    assert "unknown status 'closed'" in bad.json()["error"]
    # Moving it to Delivery takes it off the Billing agent.
    moved = app_client.patch(f"/api/v1/items/{item}", json={"department_id": world.delivery}, headers=manager)
    assert moved.json()["assignee_id"] is None
    assert moved.json()["status"] == "new"
    history = app_client.get(f"/api/v1/items/{item}/history", headers=manager).json()
    assert [h["action"] for h in history] == [
        "item_assigned",
        "item_status",
        "item_priority",
        "item_tagged",
        "item_department",
        "item_assigned",
        "item_status",
    ]
    assert all(h["actor"] == "manager@example.com" for h in history)


def test_notes_mention_and_mail(store: Store, world: World, token_for: TokenFor, smtp_server: SmtpSink) -> None:
    settings = store.settings.model_copy(update=smtp_server.settings_overrides())
    with store.write() as s:
        create_user(
            s, email="dora@example.com", password="correct horse battery", role="agent", department_ids=[world.delivery]
        )
    item = add_item(store, world.reviews, department_id=world.billing)
    with TestClient(create_app(settings, store)) as client:
        manager = bearer(token_for("manager@example.com", "items:read", "items:write"))
        text = "Please call her back @agent and @admin@example.com — not @dora (another department) nor @nobody."
        made = client.post(f"/api/v1/items/{item}/notes", json={"text": text}, headers=manager)
        assert made.status_code == 201, made.text
        assert sorted(made.json()["mentioned"]) == ["admin@example.com", "agent@example.com"]
        assert made.json()["unknown_mentions"] == ["dora", "nobody"]
        smtp_server.wait_for(2)
        recipients = sorted(r for m in smtp_server.messages for r in m.recipients)
        assert recipients == ["admin@example.com", "agent@example.com"]
        assert "Please call her back" in smtp_server.messages[0].part()
        assert smtp_server.messages[0].subject == f"manager@example.com mentioned you on item {item}"
        agent = bearer(token_for("agent@example.com", "items:read"))
        mentions = client.get("/api/v1/mentions?unseen=true", headers=agent).json()
        assert [(m["item_id"], m["seen"]) for m in mentions] == [(item, False)]
        assert client.post("/api/v1/mentions/seen", headers=agent).status_code == 204
        assert client.get("/api/v1/mentions?unseen=true", headers=agent).json() == []
        notes = client.get(f"/api/v1/items/{item}/notes", headers=agent).json()
        assert [n["text"] for n in notes] == [text]


def test_sla_breaches_scoped(app_client: TestClient, store: Store, world: World, token_for: TokenFor) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    mine = add_item(store, world.reviews, department_id=world.billing, due_at=past)
    add_item(store, world.reviews, minutes=1, department_id=world.delivery, due_at=past)
    add_item(store, world.reviews, minutes=2, department_id=world.billing, due_at=past + timedelta(days=1))
    agent = app_client.get("/api/v1/sla/breached", headers=bearer(token_for("agent@example.com", "items:read")))
    assert [i["id"] for i in agent.json()] == [mine]
    assert agent.json()[0]["sla_breached"] is True
    admin = app_client.get("/api/v1/sla/breached", headers=bearer(token_for("admin@example.com", "items:read")))
    assert len(admin.json()) == 2


def test_rules_api(app_client: TestClient, store: Store, world: World, token_for: TokenFor) -> None:
    manager = bearer(token_for("manager@example.com", "items:read", "items:write"))
    agent = bearer(token_for("agent@example.com", "items:read", "items:write"))
    rule = {"name": "refund words", "when": {"keywords": ["refund"]}, "then": {"department": "Billing"}}
    assert app_client.post("/api/v1/rules", json=rule, headers=agent).status_code == 403
    assert app_client.get("/api/v1/rules", headers=agent).status_code == 403
    made = app_client.post("/api/v1/rules", json=rule, headers=manager)
    assert made.status_code == 201, made.text
    other = app_client.post("/api/v1/rules", json={"name": "b", "then": {"priority": 1}}, headers=manager).json()
    bad = app_client.post(
        "/api/v1/rules", json={"name": "c", "when": {"regex": "(a)\\1"}, "then": {"priority": 1}}, headers=manager
    )
    assert bad.status_code == 422
    assert bad.json()["error"].startswith("when.regex: ")
    order = app_client.put("/api/v1/rules-order", json={"ids": [other["id"], made.json()["id"]]}, headers=manager)
    assert [r["rule"]["name"] for r in order.json()] == ["b", "refund words"]
    changed = app_client.put(
        f"/api/v1/rules/{other['id']}", json={"name": "b", "enabled": False, "then": {"priority": 2}}, headers=manager
    )
    assert changed.json()["rule"] == {"name": "b", "enabled": False, "when": {}, "then": {"priority": 2}}
    assert app_client.delete(f"/api/v1/rules/{other['id']}", headers=manager).status_code == 204
    listed = app_client.get("/api/v1/rules", headers=manager).json()
    assert [(r["position"], r["rule"]["name"]) for r in listed] == [(1, "refund words")]
