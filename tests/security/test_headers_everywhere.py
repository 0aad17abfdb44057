"""Every page — staff pages as an admin and the public pages — carries the security headers: a CSP
whose scripts never include 'unsafe-inline', nosniff, and framing refused (except where a page says
otherwise on purpose); HSTS when voxpop is served over TLS. The page list comes from the app."""

from __future__ import annotations

import importlib
import re

from fastapi.testclient import TestClient

from tests.web.conftest import World, login
from voxpop.store import Store
from voxpop.web.app import ROUTER_MODULES, create_app

SKIP = re.compile(r"^/(logout|static)")


def _pages() -> list[str]:
    paths = []
    for name in ROUTER_MODULES:
        for route in importlib.import_module(name).router.routes:
            path = str(getattr(route, "path", ""))
            if "GET" in (getattr(route, "methods", None) or set()) and "{" not in path and not SKIP.match(path):
                paths.append(path)
    return sorted(set(paths))


def _directives(csp: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";") if part.strip()}


def _problems(path: str, headers: dict[str, str]) -> list[str]:
    problems = []
    csp = headers.get("content-security-policy", "")
    directives = _directives(csp)
    scripts = directives.get("script-src") or directives.get("default-src", "")
    if not csp:
        problems.append(f"{path}: no Content-Security-Policy")
    elif "'unsafe-inline'" in scripts or "'unsafe-eval'" in scripts:
        problems.append(f"{path}: scripts allow unsafe-inline/eval: {scripts}")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append(f"{path}: no X-Content-Type-Options: nosniff")
    if "frame-ancestors" not in directives and headers.get("x-frame-options") not in ("DENY", "SAMEORIGIN"):
        problems.append(f"{path}: framing not restricted")
    return problems


def test_every_page_has_the_headers(app_client: TestClient, world: World) -> None:
    pages = _pages()
    assert len(pages) > 15
    login(app_client, "admin@example.com")
    problems = []
    for path in pages:
        response = app_client.get(path, follow_redirects=False)
        problems += _problems(path, {k.lower(): v for k, v in response.headers.items()})
    app_client.cookies.clear()
    for path in pages:  # as an anonymous visitor: log-in redirects and public pages alike
        response = app_client.get(path, follow_redirects=False)
        problems += _problems(f"{path} (anonymous)", {k.lower(): v for k, v in response.headers.items()})
    assert not problems, "\n".join(problems)


def test_hsts_only_behind_tls(store: Store) -> None:
    with TestClient(create_app(store.settings, store)) as plain:
        assert "strict-transport-security" not in {k.lower() for k in plain.get("/login").headers}
    secure = store.settings.model_copy(update={"base_url": "https://feedback.example.com"})
    with TestClient(create_app(secure, store), base_url="https://testserver") as tls:
        hsts = tls.get("/login").headers.get("strict-transport-security", "")
    assert hsts.startswith("max-age=31536000")
