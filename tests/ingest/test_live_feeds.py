"""RSS, the App Store feed and Reddit search, polled from a real local HTTP server speaking each platform's
documented payload (tests/ingest/fixtures/live/README.md names the documents)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.ingest.live_support import FIXTURES, item_count, items, local_store, make_source, payload, state_of
from tests.servers import HttpSink, Request, Response
from voxpop.errors import ValidationError
from voxpop.ingest.live.scheduler import poll_source
from voxpop.ingest.live.service import add_source
from voxpop.settings import Settings
from voxpop.store import Store

__all__ = ["local_store"]


def test_rss_conditional_get_answers_304(local_store: Store, http_server: HttpSink) -> None:
    feed = (FIXTURES / "feed.rss").read_bytes()

    def answer(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(304, b"")
        return Response(200, feed, {"ETag": '"v1"', "Content-Type": "application/rss+xml"})

    http_server.routes[("GET", "/feed.xml")] = answer
    source_id = make_source(local_store, "rss", {"url": f"{http_server.url}/feed.xml"})

    first = poll_source(local_store, source_id)
    assert first.ok, first.message
    assert len(first.added_ids) == 2
    stored = items(local_store)
    latte = next(i for i in stored if i.external_id == "post-1001")
    assert latte.text == "Tried the oat latte at Acme: creamy, but the queue was 20 minutes."
    assert latte.title == "Acme's new oat latte"
    assert latte.url == "https://blog.example.org/2025/03/oat-latte"
    assert latte.created_at == datetime(2025, 3, 1, 14, 30, tzinfo=UTC)
    assert latte.kind == "mention"

    second = poll_source(local_store, source_id)
    assert second.ok
    assert second.added_ids == []
    assert http_server.requests[-1].headers.get("If-None-Match") == '"v1"'
    assert "304" in second.message
    assert item_count(local_store) == 2
    _, state, events = state_of(local_store, source_id)
    assert state.healthy
    assert state.etag == '"v1"'
    assert [e.http_status for e in events] == [None, 304]


def test_app_store_feed_pages_and_maps(local_store: Store, http_server: HttpSink) -> None:
    base = "/us/rss/customerreviews/page={}/id=284882215/sortby=mostrecent/json"
    http_server.routes[("GET", base.format(1))] = Response(200, payload("app_store_page1.json"))
    http_server.routes[("GET", base.format(2))] = Response(200, payload("app_store_page2.json"))
    source_id = make_source(
        local_store, "app_store_feed", {"app_id": "id284882215", "countries": "us", "base_url": http_server.url}
    )
    outcome = poll_source(local_store, source_id)
    assert outcome.ok, outcome.message
    assert len(outcome.added_ids) == 3
    assert [r.path for r in http_server.requests] == [base.format(1), base.format(2)]
    crash = next(i for i in items(local_store) if i.external_id == "11000000003")
    assert (crash.rating_raw, crash.rating_min, crash.rating_max, crash.rating) == (1.0, 1.0, 5.0, 0.0)
    assert crash.title == "Crashes on login"
    assert crash.text == "Since 2.1 the app crashes every time I log in."
    assert crash.author_name == "Sam K"
    assert crash.created_at == datetime(2025, 3, 2, 15, 15, tzinfo=UTC)
    assert crash.location == "US"
    assert crash.product == "app 284882215 v2.1"
    assert crash.channel == "app_store"

    # The next poll stops at the newest review it already has: one request, nothing new.
    http_server.requests.clear()
    again = poll_source(local_store, source_id)
    assert again.ok
    assert again.added_ids == []
    assert [r.path for r in http_server.requests] == [base.format(1)]


def test_reddit_search_listing(local_store: Store, http_server: HttpSink) -> None:
    http_server.routes[("GET", "/r/coffee/search.json")] = Response(200, payload("reddit_search.json"))
    source_id = make_source(
        local_store, "reddit_search", {"query": "acme coffee", "subreddit": "r/coffee", "base_url": http_server.url}
    )
    outcome = poll_source(local_store, source_id)
    assert outcome.ok, outcome.message
    request = http_server.requests[0]
    assert "q=acme+coffee" in request.path
    assert "restrict_sr=1" in request.path
    assert "sort=new" in request.path
    assert request.headers["User-Agent"].startswith("voxpop/")
    post = next(i for i in items(local_store) if i.external_id == "t3_1b2c3d")
    assert post.text == "Acme Coffee's cold brew is way too sweet this season. Anyone else?"
    assert post.title == "Acme cold brew changed?"
    assert post.author_handle == "u/beanfan"
    assert post.reach_likes == 42
    assert post.url == "https://www.reddit.com/r/coffee/comments/1b2c3d/acme_cold_brew_changed/"
    assert post.created_at == datetime.fromtimestamp(1740848400, UTC)
    link_post = next(i for i in items(local_store) if i.external_id == "t3_1b2c3e")
    assert link_post.text == "The Acme on 5th has the friendliest baristas"  # no selftext: the title


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Response(200, b"{}", delay=2.0), "timeout"),
        (Response(429, b"slow down", {"Retry-After": "120"}), "HTTP 429"),
        (Response(500, b"internal error"), "HTTP 500"),
        (Response(200, b"<html><body>Sorry, we're down</body>"), "not an RSS or Atom feed"),
    ],
    ids=["timeout", "429", "500", "malformed"],
)
def test_rss_failures_leave_store_unchanged(
    local_store: Store, http_server: HttpSink, answer: Response, expected: str
) -> None:
    http_server.routes[("GET", "/feed.xml")] = Response(200, (FIXTURES / "feed.rss").read_bytes())
    source_id = make_source(local_store, "rss", {"url": f"{http_server.url}/feed.xml"})
    assert poll_source(local_store, source_id).ok
    before = item_count(local_store)
    http_server.routes[("GET", "/feed.xml")] = answer
    started = datetime.now(UTC)
    outcome = poll_source(local_store, source_id, timeout=0.5)
    assert not outcome.ok
    assert expected in outcome.message
    assert item_count(local_store) == before
    source, state, events = state_of(local_store, source_id)
    assert not state.healthy
    assert state.failures == 1
    assert expected in (source.last_error or "")
    assert source.last_error_at is not None
    assert events[-1].ok is False
    assert state.next_poll_at is not None
    assert state.next_poll_at > started
    if expected == "HTTP 429":
        assert "Retry-After" in outcome.message
        assert state.next_poll_at >= started + timedelta(seconds=120)
    # A later good poll makes it healthy again.
    http_server.routes[("GET", "/feed.xml")] = Response(200, (FIXTURES / "feed.rss").read_bytes())
    assert poll_source(local_store, source_id).ok
    _, state, _ = state_of(local_store, source_id)
    assert state.healthy
    assert state.failures == 0


@pytest.mark.parametrize(
    ("kind", "route", "body"),
    [
        ("app_store_feed", "/us/rss/customerreviews/page=1/id=1/sortby=mostrecent/json", {"nofeed": True}),
        ("reddit_search", "/search.json", {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {}}]}}),
    ],
)
def test_malformed_payloads(local_store: Store, http_server: HttpSink, kind: str, route: str, body: object) -> None:
    http_server.routes[("GET", route)] = Response(200, body)  # type: ignore[arg-type]
    config = (
        {"app_id": "1", "base_url": http_server.url}
        if kind == "app_store_feed"
        else {"query": "x", "base_url": http_server.url}
    )
    source_id = make_source(local_store, kind, config)
    outcome = poll_source(local_store, source_id)
    assert not outcome.ok
    assert item_count(local_store) == 0
    source, state, _ = state_of(local_store, source_id)
    assert not state.healthy
    assert source.last_error == outcome.message


def test_private_targets_refused_unless_allowed(store: Store, local_store: Store, http_server: HttpSink) -> None:
    with store.write() as session, pytest.raises(ValidationError, match="allow_private_urls"):
        add_source(session, store.settings, name="intranet", kind="rss", config={"url": "http://127.0.0.1:9/feed"})
    with store.write() as session, pytest.raises(ValidationError, match="allow_private_urls"):
        add_source(session, store.settings, name="meta", kind="rss", config={"url": "http://169.254.169.254/latest"})
    # Saved while allowed, then the admin turns the setting off: the poll itself refuses to connect.
    http_server.routes[("GET", "/feed.xml")] = Response(200, (FIXTURES / "feed.rss").read_bytes())
    source_id = make_source(local_store, "rss", {"url": f"{http_server.url}/feed.xml"})
    outcome = poll_source(store, source_id)
    assert not outcome.ok
    assert "allow_private_urls" in outcome.message
    assert http_server.requests == []
    assert item_count(store) == 0


def test_unknown_config_and_missing_fields(store: Store, settings: Settings) -> None:
    with store.write() as session, pytest.raises(ValidationError, match="required"):
        add_source(session, settings, name="x", kind="reddit_search", config={})
    with store.write() as session, pytest.raises(ValidationError, match="unknown setting"):
        add_source(session, settings, name="x", kind="reddit_search", config={"query": "a", "evil": "1"})
    with store.write() as session, pytest.raises(ValidationError, match="not a live source kind"):
        add_source(session, settings, name="x", kind="nope", config={})


def test_reddit_app_only_oauth(local_store: Store, http_server: HttpSink) -> None:
    """With a registered app's id and secret: a client-credentials token, then oauth.reddit.com."""
    import base64
    from urllib.parse import parse_qs

    http_server.routes[("POST", "/api/v1/access_token")] = Response(
        200, {"access_token": "app-token-1", "token_type": "bearer", "expires_in": 86400, "scope": "*"}
    )

    def search(request: Request) -> Response:
        if request.headers.get("Authorization") != "bearer app-token-1":
            return Response(401, {"message": "Unauthorized", "error": 401})
        return Response(200, payload("reddit_search.json"))

    http_server.routes[("GET", "/search.json")] = search
    config = {
        "query": "acme",
        "oauth_base": http_server.url,
        "token_url": f"{http_server.url}/api/v1/access_token",
    }
    source_id = make_source(
        local_store, "reddit_search", config, {"client_id": "app-id-123", "client_secret": "app-secret-4567"}
    )
    outcome = poll_source(local_store, source_id)
    assert outcome.ok, outcome.message
    assert len(outcome.added_ids) == 2
    token_request = http_server.requests[0]
    assert (
        base64.b64decode(token_request.headers["Authorization"].removeprefix("Basic ")) == b"app-id-123:app-secret-4567"
    )
    assert parse_qs(token_request.body.decode()) == {"grant_type": ["client_credentials"]}
    assert http_server.requests[1].headers["User-Agent"].startswith("voxpop/")
    # The token is kept (sealed) and reused.
    http_server.requests.clear()
    assert poll_source(local_store, source_id).ok
    assert [r.path.split("?")[0] for r in http_server.requests] == ["/search.json"]
    # A refused app: clear error, nothing stored, unhealthy.
    http_server.routes[("POST", "/api/v1/access_token")] = Response(401, {"error": "invalid_client"})
    http_server.routes[("GET", "/search.json")] = Response(401, {"error": 401})
    failed = poll_source(local_store, source_id)
    assert not failed.ok
    assert "check the client id and secret" in failed.message
    _, state, _ = state_of(local_store, source_id)
    assert not state.healthy
