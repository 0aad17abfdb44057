"""IDOR across departments: an agent of Billing asks for — or tries to change — a Delivery item by its id,
through every item-scoped page and API route (the list comes from the app, so a new ``{item_id}`` route
is tried by itself). Each answer must be 404 (or 403), must not show the item, and nothing about the
item may change. A Billing item through the same routes is the control that the test can fail."""

from __future__ import annotations

import importlib
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from tests.web.conftest import World, add_item, csrf_of, login
from voxpop.store import Store
from voxpop.store.models import Base, Item
from voxpop.web.app import ROUTER_MODULES

SECRET = "Delivery-only secret: the courier left the parcel in the rain"
# Plausible bodies, so a route cannot refuse on validation before it looks at the item.
FORM = {
    "text": "pwned",
    "body": "pwned",
    "note": "pwned",
    "status": "resolved",
    "priority": "3",
    "tone": "formal",
    "sentiment": "positive",
    "field": "sentiment",
    "value": "positive",
}
# Valid JSON bodies (the API models forbid unknown fields); any other write gets a note/reply text.
JSON: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/items/{item_id}"): {"status": "resolved", "priority": 5, "add_tags": ["pwned"]},
    ("POST", "/api/v1/items/{item_id}/replies"): {"text": "pwned", "send_anyway": True},
}


def _item_routes() -> list[tuple[str, str]]:
    found = []
    for name in ROUTER_MODULES:
        for route in importlib.import_module(name).router.routes:
            path = str(getattr(route, "path", ""))
            if "{item_id}" in path:
                for method in sorted((getattr(route, "methods", None) or set()) - {"HEAD", "OPTIONS"}):
                    found.append((method, path))
    return found


ROUTES = _item_routes()


def _snapshot(store: Store, item_id: int) -> dict[str, Any]:
    """The item's own row, and how many rows of every table point at it (notes, replies, history…)."""
    with store.read() as s:
        item = s.get(Item, item_id)
        assert item is not None
        row = {c.key: getattr(item, c.key) for c in inspect(Item).mapper.column_attrs}
        for table in Base.metadata.sorted_tables:
            if "item_id" in table.c:
                row[f"#{table.name}"] = s.scalar(
                    select(func.count()).select_from(table).where(table.c.item_id == item_id)
                )
        return row


def _try(client: TestClient, method: str, path: str, item_id: int, headers: dict[str, str], csrf: str) -> Any:
    url = path.replace("{item_id}", str(item_id))
    if method == "GET":
        return client.get(url, headers=headers, follow_redirects=False)
    if path.startswith("/api/"):
        return client.request(
            method, url, json=JSON.get((method, path), {"text": "pwned"}), headers=headers, follow_redirects=False
        )
    return client.request(method, url, data={**FORM, "csrf_token": csrf}, headers=headers, follow_redirects=False)


def _attack(client: TestClient, store: Store, target: int, headers: dict[str, str], csrf: str) -> list[str]:
    before = _snapshot(store, target)
    leaks = []
    for method, path in ROUTES:
        response = _try(client, method, path, target, headers, csrf)
        if response.status_code not in (403, 404) or SECRET in response.text:
            leaks.append(f"{method} {path} → {response.status_code}")
    after = _snapshot(store, target)
    if after != before:
        changed = sorted(k for k in before if before[k] != after.get(k))
        leaks.append(f"the Delivery item changed: {changed}")
    return leaks


def test_the_item_route_list_covers_pages_and_api() -> None:
    paths = {p for _, p in ROUTES}
    assert "/items/{item_id}" in paths
    assert "/api/v1/items/{item_id}" in paths
    assert any(m == "PATCH" for m, _ in ROUTES)
    assert len(ROUTES) >= 15


def test_an_agent_session_cannot_reach_another_departments_item(
    app_client: TestClient, world: World, store: Store
) -> None:
    theirs = add_item(store, world.reviews, text=SECRET, department_id=world.delivery)
    ours = add_item(store, world.reviews, minutes=1, text="Billing item", department_id=world.billing)
    login(app_client, "agent@example.com")
    csrf = csrf_of(app_client.get("/inbox").text)
    headers = {"X-CSRF-Token": csrf}

    # Control: the same session does reach its own department's item, by page and by API.
    assert app_client.get(f"/items/{ours}").status_code == 200
    assert app_client.get(f"/api/v1/items/{ours}").status_code == 200

    leaks = _attack(app_client, store, theirs, headers, csrf)
    assert not leaks, "another department's item reached:\n" + "\n".join(leaks)
    inbox = app_client.get("/inbox").text
    assert SECRET not in inbox
    assert "Billing item" in inbox
    listed = app_client.get("/api/v1/items").json()
    assert theirs not in {i["id"] for i in listed["items"]}
    assert ours in {i["id"] for i in listed["items"]}


def test_an_agent_token_cannot_reach_another_departments_item(
    app_client: TestClient, world: World, store: Store, token_for: Any
) -> None:
    theirs = add_item(store, world.reviews, text=SECRET, department_id=world.delivery)
    ours = add_item(store, world.reviews, minutes=1, text="Billing item", department_id=world.billing)
    token = token_for("agent@example.com", "items:read", "items:write")
    headers = {"Authorization": f"Bearer {token}"}
    assert app_client.get(f"/api/v1/items/{ours}", headers=headers).status_code == 200

    api_only = [(m, p) for m, p in ROUTES if p.startswith("/api/")]
    assert api_only
    before = _snapshot(store, theirs)
    leaks = []
    for method, path in api_only:
        response = _try(app_client, method, path, theirs, headers, "")
        if response.status_code not in (403, 404) or SECRET in response.text:
            leaks.append(f"{method} {path} → {response.status_code}")
    assert _snapshot(store, theirs) == before
    assert not leaks, "another department's item reached by token:\n" + "\n".join(leaks)


def test_bulk_actions_skip_another_departments_items(
    app_client: TestClient, world: World, store: Store, token_for: Any
) -> None:
    theirs = add_item(store, world.reviews, text=SECRET, department_id=world.delivery)
    ours = add_item(store, world.reviews, minutes=1, text="Billing item", department_id=world.billing)
    headers = {"Authorization": f"Bearer {token_for('agent@example.com', 'items:read', 'items:write')}"}
    before = _snapshot(store, theirs)
    response = app_client.post(
        "/api/v1/items/bulk", json={"ids": [theirs, ours], "action": "status", "value": "resolved"}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert theirs not in response.json()["changed"]
    assert ours in response.json()["changed"]
    assert SECRET not in response.text
    assert _snapshot(store, theirs) == before
