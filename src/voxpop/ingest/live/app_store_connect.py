"""App Store Connect customer reviews with the owner's API key (a signed JWT); responses posted back.

Documented in Apple's App Store Connect API reference: "Generating tokens for API requests" (an ES256 JWT
with ``kid`` = key id, ``iss`` = issuer id, ``aud`` = ``appstoreconnect-v1``, at most 20 minutes long);
"List all customer reviews for an app" — ``GET /v1/apps/{id}/customerReviews?sort=-createdDate&include=response``
→ ``{"data": [{type: "customerReviews", id, attributes{rating, title, body, reviewerNickname, createdDate,
territory}, relationships{response{data{id}}}}], "included": [{type: "customerReviewResponses", id,
attributes{responseBody, lastModifiedDate, state}}], "links": {"next"}}``; and "Create or update a response
to a customer review" — ``POST /v1/customerReviewResponses`` with ``CustomerReviewResponseV1CreateRequest``.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.live.base import Field, LiveConnector, PollContext, PollResult, ReplyPosted
from voxpop.ingest.live.errors import PayloadError, SourceError
from voxpop.ingest.live.payload import Entry
from voxpop.ingest.records import ItemRecord, platform_key

BASE = "https://api.appstoreconnect.apple.com"
MAX_PAGES = 100
TOKEN_SECONDS = 15 * 60


class AppStoreConnectApi(LiveConnector):
    name = "app_store_connect_api"
    label = "App Store Connect (owner API)"
    channel = "app_store"
    item_kind = "review"
    default_interval = 3600
    fields = (
        Field("app_id", "Apple app id", help="The number in the app's App Store URL."),
        Field("key_id", "API key id"),
        Field("issuer_id", "Issuer id"),
        Field("api_base", "API host", required=False, default=BASE, url=True),
        Field("private_key", "Private key (.p8 contents)", secret=True),
    )
    capabilities = Capabilities(
        reads=("reviews", "ratings", "titles", "territories", "your responses"),
        history="all of the app's customer reviews, in every territory (paged, 200 a page)",
        can_reply=True,
        needs_credentials=True,
        terms="Needs an App Store Connect API key of the app's team (Customer Support role or higher); "
        "responses are public and appear on the App Store after Apple's review.",
        docs_url="https://developer.apple.com/documentation/appstoreconnectapi/customer-reviews",
    )

    def poll(self, ctx: PollContext) -> PollResult:
        base = ctx.url("api_base", BASE)
        headers = _auth(ctx)
        newest_seen = ctx.cursor.get("newest")
        url: str | None = (
            f"{base}/v1/apps/{ctx.config['app_id']}/customerReviews?sort=-createdDate&limit=200&include=response"
        )
        records: list[ItemRecord] = []
        newest: str | None = None
        for _ in range(MAX_PAGES):
            if url is None:
                break
            page = _get(ctx, url, headers)
            batch = _records(page, url)
            if newest is None and batch:
                newest = max(r.raw["attributes"]["createdDate"] for r in batch)
            records.extend(batch)
            if newest_seen and any(r.raw["attributes"]["createdDate"] <= newest_seen for r in batch):
                break
            url = _next(page, base)
        newest = newest or newest_seen
        return PollResult(records, {"newest": newest} if newest else {})

    def post_reply(self, ctx: PollContext, raw: dict[str, Any], external_id: str, text: str) -> ReplyPosted:
        base = ctx.url("api_base", BASE)
        body = {
            "data": {
                "type": "customerReviewResponses",
                "attributes": {"responseBody": text},
                "relationships": {"review": {"data": {"type": "customerReviews", "id": external_id}}},
            }
        }
        answer = ctx.http.request("POST", f"{base}/v1/customerReviewResponses", headers=_auth(ctx), json=body)
        data = answer.json() if answer.body else {}
        created = data.get("data") if isinstance(data, dict) else None  # accepted: a damaged answer loses only the id
        reference = created.get("id") if isinstance(created, dict) and isinstance(created.get("id"), str) else None
        return ReplyPosted(platform="app_store", reference=reference, posted_at=ctx.now)


def _get(ctx: PollContext, url: str, headers: dict[str, str]) -> dict[str, Any]:
    from voxpop.ingest.live.errors import AuthExpiredError

    try:
        data = ctx.http.get(url, headers=headers).json()
    except AuthExpiredError as exc:
        raise SourceError(f"App Store Connect refused the API key (check key id, issuer id and key): {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise PayloadError(f"{url.split('?')[0]}: no 'data' list — not a customer reviews response")
    return data


def _records(page: dict[str, Any], url: str) -> list[ItemRecord]:
    short = url.split("?")[0]
    answer = Entry(page, short)
    responses: dict[str, Entry] = {}
    for index, obj in enumerate(answer.entries("included")):
        entry = Entry.at(obj, short, f"included[{index}]", "id")
        if entry.data.get("type") == "customerReviewResponses" and entry.text("id"):
            responses[str(entry.text("id"))] = entry.section("attributes")
    out: list[ItemRecord] = []
    for index, obj in enumerate(page["data"]):
        review = Entry.at(obj, short, f"data[{index}]", "id")
        if review.data.get("type") != "customerReviews":
            raise review.error("type", f"{review.data.get('type')!r} is not customerReviews")
        review_id = str(review.text("id", required=True))
        attrs = review.section("attributes")
        rating = attrs.number("rating", required=True)
        created = attrs.time("createdDate", required=True)
        link = review.section("relationships").section("response").section("data").text("id")
        response = responses.get(link) if link else None
        text = attrs.text("body") or attrs.text("title")
        if not text:
            raise review.error("attributes.body", "is empty (and so is the title)")
        out.append(
            ItemRecord(
                text=text,
                created_at=created,
                external_id=review_id,
                kind="review",
                title=attrs.text("title"),
                author_name=attrs.text("reviewerNickname"),
                rating=rating,
                rating_min=1,
                rating_max=5,
                location=attrs.text("territory"),
                reply_text=response.text("responseBody") if response else None,
                replied_at=response.time("lastModifiedDate") if response else None,
                platform_key=platform_key("app_store_connect", review_id),
                raw=review.data,
            )
        )
    return out


def _next(page: dict[str, Any], base: str) -> str | None:
    """The next page's URL — only on the configured host (a payload must not send voxpop elsewhere)."""
    link = page.get("links")
    link = link.get("next") if isinstance(link, dict) else None
    if not isinstance(link, str) or not link:
        return None
    if urlsplit(link).netloc != urlsplit(base).netloc:
        raise PayloadError(f"the next-page link points away from {urlsplit(base).netloc}")
    return link


def _auth(ctx: PollContext) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(ctx.config, ctx.credentials)}"}


def make_token(config: dict[str, Any], credentials: dict[str, Any], *, now: float | None = None) -> str:
    """An App Store Connect API token: an ES256-signed JWT, valid for 15 minutes."""
    key = _private_key(str(credentials.get("private_key") or ""))
    issued = int(time.time() if now is None else now)
    header = {"alg": "ES256", "kid": str(config["key_id"]), "typ": "JWT"}
    claims = {
        "iss": str(config["issuer_id"]),
        "iat": issued,
        "exp": issued + TOKEN_SECONDS,
        "aud": "appstoreconnect-v1",
    }
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(claims, separators=(",", ":")).encode())
    )
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def _private_key(pem: str) -> ec.EllipticCurvePrivateKey:
    """The .p8 key; a key pasted into a one-line field (newlines turned to spaces) is re-wrapped."""
    body = re.sub(r"-----(BEGIN|END) PRIVATE KEY-----", "", pem)
    body = "".join(body.split())
    wrapped = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    try:
        key = serialization.load_pem_private_key(
            f"-----BEGIN PRIVATE KEY-----\n{wrapped}\n-----END PRIVATE KEY-----\n".encode(), password=None
        )
    except (ValueError, TypeError):
        raise SourceError("App Store Connect: the private key is not a valid .p8 key; enter it again") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise SourceError("App Store Connect: the private key must be the P-256 (.p8) key Apple issued")
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
