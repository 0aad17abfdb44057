"""CSRF on every state-changing form and call: each one is tried with a logged-in admin's session but
without the CSRF token, and must be refused before it does anything. New routes are picked up by
themselves (the list comes from the app), so a form added without protection fails this test."""

from __future__ import annotations

import importlib
import re

from fastapi.testclient import TestClient

from tests.web.conftest import World, login
from voxpop.web.app import ROUTER_MODULES

# Public endpoints that authenticate by something else than a session: the webhook by its HMAC
# signature, the widget by its site key and CORS, the log-in form by its own pre-session token, and
# capability links (unsubscribe, testimonial) whose unguessable signed token is the credential.
NOT_SESSION_BASED = (
    re.compile(r"^/login$"),
    re.compile(r"^/api/v1/hooks/"),
    re.compile(r"^/w/"),
    re.compile(r"^/o/"),
    re.compile(r"^/s/unsubscribe/"),
)


def _state_changing_routes() -> list[tuple[str, str]]:
    found = []
    for name in ROUTER_MODULES:
        for route in importlib.import_module(name).router.routes:
            methods = (getattr(route, "methods", None) or set()) - {"GET", "HEAD", "OPTIONS"}
            for method in sorted(methods):
                path = str(getattr(route, "path", ""))
                if not any(p.search(path) for p in NOT_SESSION_BASED):
                    found.append((method, path))
    return found


ROUTES = _state_changing_routes()


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "enable" if m.group(0) == "{action}" else "1", path)


def test_the_route_list_is_not_empty() -> None:
    assert len(ROUTES) > 20


def test_every_state_changing_route_refuses_a_request_without_the_token(app_client: TestClient, world: World) -> None:
    # One logged-in session for all of them (logging in per route would make this the slowest test).
    login(app_client, "admin@example.com")
    let_through = []
    for method, path in ROUTES:
        response = app_client.request(method, _concrete(path), data={"text": "x", "name": "x"}, follow_redirects=False)
        if response.status_code not in (400, 403):
            let_through.append(f"{method} {path} → {response.status_code}")
    assert not let_through, "answered without a CSRF token:\n" + "\n".join(let_through)
