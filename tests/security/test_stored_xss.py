"""Stored XSS: review text, titles, author names, locations and source names written by strangers are
rendered on every staff page that shows items without ever becoming markup."""

from __future__ import annotations

import importlib
import re

from fastapi.testclient import TestClient

from tests.web.conftest import World, add_item, login
from voxpop.store import Store
from voxpop.web.app import ROUTER_MODULES

PAYLOADS = (
    '<script>alert("xss")</script>',
    '<img src=x onerror="alert(1)">',
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
)
SKIP = re.compile(r"^/(logout|static|api/docs|metrics)")


def _pages() -> list[str]:
    paths = []
    for name in ROUTER_MODULES:
        for route in importlib.import_module(name).router.routes:
            path = str(getattr(route, "path", ""))
            if "GET" in (getattr(route, "methods", None) or set()) and "{" not in path and not SKIP.match(path):
                paths.append(path)
    return sorted(set(paths))


def test_hostile_item_fields_never_become_markup(app_client: TestClient, world: World, store: Store) -> None:
    ids = [
        add_item(
            store,
            world.reviews,
            minutes=i,
            text=f"Terrible service {payload}",
            title=payload,
            author_name=payload,
            location=payload,
            url=payload if payload.startswith("javascript") else "https://example.com/r",
            sentiment="negative",
            rating=0.0,
            rating_raw=1,
            rating_min=1,
            rating_max=5,
            aspects=[{"name": payload, "sentiment": "negative", "relevance": 0.9}],
        )
        for i, payload in enumerate(PAYLOADS)
    ]
    login(app_client, "admin@example.com")
    pages = [*_pages(), *(f"/items/{i}" for i in ids), "/inbox?q=Terrible"]
    leaks = []
    for path in pages:
        response = app_client.get(path, follow_redirects=False)
        if response.headers.get("content-type", "").startswith("text/html"):
            body = response.text
            for payload in PAYLOADS[:3]:
                if payload in body:
                    leaks.append(f"{path}: {payload}")
            if 'href="javascript:' in body:
                leaks.append(f"{path}: a javascript: link")
    assert not leaks, "\n".join(leaks)
    item_page = app_client.get(f"/items/{ids[0]}").text
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in item_page or "&lt;script&gt;" in item_page
