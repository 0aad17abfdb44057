from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, World, csrf_of, login
from voxpop.store import Store
from voxpop.store.models import ApiToken, AuditEvent, WebSession
from voxpop.web.app import create_app
from voxpop.web.auth import COOKIE


def test_pages_need_a_login_and_come_back_after_it(app_client: TestClient, world: World) -> None:
    response = app_client.get("/inbox?channel=google", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Finbox%3Fchannel%3Dgoogle"
    response = login(app_client, "admin@example.com", next_path="/inbox?channel=google")
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox?channel=google"
    assert app_client.get("/inbox").status_code == 200


def test_session_cookie_flags_and_only_a_hash_stored(app_client: TestClient, world: World, store: Store) -> None:
    response = login(app_client, "admin@example.com")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # base_url is http in tests
    token = app_client.cookies[COOKIE]
    with store.read() as s:
        hashes = [w.token_hash for w in s.query(WebSession)]
    assert len(hashes) == 1
    assert token not in hashes


def test_secure_cookie_and_hsts_when_served_over_https(store: Store, world: World) -> None:
    settings = store.settings.model_copy(update={"base_url": "https://cx.example.com"})
    with TestClient(create_app(settings, store), base_url="https://testserver") as client:
        response = login(client, "admin@example.com")
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(COOKIE))
        assert "Secure" in cookie
        assert response.headers["strict-transport-security"].startswith("max-age=")


def test_wrong_password_is_refused_without_a_session(app_client: TestClient, world: World) -> None:
    response = login(app_client, "admin@example.com", "not the password")
    assert response.status_code == 401
    assert "wrong e-mail or password" in response.text
    assert COOKIE not in app_client.cookies
    assert app_client.get("/inbox", follow_redirects=False).status_code == 303


def test_lockout_through_the_form(app_client: TestClient, world: World) -> None:
    for _ in range(5):  # settings.login_max_failures
        assert login(app_client, "agent@example.com", "guessing-123").status_code == 401
    response = login(app_client, "agent@example.com", PASSWORD)
    assert response.status_code == 401
    assert "too many failed log-ins" in response.text


def test_login_makes_a_new_session_and_logout_deletes_it(app_client: TestClient, world: World, store: Store) -> None:
    app_client.cookies.set(COOKIE, "planted-by-an-attacker", domain="testserver.local")
    response = login(app_client, "admin@example.com")
    first = app_client.cookies[COOKIE]
    assert first != "planted-by-an-attacker"
    assert f"{COOKIE}={first}" in response.headers["set-cookie"]
    page = app_client.get("/inbox")
    response = app_client.post("/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    with store.read() as s:
        assert s.query(WebSession).count() == 0
    # The old cookie is worth nothing now, even if someone kept it.
    app_client.cookies.clear()
    replay = app_client.get("/inbox", headers={"Cookie": f"{COOKIE}={first}"}, follow_redirects=False)
    assert replay.status_code == 303


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "inbox", "/\t/evil"],
)
def test_no_open_redirect_after_login(app_client: TestClient, world: World, target: str) -> None:
    response = login(app_client, "admin@example.com", next_path=target)
    assert response.status_code == 303
    assert response.headers["location"] == "/inbox"


def test_login_form_needs_its_csrf_token(app_client: TestClient, world: World) -> None:
    app_client.get("/login")
    response = app_client.post(
        "/login", data={"email": "admin@example.com", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403
    assert COOKIE not in app_client.cookies


def test_logout_without_or_with_a_wrong_csrf_token_is_refused(app_client: TestClient, world: World) -> None:
    login(app_client, "admin@example.com")
    assert app_client.post("/logout", data={}).status_code == 403
    assert app_client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert app_client.post("/logout", headers={"X-CSRF-Token": "wrong"}).status_code == 403
    assert app_client.get("/inbox").status_code == 200  # still logged in


def test_htmx_requests_carry_the_csrf_header(app_client: TestClient, world: World) -> None:
    login(app_client, "admin@example.com")
    page = app_client.get("/inbox")
    token = csrf_of(page.text)
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in page.text
    response = app_client.post("/logout", headers={"X-CSRF-Token": token, "HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 303


def test_security_headers_on_every_response(app_client: TestClient, world: World) -> None:
    for path in ("/login", "/static/app.css", "/inbox"):
        response = app_client.get(path, follow_redirects=False)
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in response.headers
    assert "<script>" not in app_client.get("/login").text  # no inline script anywhere


def test_account_events_are_audited(app_client: TestClient, world: World, store: Store, token_for: Any) -> None:
    login(app_client, "agent@example.com", "a wrong guess")
    login(app_client, "agent@example.com")
    app_client.post("/logout", data={"csrf_token": csrf_of(app_client.get("/inbox").text)})
    token = token_for("admin@example.com", "items:read")
    assert app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with store.read() as s:
        events = [(e.action, e.actor) for e in s.query(AuditEvent).order_by(AuditEvent.id)]
        assert s.query(ApiToken).one().last_used_at is not None
    assert events == [
        ("login_failed", "agent@example.com"),
        ("login", "agent@example.com"),
        ("logout", "agent@example.com"),
        ("token_created", "admin@example.com"),
    ]
