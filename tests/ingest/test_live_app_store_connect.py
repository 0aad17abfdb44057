"""App Store Connect: the server verifies the ES256 token for real, reviews and their responses are read
across pages, a refused key leaves nothing stored, and a response is posted in the documented shape."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from sqlalchemy import select

from tests.ingest.live_support import item_count, items, local_store, make_source, payload, state_of
from tests.servers import HttpSink, Request, Response
from voxpop.ingest.live.replies import post_reply
from voxpop.ingest.live.scheduler import poll_source
from voxpop.store import Store
from voxpop.store.models import Item

__all__ = ["local_store"]
REVIEWS = "/v1/apps/284882215/customerReviews"


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _verifier(public: ec.EllipticCurvePublicKey):  # type: ignore[no-untyped-def]
    def valid(request: Request) -> bool:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        try:
            head, claims, sig = token.split(".")
            raw = _b64decode(sig)
            der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        except (ValueError, InvalidSignature):
            return False
        header, body = json.loads(_b64decode(head)), json.loads(_b64decode(claims))
        return (
            header == {"alg": "ES256", "kid": "KEY123ABC", "typ": "JWT"}
            and body["iss"] == "57246542-96fe-1a63-e053-0824d011072a"
            and body["aud"] == "appstoreconnect-v1"
            and 0 < body["exp"] - body["iat"] <= 20 * 60
        )

    return valid


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _source(store: Store, http_server: HttpSink, key: ec.EllipticCurvePrivateKey, *, one_line: bool = False) -> int:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    if one_line:  # pasted into a one-line field
        pem = pem.replace("\n", " ")
    config = {
        "app_id": "284882215",
        "key_id": "KEY123ABC",
        "issuer_id": "57246542-96fe-1a63-e053-0824d011072a",
        "api_base": http_server.url,
    }
    return make_source(store, "app_store_connect_api", config, {"private_key": pem})


def _serve(http_server: HttpSink, key: ec.EllipticCurvePrivateKey) -> None:
    valid = _verifier(key.public_key())
    first = json.loads(
        json.dumps(payload("app_store_connect_page1.json")).replace("NEXT", f"{http_server.url}{REVIEWS}?cursor=Mg")
    )

    def reviews(request: Request) -> Response:
        if not valid(request):
            return Response(401, {"errors": [{"status": "401", "code": "NOT_AUTHORIZED"}]})
        return Response(200, payload("app_store_connect_page2.json") if "cursor=Mg" in request.path else first)

    http_server.routes[("GET", REVIEWS)] = reviews


@pytest.mark.parametrize("one_line", [False, True], ids=["pem", "pasted-one-line"])
def test_reads_reviews_and_responses(
    local_store: Store, http_server: HttpSink, key: ec.EllipticCurvePrivateKey, one_line: bool
) -> None:
    _serve(http_server, key)
    source_id = _source(local_store, http_server, key, one_line=one_line)
    outcome = poll_source(local_store, source_id)
    assert outcome.ok, outcome.message
    assert len(outcome.added_ids) == 3
    assert "include=response" in http_server.requests[0].path
    assert "sort=-createdDate" in http_server.requests[0].path
    stored = {i.external_id: i for i in items(local_store)}
    streak = stored["00000026-5b1c-4f1a-9d1e-000000000001"]
    assert streak.text == "The update wiped my 200-day streak. Please restore it."
    assert streak.title == "Lost my streak"
    assert streak.author_name == "runner42"
    assert streak.rating_raw == 1.0
    assert streak.location == "USA"
    assert streak.created_at == datetime(2025, 3, 2, 16, 15, tzinfo=UTC)
    assert streak.responded_at == datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
    assert streak.channel == "app_store"
    assert stored["00000026-5b1c-4f1a-9d1e-000000000002"].responded_at is None


def test_refused_key_stores_nothing(local_store: Store, http_server: HttpSink, key: ec.EllipticCurvePrivateKey) -> None:
    _serve(http_server, ec.generate_private_key(ec.SECP256R1()))  # the server knows another key
    source_id = _source(local_store, http_server, key)
    outcome = poll_source(local_store, source_id)
    assert not outcome.ok
    assert "refused the API key" in outcome.message
    assert item_count(local_store) == 0
    _, state, _ = state_of(local_store, source_id)
    assert not state.healthy


def test_bad_key_is_a_clear_error(local_store: Store, http_server: HttpSink) -> None:
    config = {"app_id": "1", "key_id": "K", "issuer_id": "I", "api_base": http_server.url}
    source_id = make_source(local_store, "app_store_connect_api", config, {"private_key": "not a key"})
    outcome = poll_source(local_store, source_id)
    assert not outcome.ok
    assert "not a valid .p8 key" in outcome.message
    assert http_server.requests == []


def test_next_link_to_another_host_is_refused(
    local_store: Store, http_server: HttpSink, key: ec.EllipticCurvePrivateKey
) -> None:
    page = json.loads(
        json.dumps(payload("app_store_connect_page1.json")).replace("NEXT", "http://169.254.169.254/latest")
    )
    http_server.routes[("GET", REVIEWS)] = Response(200, page)
    source_id = _source(local_store, http_server, key)
    outcome = poll_source(local_store, source_id)
    assert not outcome.ok
    assert "points away" in outcome.message
    assert item_count(local_store) == 0


def test_response_posted_in_documented_shape(
    local_store: Store, http_server: HttpSink, key: ec.EllipticCurvePrivateKey
) -> None:
    _serve(http_server, key)
    valid = _verifier(key.public_key())
    http_server.routes[("POST", "/v1/customerReviewResponses")] = lambda r: (
        Response(201, {"data": {"type": "customerReviewResponses", "id": "resp-9"}}) if valid(r) else Response(401, b"")
    )
    source_id = _source(local_store, http_server, key)
    assert poll_source(local_store, source_id).ok
    with local_store.read() as session:
        item = session.scalars(select(Item).where(Item.external_id == "00000026-5b1c-4f1a-9d1e-000000000002")).one()
    posted = post_reply(local_store, item, "Danke, Jonas!")
    assert posted is not None
    assert posted.reference == "resp-9"
    sent = http_server.requests[-1]
    assert sent.json() == {
        "data": {
            "type": "customerReviewResponses",
            "attributes": {"responseBody": "Danke, Jonas!"},
            "relationships": {
                "review": {"data": {"type": "customerReviews", "id": "00000026-5b1c-4f1a-9d1e-000000000002"}}
            },
        }
    }
