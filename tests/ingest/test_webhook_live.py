"""The inbound webhook: a good delivery is stored once; a bad signature, a stale timestamp and a replayed
delivery are refused with nothing stored — through the real web app, with no login."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.ingest.live_support import item_count, items
from voxpop.errors import ValidationError
from voxpop.ingest.live.service import add_source
from voxpop.ingest.live.webhook import parse_payload, sign
from voxpop.store import Store
from voxpop.store.models.sources import WebhookDelivery
from voxpop.web.app import create_app

BODY = {
    "items": [
        {
            "text": "The checkout page froze twice.",
            "external_id": "form-77",
            "rating": 2,
            "created_at": "2025-03-01T10:00:00+01:00",
            "author_email": "Pat@Example.com",
        },
        {"text": "Love the new menu!", "kind": "review", "channel": "kiosk"},
    ]
}


@pytest.fixture
def hook(store: Store) -> tuple[int, str]:
    with store.write() as session:
        source, secret = add_source(session, store.settings, name="Helpdesk hook", kind="webhook", config={})
        assert secret is not None
        return source.id, secret


@pytest.fixture
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store.settings, store), base_url="http://testserver") as client:
        yield client


def _headers(secret: str, body: bytes, *, delivery: str = "d-1", stamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if stamp is None else stamp)
    return {
        "Content-Type": "application/json",
        "X-Voxpop-Timestamp": ts,
        "X-Voxpop-Delivery": delivery,
        "X-Voxpop-Signature": sign(secret, ts, delivery, body),
    }


def test_good_delivery_stored_once(store: Store, client: TestClient, hook: tuple[int, str]) -> None:
    source_id, secret = hook
    body = json.dumps(BODY).encode()
    answer = client.post(f"/api/v1/hooks/sources/{source_id}", content=body, headers=_headers(secret, body))
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"ok": True, "delivery": "d-1", "added": 2, "duplicates": 0}
    stored = {i.external_id: i for i in items(store)}
    froze = stored["form-77"]
    assert froze.text == "The checkout page froze twice."
    assert froze.rating_raw == 2.0
    assert froze.created_at.isoformat() == "2025-03-01T09:00:00+00:00"
    assert froze.kind == "feedback"
    menu = stored[None]
    assert (menu.kind, menu.channel) == ("review", "kiosk")

    # The same delivery again is a replay: refused, nothing added.
    again = client.post(f"/api/v1/hooks/sources/{source_id}", content=body, headers=_headers(secret, body))
    assert again.status_code == 409
    assert "replay" in again.json()["error"]
    # A new delivery carrying the same items adds nothing either (external ids / content dedup).
    third = client.post(
        f"/api/v1/hooks/sources/{source_id}", content=body, headers=_headers(secret, body, delivery="d-2")
    )
    assert third.status_code == 202
    assert third.json()["added"] == 0
    assert item_count(store) == 2


@pytest.mark.parametrize("problem", ["bad-signature", "other-secret", "stale", "future", "missing", "tampered"])
def test_refused_deliveries_store_nothing(
    store: Store, client: TestClient, hook: tuple[int, str], problem: str
) -> None:
    source_id, secret = hook
    body = json.dumps(BODY).encode()
    headers = _headers(secret, body)
    if problem == "bad-signature":
        headers["X-Voxpop-Signature"] = "sha256=" + "0" * 64
    elif problem == "other-secret":
        headers = _headers("not-the-secret", body)
    elif problem == "stale":
        headers = _headers(secret, body, stamp=int(time.time()) - 3600)
    elif problem == "future":
        headers = _headers(secret, body, stamp=int(time.time()) + 3600)
    elif problem == "missing":
        del headers["X-Voxpop-Signature"]
    elif problem == "tampered":
        body = body.replace(b"froze twice", b"was great!!")
    answer = client.post(f"/api/v1/hooks/sources/{source_id}", content=body, headers=headers)
    assert answer.status_code == 401
    assert answer.json()["ok"] is False
    assert item_count(store) == 0
    with store.read() as session:
        assert list(session.scalars(select(WebhookDelivery))) == []


def test_unknown_source_and_bad_payload(store: Store, client: TestClient, hook: tuple[int, str]) -> None:
    source_id, secret = hook
    body = b"{}"
    assert client.post("/api/v1/hooks/sources/9999", content=body, headers=_headers(secret, body)).status_code == 404
    bad = json.dumps({"items": [{"text": "ok"}, {"text": "x", "rating": "five"}]}).encode()
    answer = client.post(f"/api/v1/hooks/sources/{source_id}", content=bad, headers=_headers(secret, bad))
    assert answer.status_code == 422
    assert "item 1, field 'rating'" in answer.json()["error"]
    assert item_count(store) == 0


def test_payload_errors_name_item_and_field() -> None:
    with pytest.raises(ValidationError, match="not JSON"):
        parse_payload(b"<xml/>")
    with pytest.raises(ValidationError, match="item 0, field 'text'"):
        parse_payload(b'{"text": "  "}')
    with pytest.raises(ValidationError, match="unknown field"):
        parse_payload(b'{"text": "a", "password": "x"}')
    with pytest.raises(ValidationError, match="item 0, field 'created_at'"):
        parse_payload(b'{"text": "a", "created_at": "yesterday"}')
    assert parse_payload(b'{"text": "a"}')[0].text == "a"


def test_each_source_is_rate_limited_with_a_clear_429(store: Store, hook: tuple[int, str], tmp_path: Path) -> None:
    """Over real HTTP (a running ``voxpop serve``): a source's burst is taken, the next delivery gets 429 with
    Retry-After and nothing stored, and another source's deliveries are not held back by it."""
    from tests.servers import voxpop_server

    source_id, secret = hook
    with store.write() as session:
        other, other_secret = add_source(session, store.settings, name="Form hook", kind="webhook", config={})
        assert other_secret is not None
        other_id = other.id
    # One delivery earned per 100 minutes: on a loaded machine the three deliveries may take over a minute,
    # and with one a minute the third found a fresh token (seen once under load).
    env = {"VOXPOP_WEBHOOK_RATE_BURST": "2", "VOXPOP_WEBHOOK_RATE_PER_MINUTE": "0.01", "VOXPOP_ANALYZE_ON_INGEST": "0"}
    with voxpop_server(store.settings, tmp_path, **env) as url:
        statuses = []
        for n in range(3):
            body = json.dumps({"text": f"delivery {n}", "external_id": f"rl-{n}"}).encode()
            answer = httpx.post(
                f"{url}/api/v1/hooks/sources/{source_id}",
                content=body,
                headers=_headers(secret, body, delivery=f"r{n}"),
                timeout=120,
            )
            statuses.append(answer.status_code)
        assert statuses == [202, 202, 429]
        assert int(answer.headers["Retry-After"]) >= 1
        assert "rate-limited" in answer.json()["error"]
        body = json.dumps({"text": "another source"}).encode()
        elsewhere = httpx.post(
            f"{url}/api/v1/hooks/sources/{other_id}",
            content=body,
            headers=_headers(other_secret, body, delivery="o1"),
            timeout=120,
        )
        assert elsewhere.status_code == 202
    assert sorted(i.text for i in items(store)) == ["another source", "delivery 0", "delivery 1"]
