"""Trustpilot and Google Business Profile with OAuth2: token refresh (working and refused), paging, every
mapped field, and posting a reply back with each API's documented request shape — against a real local
HTTP server playing the platform (payloads from the documents named in fixtures/live/README.md)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from tests.ingest.live_support import item_count, items, local_store, make_source, payload, state_of
from tests.servers import HttpSink, Request, Response
from voxpop.ingest.live.credentials import unseal
from voxpop.ingest.live.errors import SourceError
from voxpop.ingest.live.replies import can_post_reply, post_reply
from voxpop.ingest.live.scheduler import poll_source
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.models.sources import SourceState

__all__ = ["local_store"]

UNIT = "507f191e810c19729de860ea"
TP_REVIEWS = f"/v1/private/business-units/{UNIT}/reviews"
TP_REFRESH = "/v1/oauth/oauth-business-users-for-applications/refresh"
GBP_REVIEWS = "/v4/accounts/111/locations/222/reviews"
TP_CREDS = {"api_key": "key-abcdefgh1234", "api_secret": "secret-abcdefgh5678", "refresh_token": "rt-old-abcdefgh9999"}
GBP_CREDS = {
    "client_id": "cid-1.apps.example",
    "client_secret": "csecret-abcdef12",
    "refresh_token": "1//rt-google-abcd",
}


def _trustpilot(local_store: Store, http_server: HttpSink) -> int:
    return make_source(
        local_store,
        "trustpilot_api",
        {"business_unit_id": UNIT, "business_user_id": "bu-789", "api_base": http_server.url},
        TP_CREDS,
    )


def _bearer_only(token: str, body: object) -> object:
    def answer(request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {token}":
            return Response(401, {"fault": {"faultstring": "Invalid Access Token"}})
        if "page=2" in request.path:  # the documented end of the list: no reviews, no next-page link
            return Response(200, {"reviews": [], "links": []})
        return Response(200, body)  # type: ignore[arg-type]

    return answer


def test_trustpilot_refreshes_then_reads_every_field(local_store: Store, http_server: HttpSink) -> None:
    http_server.routes[("POST", TP_REFRESH)] = Response(
        200, {"access_token": "at-new-1", "refresh_token": "rt-rotated-abcd7777", "expires_in": "359999"}
    )
    http_server.routes[("GET", TP_REVIEWS)] = _bearer_only("at-new-1", payload("trustpilot_reviews.json"))  # type: ignore[assignment]
    source_id = _trustpilot(local_store, http_server)

    outcome = poll_source(local_store, source_id)
    assert outcome.ok, outcome.message
    refresh = http_server.requests[0]
    assert refresh.path == TP_REFRESH
    basic = base64.b64decode(refresh.headers["Authorization"].removeprefix("Basic ")).decode()
    assert basic == "key-abcdefgh1234:secret-abcdefgh5678"
    assert parse_qs(refresh.body.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["rt-old-abcdefgh9999"],
    }
    listing = http_server.requests[1]
    assert "perPage=100" in listing.path
    assert "orderBy=createdat.desc" in listing.path

    stored = {i.external_id: i for i in items(local_store)}
    late = stored["5e3de1b45fb06f0001790b51"]
    assert late.text == "My parcel arrived five days late and nobody answered my e-mails."
    assert late.title == "Late delivery"
    assert (late.rating_raw, late.rating) == (2.0, 0.25)
    assert late.author_name == "Maria G."
    assert late.author_handle == "5e3de0c05fb06f0001790a11"
    assert late.language == "en"
    assert late.created_at == datetime(2025, 3, 1, 10, 12, 45, tzinfo=UTC)
    assert late.channel == "trustpilot"
    assert late.url == "https://www.trustpilot.com/reviews/5e3de1b45fb06f0001790b51"
    assert late.raw["referenceId"] == "order-1001"
    great = stored["5e3de1b45fb06f0001790b52"]
    assert great.responded_at == datetime(2025, 2, 28, 12, 0, tzinfo=UTC)  # the existing reply, imported

    _, state, _ = state_of(local_store, source_id)
    creds = unseal(local_store.settings, state.credentials)
    assert creds["access_token"] == "at-new-1"
    assert creds["refresh_token"] == "rt-rotated-abcd7777"
    assert "at-new-1" not in (state.credentials or "")

    # The fresh token is reused: the next poll makes no refresh call.
    http_server.requests.clear()
    assert poll_source(local_store, source_id).ok
    assert [r.path.split("?")[0] for r in http_server.requests] == [TP_REVIEWS]


def test_trustpilot_expired_token_is_refreshed_on_401(local_store: Store, http_server: HttpSink) -> None:
    source_id = _trustpilot(local_store, http_server)
    with local_store.write() as session:  # a token voxpop believes fresh, which the platform has revoked
        from voxpop.ingest.live.credentials import seal

        state = session.get(SourceState, source_id)
        assert state is not None
        future = (datetime.now(UTC) + timedelta(hours=5)).isoformat()
        state.credentials = seal(local_store.settings, {**TP_CREDS, "access_token": "at-stale", "expires_at": future})
    http_server.routes[("POST", TP_REFRESH)] = Response(200, {"access_token": "at-2", "expires_in": 359999})
    http_server.routes[("GET", TP_REVIEWS)] = _bearer_only("at-2", payload("trustpilot_reviews.json"))  # type: ignore[assignment]
    outcome = poll_source(local_store, source_id)
    assert outcome.ok, outcome.message
    # 401 → refresh → page 1 again → page 2 (the empty end of the list)
    assert [r.path.split("?")[0] for r in http_server.requests] == [TP_REVIEWS, TP_REFRESH, TP_REVIEWS, TP_REVIEWS]
    assert len(outcome.added_ids) == 2


def test_refused_refresh_marks_unhealthy_and_stores_nothing(local_store: Store, http_server: HttpSink) -> None:
    http_server.routes[("POST", TP_REFRESH)] = Response(
        400, {"error": "invalid_grant", "error_description": "refresh token expired"}
    )
    http_server.routes[("GET", TP_REVIEWS)] = Response(200, payload("trustpilot_reviews.json"))
    source_id = _trustpilot(local_store, http_server)
    outcome = poll_source(local_store, source_id)
    assert not outcome.ok
    assert "refreshing the access token failed" in outcome.message
    assert "connect the account again" in outcome.message
    assert "HTTP 400" in outcome.message
    assert "rt-old-abcdefgh9999" not in outcome.message
    assert "secret-abcdefgh5678" not in outcome.message
    assert item_count(local_store) == 0
    assert all(r.path.split("?")[0] != TP_REVIEWS for r in http_server.requests)
    source, state, _ = state_of(local_store, source_id)
    assert not state.healthy
    assert source.last_error == outcome.message


def test_trustpilot_reply_posted_with_documented_shape(local_store: Store, http_server: HttpSink) -> None:
    http_server.routes[("POST", TP_REFRESH)] = Response(200, {"access_token": "at-r", "expires_in": 359999})
    http_server.routes[("GET", TP_REVIEWS)] = Response(200, payload("trustpilot_reviews.json"))
    review = "5e3de1b45fb06f0001790b51"
    http_server.routes[("POST", f"/v1/private/reviews/{review}/reply")] = Response(201, b"")
    source_id = _trustpilot(local_store, http_server)
    assert poll_source(local_store, source_id).ok
    with local_store.read() as session:
        item = session.scalars(select(Item).where(Item.external_id == review)).one()
    assert can_post_reply(local_store, item)
    posted = post_reply(local_store, item, "We are sorry, Maria — we have written to you.")
    assert posted is not None
    assert posted.platform == "trustpilot"
    sent = http_server.requests[-1]
    assert sent.path == f"/v1/private/reviews/{review}/reply"
    assert sent.headers["Authorization"] == "Bearer at-r"
    assert sent.json() == {"authorBusinessUserId": "bu-789", "message": "We are sorry, Maria — we have written to you."}


def test_reply_refused_by_platform_raises(local_store: Store, http_server: HttpSink) -> None:
    http_server.routes[("POST", TP_REFRESH)] = Response(200, {"access_token": "at-r", "expires_in": 359999})
    http_server.routes[("GET", TP_REVIEWS)] = Response(200, payload("trustpilot_reviews.json"))
    http_server.routes[("POST", "/v1/private/reviews/5e3de1b45fb06f0001790b51/reply")] = Response(
        403, {"message": "Business user is not allowed to reply"}
    )
    source_id = _trustpilot(local_store, http_server)
    assert poll_source(local_store, source_id).ok
    with local_store.read() as session:
        item = session.scalars(select(Item).where(Item.external_id == "5e3de1b45fb06f0001790b51")).one()
    with pytest.raises(SourceError, match="HTTP 403"):
        post_reply(local_store, item, "Thanks")


def _google(local_store: Store, http_server: HttpSink) -> int:
    return make_source(
        local_store,
        "google_business_api",
        {
            "account_id": "111",
            "location_id": "222",
            "api_base": http_server.url,
            "token_url": f"{http_server.url}/token",
        },
        GBP_CREDS,
    )


def test_google_business_pages_maps_and_replies(local_store: Store, http_server: HttpSink) -> None:
    http_server.routes[("POST", "/token")] = Response(
        200, {"access_token": "ya29.g", "expires_in": 3599, "token_type": "Bearer"}
    )

    def reviews(request: Request) -> Response:
        if request.headers.get("Authorization") != "Bearer ya29.g":
            return Response(401, {"error": {"code": 401, "status": "UNAUTHENTICATED"}})
        page = "google_reviews_page2.json" if "pageToken=page-2-token" in request.path else "google_reviews_page1.json"
        return Response(200, payload(page))

    http_server.routes[("GET", GBP_REVIEWS)] = reviews
    source_id = _google(local_store, http_server)
    outcome = poll_source(local_store, source_id)
    assert outcome.ok, outcome.message
    token_call = http_server.requests[0]
    assert parse_qs(token_call.body.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["1//rt-google-abcd"],
        "client_id": ["cid-1.apps.example"],
        "client_secret": ["csecret-abcdef12"],
    }
    assert len(outcome.added_ids) == 3
    stored = {i.external_id: i for i in items(local_store)}
    cold = stored["AbFvOqk1"]
    assert (cold.text, cold.rating_raw, cold.author_name) == ("Cold food and a 40 minute wait.", 1.0, "Priya N")
    assert cold.created_at == datetime(2025, 3, 1, 19, 2, 11, 123456, tzinfo=UTC)
    assert cold.channel == "google"
    assert cold.responded_at is None
    anonymous = stored["AbFvOqk2"]
    assert anonymous.author_name is None
    assert anonymous.rating_raw == 4.0
    assert anonymous.text == ""  # a rating without text: no invented text
    tacos = stored["AbFvOqk3"]
    assert tacos.responded_at == datetime(2025, 2, 21, 10, 0, tzinfo=UTC)

    http_server.routes[("PUT", f"{GBP_REVIEWS}/AbFvOqk1/reply")] = Response(
        200, {"comment": "x", "updateTime": "2025-03-02T08:00:00Z"}
    )
    with local_store.read() as session:
        item = session.scalars(select(Item).where(Item.external_id == "AbFvOqk1")).one()
    posted = post_reply(local_store, item, "So sorry, Priya. Please write to us at hello@example.com.")
    assert posted is not None
    assert posted.reference == "accounts/111/locations/222/reviews/AbFvOqk1"
    assert posted.posted_at == datetime(2025, 3, 2, 8, 0, tzinfo=UTC)
    sent = http_server.requests[-1]
    assert (sent.method, sent.path) == ("PUT", f"{GBP_REVIEWS}/AbFvOqk1/reply")
    assert sent.headers["Authorization"] == "Bearer ya29.g"
    assert sent.json() == {"comment": "So sorry, Priya. Please write to us at hello@example.com."}


def test_google_refresh_refused(local_store: Store, http_server: HttpSink) -> None:
    http_server.routes[("POST", "/token")] = Response(
        400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    )
    source_id = _google(local_store, http_server)
    outcome = poll_source(local_store, source_id)
    assert not outcome.ok
    assert "invalid_grant" in outcome.message
    assert "connect the account again" in outcome.message
    assert item_count(local_store) == 0
    _, state, _ = state_of(local_store, source_id)
    assert not state.healthy


def test_files_and_feeds_cannot_post(local_store: Store, http_server: HttpSink) -> None:
    from tests.ingest.live_support import FIXTURES

    http_server.routes[("GET", "/feed.xml")] = Response(200, (FIXTURES / "feed.rss").read_bytes())
    source_id = make_source(local_store, "rss", {"url": f"{http_server.url}/feed.xml"})
    assert poll_source(local_store, source_id).ok
    item = items(local_store)[0]
    assert post_reply(local_store, item, "hello") is None


def test_review_edited_on_platform_updates_in_place(local_store: Store, http_server: HttpSink) -> None:
    http_server.routes[("POST", "/token")] = Response(200, {"access_token": "ya29.g", "expires_in": 3599})
    first = payload("google_reviews_page2.json")
    http_server.routes[("GET", GBP_REVIEWS)] = Response(200, first)
    source_id = _google(local_store, http_server)
    assert poll_source(local_store, source_id).ok
    edited = json.loads(json.dumps(first))
    edited["reviews"][0].update(
        {"comment": "Best tacos in town. The salsa is even better now.", "updateTime": "2025-03-05T09:00:00Z"}
    )
    http_server.routes[("GET", GBP_REVIEWS)] = Response(200, edited)
    outcome = poll_source(local_store, source_id)
    assert outcome.ok, outcome.message
    assert outcome.added_ids == []
    assert len(outcome.updated_ids) == 1
    assert item_count(local_store) == 1
    (item,) = items(local_store)
    assert item.id == outcome.updated_ids[0]
    assert item.text == "Best tacos in town. The salsa is even better now."
    _, _, events = state_of(local_store, source_id)
    assert events[-1].updated == 1


def test_failure_on_a_later_page_stores_nothing(local_store: Store, http_server: HttpSink) -> None:
    http_server.routes[("POST", "/token")] = Response(200, {"access_token": "ya29.g", "expires_in": 3599})

    def reviews(request: Request) -> Response:
        if "pageToken=page-2-token" in request.path:
            return Response(503, b"backend unavailable", {"Retry-After": "30"})
        return Response(200, payload("google_reviews_page1.json"))

    http_server.routes[("GET", GBP_REVIEWS)] = reviews
    source_id = _google(local_store, http_server)
    outcome = poll_source(local_store, source_id)
    assert not outcome.ok
    assert "HTTP 503" in outcome.message
    assert item_count(local_store) == 0  # page 1 was read, but a poll is stored whole or not at all
    _, state, _ = state_of(local_store, source_id)
    assert not state.healthy
    assert state.cursor == {}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (Response(429, {"message": "Too many requests"}, {"Retry-After": "3600"}), "HTTP 429"),
        (Response(500, b"oops"), "HTTP 500"),
        (Response(200, b"{not json"), "did not answer JSON"),
        (Response(200, {"reviews": [{"id": "x", "stars": "five?"}]}), "reviews[0] (id x), field 'createdAt'"),
        (Response(200, b"{}", delay=2.0), "timeout"),
    ],
    ids=["429", "500", "not-json", "bad-review", "timeout"],
)
def test_trustpilot_failures(
    local_store: Store, http_server: HttpSink, answer: Response, expected: str, caplog: pytest.LogCaptureFixture
) -> None:
    http_server.routes[("POST", TP_REFRESH)] = Response(200, {"access_token": "at-1", "expires_in": 359999})
    http_server.routes[("GET", TP_REVIEWS)] = answer
    source_id = _trustpilot(local_store, http_server)
    outcome = poll_source(local_store, source_id, timeout=0.5)
    assert not outcome.ok
    assert expected in outcome.message
    assert item_count(local_store) == 0
    source, state, _ = state_of(local_store, source_id)
    assert not state.healthy
    assert source.last_error == outcome.message
    if expected == "HTTP 429":
        assert state.next_poll_at is not None
        assert state.next_poll_at >= datetime.now(UTC) + timedelta(minutes=59)
    for secret in (*TP_CREDS.values(), "at-1"):
        assert secret not in caplog.text
        assert secret not in outcome.message


def test_replies_send_hook_posts_through_the_connector(local_store: Store, http_server: HttpSink) -> None:
    """The replies area's ``post_reply`` hook reaches the platform for live sources that can post (the
    poster is found in the connector registry: nothing to register first)."""
    from voxpop.act.replies import posting

    http_server.routes[("POST", TP_REFRESH)] = Response(200, {"access_token": "at-r", "expires_in": 359999})
    http_server.routes[("GET", TP_REVIEWS)] = Response(200, payload("trustpilot_reviews.json"))
    review = "5e3de1b45fb06f0001790b51"
    http_server.routes[("POST", f"/v1/private/reviews/{review}/reply")] = Response(201, b"")
    source_id = _trustpilot(local_store, http_server)
    assert poll_source(local_store, source_id).ok
    with local_store.read() as session:
        item = session.scalars(select(Item).where(Item.external_id == review)).one()
    result = posting.post_reply(local_store, item, "Sorry, Maria.")
    assert result is not None
    assert result.posted is True
    assert result.external_id == review
    assert http_server.requests[-1].json()["message"] == "Sorry, Maria."

    http_server.routes[("POST", f"/v1/private/reviews/{review}/reply")] = Response(403, {"message": "not allowed"})
    refused = posting.post_reply(local_store, item, "Again")
    assert refused is not None
    assert refused.posted is False
    assert "HTTP 403" in (refused.error or "")


def test_same_review_by_export_and_by_api_is_one_item(local_store: Store, http_server: HttpSink) -> None:
    """A Google review imported from a file, then polled from the API, stays one item (same platform key)."""
    from tests.ingest.live_support import FIXTURES
    from voxpop.ingest.service import ImportOptions, import_file

    summary = import_file(local_store, FIXTURES / "google_reviews_page1.json", ImportOptions(source="GBP export"))
    assert summary.format == "google_business"
    with local_store.read() as session:
        exported = session.scalars(select(Item).where(Item.external_id == "AbFvOqk1")).one()
    http_server.routes[("POST", "/token")] = Response(200, {"access_token": "ya29.g", "expires_in": 3599})

    def reviews(request: Request) -> Response:
        page = "google_reviews_page2.json" if "pageToken=page-2-token" in request.path else "google_reviews_page1.json"
        return Response(200, payload(page))

    http_server.routes[("GET", GBP_REVIEWS)] = reviews
    source_id = _google(local_store, http_server)
    outcome = poll_source(local_store, source_id)
    assert outcome.ok, outcome.message
    with local_store.read() as session:
        same = list(session.scalars(select(Item).where(Item.external_id == "AbFvOqk1")))
        tacos = list(session.scalars(select(Item).where(Item.external_id == "AbFvOqk3")))
    assert [i.id for i in same] == [exported.id]  # not a second item
    assert exported.id not in outcome.added_ids
    assert len(tacos) == 1  # only on the API's second page: added
    assert tacos[0].id in outcome.added_ids
