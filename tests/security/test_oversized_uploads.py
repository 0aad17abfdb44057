"""Oversized uploads: a body over ``max_request_bytes`` is refused with 413 by every state-changing route
(the list comes from the app, public routes included), whether its size is declared or it streams in
chunks, and nothing is stored. A real 50 MB upload to the file imports is refused the same way."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.web.conftest import World, csrf_of, login
from voxpop.store import Store
from voxpop.store.models import Base
from voxpop.web.app import ROUTER_MODULES, create_app

LIMIT = 100_000
# Writes that take no body at all (so there is nothing to read, and they succeed without one); /logout
# would also end the session the other requests need.
NO_BODY = {"/logout", "/mentions/seen", "/api/v1/mentions/seen"}


def _writes() -> list[tuple[str, str]]:
    found = []
    for name in ROUTER_MODULES:
        for route in importlib.import_module(name).router.routes:
            for method in sorted((getattr(route, "methods", None) or set()) - {"GET", "HEAD", "OPTIONS"}):
                found.append((method, str(getattr(route, "path", ""))))
    return found


ROUTES = _writes()


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path.replace("{action}", "enable"))


def _counts(store: Store) -> dict[str, int]:
    with store.read() as s:
        return {t.name: int(s.scalar(select(func.count()).select_from(t)) or 0) for t in Base.metadata.sorted_tables}


@pytest.fixture
def small_limit_client(store: Store) -> Iterator[TestClient]:
    settings = store.settings.model_copy(update={"max_request_bytes": LIMIT})
    with TestClient(create_app(settings, store), base_url="http://testserver") as client:
        yield client


def _multipart(size: int) -> tuple[bytes, str]:
    boundary = "voxpopboundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    row = b"text,rating\r\n" + b'"A review that goes on and on",5\r\n' * (size // 33)
    return head + row + tail, f"multipart/form-data; boundary={boundary}"


def _chunks(body: bytes) -> Iterator[bytes]:
    for start in range(0, len(body), 16_384):
        yield body[start : start + 16_384]


def test_no_write_reads_a_body_over_the_limit(small_limit_client: TestClient, world: World, store: Store) -> None:
    """Declared or streamed in chunks without a length, a body over the limit is refused with 413 as soon
    as a route reads it; a route that answers without reading its body (a header CSRF token, an unknown
    id) answers otherwise, and nothing is stored either way."""
    client = small_limit_client
    login(client, "admin@example.com")
    csrf = csrf_of(client.get("/inbox").text)
    body, content_type = _multipart(LIMIT * 2)
    before = _counts(store)
    let_through = []
    refused = 0
    for method, path in ROUTES:
        if path in NO_BODY:
            continue
        headers = {"X-CSRF-Token": csrf, "Content-Type": content_type, "Origin": "http://testserver"}
        url = _concrete(path)
        declared = client.request(method, url, content=body, headers=headers, follow_redirects=False)
        chunked = client.request(method, url, content=_chunks(body), headers=headers, follow_redirects=False)
        refused += declared.status_code == 413
        if declared.status_code < 400:
            let_through.append(f"{method} {path} → {declared.status_code}")
        if chunked.status_code != 413 and declared.status_code == 413:
            let_through.append(f"{method} {path}: declared refused, streamed → {chunked.status_code}")
    after = _counts(store)
    # Logging in wrote a session row and an audit row; nothing else may have changed.
    changed = {t for t in before if before[t] != after[t]} - {"web_sessions", "audit_log"}
    assert not changed, f"rows written by refused requests: {changed}"
    assert not let_through, "read a body over the limit:\n" + "\n".join(let_through)
    assert refused > 30  # the form and upload routes, which do read their bodies


def test_a_chunked_body_without_a_length_is_cut_off_too(small_limit_client: TestClient, world: World) -> None:
    client = small_limit_client
    login(client, "admin@example.com")
    csrf = csrf_of(client.get("/rules").text)
    body, content_type = _multipart(LIMIT * 3)

    response = client.post(
        "/rules/import", content=_chunks(body), headers={"X-CSRF-Token": csrf, "Content-Type": content_type}
    )
    assert response.status_code == 413
    assert "larger than" in response.text


def test_a_body_under_the_limit_still_gets_through(small_limit_client: TestClient, world: World) -> None:
    login(small_limit_client, "admin@example.com")
    csrf = csrf_of(small_limit_client.get("/inbox").text)
    response = small_limit_client.post(
        "/api/v1/items/bulk", json={"ids": [1], "action": "tag", "value": "x"}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code != 413


@pytest.mark.parametrize(
    "path", ["/rules/import", "/invitations/send", "/business/import", "/journey/map", "/surveys/1/recipients"]
)
def test_a_50_mb_upload_to_the_file_imports_is_refused(
    app_client: TestClient, world: World, store: Store, path: str
) -> None:
    assert store.settings.max_request_bytes < 50_000_000
    login(app_client, "admin@example.com")
    csrf = csrf_of(app_client.get("/inbox").text)
    body, content_type = _multipart(50_000_000)
    before = _counts(store)
    response = app_client.post(path, content=body, headers={"X-CSRF-Token": csrf, "Content-Type": content_type})
    assert response.status_code == 413
    assert "larger than" in response.text
    after = _counts(store)
    assert {t for t in before if before[t] != after[t]} <= {"web_sessions", "audit_log"}
