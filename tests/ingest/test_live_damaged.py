"""Damaged platform answers: each JSON live connector polled from a real local HTTP server that serves its
documented payload (fixtures/live) with parts replaced — a string or a list where an object is, null, a
number for a date, a key dropped. A poll stores the whole answer, or fails with an error naming the answer,
the record and the field; never an unexpected AttributeError or TypeError, and what an earlier poll stored
(items and cursor) stays as it was."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.ingest.damage import DROP, damaged
from tests.ingest.live_support import item_count, local_store, payload, state_of
from tests.servers import HttpSink, Request, Response
from voxpop.ingest.live.replies import post_reply
from voxpop.ingest.live.scheduler import poll_source
from voxpop.ingest.live.service import add_source
from voxpop.store import Store
from voxpop.store.models import Item

__all__ = ["local_store"]

_names = itertools.count()
_KEY = ec.generate_private_key(ec.SECP256R1())
_PEM = _KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
FEED = "/us/rss/customerreviews/page={}/id=284882215/sortby=mostrecent/json"
ASC = "/v1/apps/284882215/customerReviews"
TP = "/v1/private/business-units/507f191e810c19729de860ea/reviews"
GBP = "/v4/accounts/111/locations/222/reviews"
TOKEN = {"access_token": "at-1", "expires_in": 3600}


@dataclass
class Platform:
    kind: str
    fixture: str
    paths: tuple[str, ...]
    end: Any  # the documented last page: what every later request gets
    config: Callable[[str], dict[str, Any]]
    credentials: dict[str, Any] = field(default_factory=dict)
    token_path: str | None = None


PLATFORMS = {
    p.kind: p
    for p in (
        Platform(
            "app_store_feed",
            "app_store_page1.json",
            tuple(FEED.format(n) for n in range(1, 11)),
            {"feed": {"entry": []}},
            lambda url: {"app_id": "284882215", "countries": "us", "base_url": url},
        ),
        Platform(
            "app_store_connect_api",
            "app_store_connect_page1.json",
            (ASC,),
            {"data": []},
            lambda url: {"app_id": "284882215", "key_id": "K1", "issuer_id": "I1", "api_base": url},
            {"private_key": _PEM},
        ),
        Platform(
            "trustpilot_api",
            "trustpilot_reviews.json",
            (TP,),
            {"reviews": [], "links": []},
            lambda url: {"business_unit_id": "507f191e810c19729de860ea", "api_base": url},
            {"api_key": "k-abcdefgh", "api_secret": "s-abcdefgh", "refresh_token": "rt-abcdefgh"},
            "/v1/oauth/oauth-business-users-for-applications/refresh",
        ),
        Platform(
            "google_business_api",
            "google_reviews_page1.json",
            (GBP,),
            {"reviews": []},
            lambda url: {"account_id": "111", "location_id": "222", "api_base": url, "token_url": f"{url}/token"},
            {"client_id": "cid", "client_secret": "csecret", "refresh_token": "rt-abcdefgh"},
            "/token",
        ),
        Platform(
            "reddit_search",
            "reddit_search.json",
            ("/search.json",),
            {"kind": "Listing", "data": {"children": []}},
            lambda url: {"query": "acme", "base_url": url},
        ),
    )
}


class Served:
    """What the local platform answers: the queued pages, one per request, then the documented last page."""

    def __init__(self, http_server: HttpSink, platform: Platform) -> None:
        self.platform = platform
        self.url = http_server.url
        self.pages: list[Any] = []
        for path in platform.paths:
            http_server.routes[("GET", path)] = self.answer
        if platform.token_path:
            http_server.routes[("POST", platform.token_path)] = Response(200, TOKEN)

    def documented(self) -> Any:
        text = json.dumps(payload(self.platform.fixture)).replace('"NEXT"', json.dumps(f"{self.url}{ASC}?cursor=Mg"))
        return json.loads(text)

    def answer(self, request: Request) -> Response:
        return Response(200, self.pages.pop(0) if self.pages else self.platform.end)


def _source(store: Store, served: Served) -> int:
    platform = served.platform
    with store.write() as session:
        source, _ = add_source(
            session,
            store.settings,
            name=f"{platform.kind} {next(_names)}",
            kind=platform.kind,
            config=platform.config(served.url),
            credentials=platform.credentials or None,
        )
        return source.id


def _poll_good_then(store: Store, served: Served, damaged: Any) -> tuple[int, Any, str]:
    """Poll the documented answer (stored), then ``damaged``; the second outcome, with what the first left."""
    source_id = _source(store, served)
    served.pages = [served.documented()]
    first = poll_source(store, source_id, pipeline=False)
    assert first.ok, first.message
    before, (_, state, _) = item_count(store), state_of(store, source_id)
    served.pages = [damaged]
    outcome = poll_source(store, source_id, pipeline=False)
    assert not outcome.message.startswith("unexpected error"), outcome.message
    source, after, _ = state_of(store, source_id)
    if outcome.ok:
        assert item_count(store) >= before
    else:  # nothing of the damaged answer is stored, and nothing stored before is lost
        assert item_count(store) == before
        assert after.cursor == state.cursor
        assert source.last_error == outcome.message
    return source_id, outcome.ok, outcome.message


# --- the property: any part of a documented answer replaced by any JSON value -------------------------

JSON_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
    st.sampled_from(["", "2025-03-01T10:00:00Z", "ONE", "five", "next-page", "customerReviews", "t3"]),
    st.lists(st.text(max_size=4), max_size=2),
    st.dictionaries(st.sampled_from(["label", "id", "data", "x"]), st.text(max_size=4), max_size=2),
    st.just(DROP),
)


PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)


@pytest.mark.parametrize("kind", sorted(PLATFORMS))
@PROPERTY
@given(data=st.data())
def test_a_damaged_answer_is_stored_whole_or_refused_by_name(
    local_store: Store, http_server: HttpSink, kind: str, data: st.DataObject
) -> None:
    served = Served(http_server, PLATFORMS[kind])
    _poll_good_then(local_store, served, damaged(served.documented(), data, JSON_VALUE))


# --- the shapes the property found, one by one ----------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[Any], None]:
    """Replace the node at a dotted path (``reviews.0.consumer``) of the answer."""

    def change(document: Any) -> None:
        *parents, last = (int(p) if p.isdigit() else p for p in path.split("."))
        node = document
        for step in parents:
            node = node[step]
        node[last] = value

    return change


DAMAGED = [
    ("app_store_feed", _set("feed.link.0.attributes", "last"), None),
    (
        "app_store_feed",
        _set("feed.entry.0.content.label", {"x": "1"}),
        "feed.entry[0] (id 11000000003), field 'content.label'",
    ),
    ("app_store_feed", _set("feed.entry.0.author", "Sam"), "feed.entry[0] (id 11000000003), field 'author'"),
    (
        "app_store_connect_api",
        _set("data.0.relationships.response", "resp-1"),
        "data[0] (id 00000026-5b1c-4f1a-9d1e-000000000001), field 'relationships.response'",
    ),
    (
        "app_store_connect_api",
        _set("data.0.relationships.response.data", "resp-1"),
        "field 'relationships.response.data'",
    ),
    ("app_store_connect_api", _set("included.0.attributes", "a reply"), "included[0] (id resp-1), field 'attributes'"),
    ("app_store_connect_api", _set("included.0.id", ["resp-1"]), "included[0], field 'id'"),
    ("app_store_connect_api", _set("included", 7), "field 'included': 7 is not a list"),
    ("app_store_connect_api", _set("links", "NEXT"), None),
    ("app_store_connect_api", _set("data.0.attributes.createdDate", 1740000000), "field 'attributes.createdDate'"),
    ("app_store_connect_api", _set("data.0.attributes.title", {"text": "x"}), "field 'attributes.title'"),
    (
        "trustpilot_api",
        _set("reviews.0.consumer", "Maria G."),
        "reviews[0] (id 5e3de1b45fb06f0001790b51), field 'consumer'",
    ),
    (
        "trustpilot_api",
        _set("reviews.1.companyReply", ["Thanks"]),
        "reviews[1] (id 5e3de1b45fb06f0001790b52), field 'companyReply'",
    ),
    ("trustpilot_api", _set("reviews.0.createdAt", 1740823965), "field 'createdAt': 1740823965 is not a time"),
    ("trustpilot_api", _set("reviews.0.language", {"code": "en"}), "field 'language'"),
    ("trustpilot_api", _set("links", 3), "'links' is not a list"),
    ("trustpilot_api", _set("reviews.0.stars", 7), "item 1 of 2 read (id 5e3de1b45fb06f0001790b51), field 'rating'"),
    ("google_business_api", _set("reviews.0.reviewer", "Priya N"), "reviews[0] (id AbFvOqk1), field 'reviewer'"),
    ("google_business_api", _set("reviews.0.reviewReply", "Sorry!"), "reviews[0] (id AbFvOqk1), field 'reviewReply'"),
    ("google_business_api", _set("reviews.1.starRating", ["FOUR"]), "reviews[1] (id AbFvOqk2), field 'starRating'"),
    ("google_business_api", _set("reviews.0.reviewer.displayName", 42.5), None),
    ("google_business_api", _set("reviews.0.reviewer.displayName", ["Priya"]), "field 'reviewer.displayName'"),
    ("google_business_api", _set("nextPageToken", {"t": "2"}), "nextPageToken"),
    ("reddit_search", _set("data.children.0.data", "a post"), "data.children[0], field 'data'"),
    ("reddit_search", _set("data.children.0.data.title", ["a"]), "data.children[0] (t3_1b2c3d), field 'data.title'"),
    ("reddit_search", _set("data.children.0.data.created_utc", 1e300), "field 'data.created_utc'"),
    (
        "reddit_search",
        _set("data.children.1.data.subreddit_name_prefixed", {"r": 1}),
        "field 'data.subreddit_name_prefixed'",
    ),
]


@pytest.mark.parametrize(("kind", "change", "expected"), DAMAGED, ids=lambda v: v if isinstance(v, str) else "")
def test_each_damaged_shape_is_named(
    local_store: Store, http_server: HttpSink, kind: str, change: Callable[[Any], None], expected: str | None
) -> None:
    """``expected`` None: the damage is in something voxpop can do without (a paging hint, a number for a
    name), and the poll goes on; otherwise it fails, naming the answer, the record and the field."""
    served = Served(http_server, PLATFORMS[kind])
    damaged = served.documented()
    change(damaged)
    _, ok, message = _poll_good_then(local_store, served, damaged)
    if expected is None:
        assert ok, message
    else:
        assert not ok
        assert expected in message
        assert message.startswith("http://127.0.0.1") or message.startswith("item ")


def test_damaged_answers_to_posted_replies_keep_the_reply(local_store: Store, http_server: HttpSink) -> None:
    """The platform accepted the reply but answered in a damaged shape: the reply counts as posted."""
    for kind, path, method, answer, external_id in (
        ("google_business_api", f"{GBP}/AbFvOqk1/reply", "PUT", {"comment": "x", "updateTime": "soon"}, "AbFvOqk1"),
        (
            "app_store_connect_api",
            "/v1/customerReviewResponses",
            "POST",
            {"data": "resp-9"},
            "00000026-5b1c-4f1a-9d1e-000000000002",
        ),
    ):
        served = Served(http_server, PLATFORMS[kind])
        served.pages = [served.documented()]
        assert poll_source(local_store, _source(local_store, served), pipeline=False).ok
        http_server.routes[(method, path)] = Response(201, answer)
        with local_store.read() as session:
            item = session.scalars(select(Item).where(Item.external_id == external_id)).first()
        assert item is not None
        posted = post_reply(local_store, item, "Thank you!")
        assert posted is not None
        assert posted.posted_at is not None
        assert http_server.requests[-1].path == path
