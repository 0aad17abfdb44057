"""The widget's endpoint over real HTTP: CORS per site, origin refusal, rate limit, honeypot, size limits."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.web.conftest import World, csrf_of, login
from voxpop.errors import ValidationError
from voxpop.loop.widget import create_site, normalise_origin, parse_post
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.web.app import create_app

SHOP = "https://shop.example.com"


def site_key(store: Store) -> str:
    with store.write() as s:
        return create_site(s, "Shop", [SHOP + "/", "http://localhost:8080"], location="Online").site_key


def items(store: Store) -> list[Item]:
    with store.read() as s:
        return list(s.scalars(select(Item).order_by(Item.id)))


def test_origins_are_normalised_and_checked() -> None:
    assert normalise_origin("HTTPS://Shop.Example.com/") == "https://shop.example.com"
    assert normalise_origin("http://localhost:8080") == "http://localhost:8080"
    for bad in ("ftp://x.com", "https://x.com/path", "javascript:alert(1)", "https://u:p@x.com", "x.com"):
        with pytest.raises(ValidationError, match="origins"):
            normalise_origin(bad)


def test_posts_are_validated_field_by_field() -> None:
    with pytest.raises(ValidationError, match="field 'rating'"):
        parse_post({"rating": 6, "text": "x"}, max_text=100)
    with pytest.raises(ValidationError, match="field 'rating'"):
        parse_post({"rating": True, "text": "x"}, max_text=100)
    with pytest.raises(ValidationError, match="field 'text'"):
        parse_post({"text": "x" * 101}, max_text=100)
    with pytest.raises(ValidationError, match="field 'text'"):
        parse_post({"text": "  "}, max_text=100)
    with pytest.raises(ValidationError, match="field 'email'"):
        parse_post({"text": "hi", "email": "nope"}, max_text=100)
    post = parse_post({"text": "hi", "page_url": "javascript:alert(1)", "rating": "4"}, max_text=100)
    assert (post.rating, post.page_url, post.is_bot) == (4, None, False)
    assert parse_post({"text": "hi", "website": "spam"}, max_text=100).is_bot


def test_allowed_origin_preflight_and_post(app_client: TestClient, store: Store) -> None:
    key = site_key(store)
    pre = app_client.options(f"/w/{key}/feedback", headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204
    assert pre.headers["access-control-allow-origin"] == SHOP
    body = {"rating": 2, "text": "<img src=x onerror=alert(1)> checkout broke", "page_url": SHOP + "/cart"}
    posted = app_client.post(f"/w/{key}/feedback", json=body, headers={"Origin": SHOP})
    assert posted.status_code == 201
    assert posted.headers["access-control-allow-origin"] == SHOP
    [item] = items(store)
    assert (item.kind, item.channel, item.url, item.location) == ("feedback", "widget", SHOP + "/cart", "Online")
    assert (item.rating_raw, item.rating_min, item.rating_max) == (2.0, 1.0, 5.0)
    assert item.text == body["text"]


def test_other_origins_are_refused(app_client: TestClient, store: Store) -> None:
    key = site_key(store)
    evil = "https://evil.example.net"
    pre = app_client.options(f"/w/{key}/feedback", headers={"Origin": evil, "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 403
    assert "access-control-allow-origin" not in pre.headers
    for headers in ({"Origin": evil}, {}, {"Origin": "null"}):
        posted = app_client.post(f"/w/{key}/feedback", json={"text": "hi"}, headers=headers)
        assert posted.status_code == 403
    assert app_client.post("/w/wk_unknown/feedback", json={"text": "hi"}, headers={"Origin": SHOP}).status_code == 404
    assert items(store) == []


def test_honeypot_size_and_rate_limits(store: Store) -> None:
    settings = store.settings.model_copy(update={"widget_rate_burst": 4, "widget_rate_per_minute": 0.01})
    key = site_key(store)
    with TestClient(create_app(settings, store)) as client:
        url, headers = f"/w/{key}/feedback", {"Origin": SHOP}
        bot = client.post(url, json={"text": "buy pills", "website": "http://pills"}, headers=headers)
        assert bot.status_code == 202
        huge = client.post(
            url, content=json.dumps({"text": "x" * 40_000}), headers={**headers, "Content-Type": "application/json"}
        )
        assert huge.status_code == 413
        assert client.post(url, content=b"{not json", headers=headers).status_code == 422
        assert client.post(url, json={"text": "ok"}, headers=headers).status_code == 201
        flood = client.post(url, json={"text": "again"}, headers=headers)
        assert flood.status_code == 429
        assert int(flood.headers["retry-after"]) > 0
        assert flood.headers["access-control-allow-origin"] == SHOP
    assert [i.text for i in items(store)] == ["ok"]


def test_staff_add_a_site_and_see_the_snippet(app_client: TestClient, store: Store, world: World) -> None:
    login(app_client, "manager@example.com")
    token = csrf_of(app_client.get("/widget-sites").text)
    done = app_client.post(
        "/widget-sites",
        data={"csrf_token": token, "name": "Main <site>", "origins": "https://a.example\nhttp://b.example:81"},
    )
    assert done.status_code == 200
    assert "Main &lt;site&gt;" in done.text
    assert "/static/widget.js" in done.text
    assert "data-site-key=&#34;wk_" in done.text or 'data-site-key="wk_' in done.text
    bad = app_client.post("/widget-sites", data={"csrf_token": token, "name": "X", "origins": "not-an-origin"})
    assert bad.status_code == 422
    with store.read() as s:
        from voxpop.store.models import AuditEvent

        assert (
            s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "widget_site_created"))
            == 1
        )
