from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import World, add_item, csrf_of, login
from voxpop.accounts.tokens import authenticate_token, revoke_token
from voxpop.store import Store
from voxpop.web.app import create_app

TokenFor = Callable[..., str]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _assert_error(response: Any, status: int, fragment: str) -> None:
    assert response.status_code == status
    body = response.json()
    assert body["ok"] is False
    assert body["status"] == status
    assert fragment in body["error"]


def test_me_with_a_token(app_client: TestClient, world: World, token_for: TokenFor) -> None:
    token = token_for("agent@example.com", "items:read")
    body = app_client.get("/api/v1/me", headers=_bearer(token)).json()
    assert body == {
        "id": body["id"],
        "email": "agent@example.com",
        "name": "",
        "role": "agent",
        "department_ids": [world.billing],
        "scopes": ["items:read"],
    }


@pytest.mark.parametrize(
    ("headers", "fragment"),
    [
        ({}, "log in or send an API token"),
        ({"Authorization": "Bearer vxp_not-a-real-token"}, "invalid API token"),
        ({"Authorization": "Basic YWRtaW46YWRtaW4="}, "Bearer"),
    ],
)
def test_api_needs_credentials(app_client: TestClient, world: World, headers: dict[str, str], fragment: str) -> None:
    response = app_client.get("/api/v1/items", headers=headers)
    _assert_error(response, 401, fragment)
    assert response.headers["www-authenticate"] == "Bearer"


def test_revoked_token_is_refused(app_client: TestClient, world: World, store: Store, token_for: TokenFor) -> None:
    token = token_for("admin@example.com", "items:read")
    assert app_client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    with store.write() as s:
        revoke_token(s, authenticate_token(s, token).id)
    _assert_error(app_client.get("/api/v1/me", headers=_bearer(token)), 401, "revoked")


def test_list_get_and_filters(app_client: TestClient, world: World, store: Store, token_for: TokenFor) -> None:
    token = token_for("manager@example.com", "items:read")
    a = add_item(store, world.reviews, minutes=1, text="soup was cold", rating=0.25, department_id=world.billing)
    b = add_item(store, world.tweets, minutes=2, channel="twitter", text="great service", rating=1.0)
    body = app_client.get("/api/v1/items", headers=_bearer(token)).json()
    assert [i["id"] for i in body["items"]] == [b, a]
    assert body["next_cursor"] is None
    assert body["items"][1]["department"] == "Billing"
    assert body["items"][1]["source"] == "Google reviews"
    only = app_client.get("/api/v1/items?rating_max=0.5&q=soup", headers=_bearer(token)).json()
    assert [i["id"] for i in only["items"]] == [a]
    detail = app_client.get(f"/api/v1/items/{a}", headers=_bearer(token)).json()
    assert detail["text"] == "soup was cold"
    assert detail["raw"] == {}
    _assert_error(app_client.get("/api/v1/items/999999", headers=_bearer(token)), 404, "no item 999999")
    _assert_error(app_client.get("/api/v1/items?rating_min=3", headers=_bearer(token)), 422, "rating_min")
    _assert_error(app_client.get("/api/v1/items?cursor=zzz", headers=_bearer(token)), 422, "cursor")
    _assert_error(app_client.get("/api/v1/items?date_to=31/12/2025", headers=_bearer(token)), 422, "date_to")


def test_agent_scoping_in_the_api(app_client: TestClient, world: World, store: Store, token_for: TokenFor) -> None:
    mine = add_item(store, world.reviews, minutes=1, department_id=world.billing)
    theirs = add_item(store, world.reviews, minutes=2, department_id=world.delivery)
    token = token_for("agent@example.com", "items:read")
    listed = app_client.get("/api/v1/items", headers=_bearer(token)).json()["items"]
    assert [i["id"] for i in listed] == [mine]
    assert app_client.get(f"/api/v1/items/{mine}", headers=_bearer(token)).status_code == 200
    _assert_error(app_client.get(f"/api/v1/items/{theirs}", headers=_bearer(token)), 404, f"no item {theirs}")


def test_post_one_item_then_a_list_with_a_duplicate(app_client: TestClient, world: World, token_for: TokenFor) -> None:
    token = token_for("agent@example.com", "items:read", "items:write")
    one = {"text": "Checkout kept failing", "external_id": "t-1", "rating": 2, "created_at": "2025-05-01T10:00:00Z"}
    first = app_client.post("/api/v1/items?source=shop-widget&channel=widget", json=one, headers=_bearer(token))
    assert first.status_code == 201, first.text
    assert len(first.json()["added"]) == 1
    assert first.json()["duplicates"] == 0
    batch = [one, {"text": "Loved the new app", "external_id": "t-2", "kind": "feedback"}]
    second = app_client.post("/api/v1/items?source=shop-widget", json=batch, headers=_bearer(token))
    assert second.status_code == 201
    assert second.json()["duplicates"] == 1
    assert len(second.json()["added"]) == 1
    admin = token_for("admin@example.com", "items:read")
    stored = app_client.get("/api/v1/items?channel=widget", headers=_bearer(admin)).json()["items"]
    assert {i["text"] for i in stored} == {"Checkout kept failing", "Loved the new app"}
    assert {i["kind"] for i in stored} == {"review", "feedback"}
    assert next(i for i in stored if i["external_id"] == "t-1")["rating"] == pytest.approx(0.25)
    edited = {**one, "text": "Checkout kept failing, and support never answered"}
    third = app_client.post("/api/v1/items?source=shop-widget", json=edited, headers=_bearer(token))
    assert third.status_code == 201
    assert third.json()["added"] == []
    assert third.json()["updated"] == first.json()["added"]  # edited in place, to be analysed again


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 3}, "body.text"),
        ({"text": "ok", "kind": "rumour"}, "body.kind"),
        ([{"text": "ok"}, {"text": "ok", "reach_likes": -1}], "body.1.reach_likes"),
        ({"text": "ok", "colour": "red"}, "body.colour"),
        ({"text": "ok", "created_at": "last tuesday"}, "body.created_at"),
    ],
)
def test_post_names_the_bad_field(
    app_client: TestClient, world: World, token_for: TokenFor, body: Any, field: str
) -> None:
    token = token_for("admin@example.com", "items:write")
    response = app_client.post("/api/v1/items", json=body, headers=_bearer(token))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(e["field"].endswith(field.removeprefix("body.")) for e in errors), errors


def test_post_reports_writer_errors_with_the_item_index(
    app_client: TestClient, world: World, token_for: TokenFor
) -> None:
    token = token_for("admin@example.com", "items:write")
    body = [{"text": "fine"}, {"text": "bad rating", "rating": 9, "rating_min": 1, "rating_max": 5}]
    response = app_client.post("/api/v1/items", json=body, headers=_bearer(token))
    _assert_error(response, 422, "item 1, field 'rating'")
    admin = token_for("admin@example.com", "items:read")
    assert app_client.get("/api/v1/items", headers=_bearer(admin)).json()["items"] == []  # nothing half-written


def test_scopes_and_roles_limit_writes(app_client: TestClient, world: World, token_for: TokenFor) -> None:
    read_only = token_for("admin@example.com", "items:read")
    _assert_error(app_client.post("/api/v1/items", json={"text": "x"}, headers=_bearer(read_only)), 403, "items:write")
    write_only = token_for("admin@example.com", "items:write")
    _assert_error(app_client.get("/api/v1/items", headers=_bearer(write_only)), 403, "items:read")
    viewer = token_for("viewer@example.com", "items:read", "items:write")
    _assert_error(app_client.post("/api/v1/items", json={"text": "x"}, headers=_bearer(viewer)), 403, "read-only")
    assert app_client.get("/api/v1/items", headers=_bearer(viewer)).status_code == 200


def test_browser_session_can_use_the_api_with_the_csrf_header(app_client: TestClient, world: World) -> None:
    login(app_client, "viewer@example.com")
    assert app_client.get("/api/v1/me").json()["role"] == "viewer"
    app_client.cookies.clear()
    login(app_client, "manager@example.com")
    _assert_error(app_client.post("/api/v1/items", json={"text": "x"}), 403, "CSRF")
    _assert_error(app_client.post("/api/v1/items", json={"text": "x"}, headers={"X-CSRF-Token": "nope"}), 403, "CSRF")
    token = csrf_of(app_client.get("/inbox").text)
    assert app_client.post("/api/v1/items", json={"text": "x"}, headers={"X-CSRF-Token": token}).status_code == 201


def test_docs_and_schema_need_authentication(app_client: TestClient, world: World, token_for: TokenFor) -> None:
    _assert_error(app_client.get("/api/docs"), 401, "log in")
    browser = app_client.get("/api/docs", headers={"Accept": "text/html"}, follow_redirects=False)
    assert browser.headers["location"] == "/login?next=%2Fapi%2Fdocs"
    _assert_error(app_client.get("/api/openapi.json"), 401, "log in")
    schema = app_client.get("/api/openapi.json", headers=_bearer(token_for("agent@example.com", "items:read")))
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/v1/items", "/api/v1/items/{item_id}", "/api/v1/me"} <= set(paths)
    assert "/inbox" not in paths
    login(app_client, "agent@example.com")
    docs = app_client.get("/api/docs")
    assert docs.status_code == 200
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.text
    assert "script-src 'self';" in docs.headers["content-security-policy"]


def test_unknown_api_path_uses_the_error_shape(app_client: TestClient, world: World) -> None:
    _assert_error(app_client.get("/api/v1/nothing-here"), 404, "Not Found")


def test_unexpected_errors_keep_the_shape_and_hide_details(store: Store, world: World) -> None:
    app = create_app(store.settings, store)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert response.json() == {"ok": False, "error": "internal error", "status": 500}


def test_wrong_method_uses_the_error_shape(app_client: TestClient, world: World, token_for: TokenFor) -> None:
    response = app_client.delete("/api/v1/items", headers=_bearer(token_for("admin@example.com", "items:read")))
    _assert_error(response, 405, "Method Not Allowed")
