"""Google Business Profile reviews with the owner's OAuth credentials; replies posted back.

Documented in "Work with review data" (developers.google.com/my-business/content/review-data) and the v4
reference: ``GET https://mybusiness.googleapis.com/v4/accounts/{accountId}/locations/{locationId}/reviews``
(``pageSize`` ≤ 50, ``pageToken``, ``orderBy=updateTime desc``) → ``{"reviews": [{name, reviewId,
reviewer{displayName, profilePhotoUrl, isAnonymous}, starRating: "ONE"…"FIVE", comment, createTime,
updateTime, reviewReply{comment, updateTime}}], "averageRating", "totalReviewCount", "nextPageToken"}``;
reply: ``PUT …/reviews/{reviewId}/reply`` with ``{"comment": …}``. Tokens: Google's OAuth 2.0 token
endpoint, ``grant_type=refresh_token`` with the client id and secret.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.live import oauth
from voxpop.ingest.live.base import Field, LiveConnector, PollContext, PollResult, ReplyPosted
from voxpop.ingest.live.errors import PayloadError
from voxpop.ingest.live.http import Fetched
from voxpop.ingest.live.payload import Entry
from voxpop.ingest.records import ItemRecord, platform_key

STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
MAX_PAGES = 200


class GoogleBusinessApi(LiveConnector):
    name = "google_business_api"
    label = "Google Business Profile (owner API)"
    channel = "google"
    item_kind = "review"
    default_interval = 3600
    fields = (
        Field("account_id", "Account id", help="The number in accounts/{accountId}."),
        Field("location_id", "Location id", help="The number in locations/{locationId}."),
        Field("api_base", "API host", required=False, default="https://mybusiness.googleapis.com", url=True),
        Field("token_url", "Token endpoint", required=False, default="https://oauth2.googleapis.com/token", url=True),
        Field("client_id", "OAuth client id", secret=True),
        Field("client_secret", "OAuth client secret", secret=True),
        Field("refresh_token", "Refresh token", secret=True, help="With the business.manage scope."),
    )
    capabilities = Capabilities(
        reads=("reviews", "ratings", "replies", "edits"),
        history="all of the location's reviews, for its verified owner or manager (paged, 50 a page)",
        can_reply=True,
        needs_credentials=True,
        terms="Needs approved access to the Business Profile APIs and the owner's OAuth consent "
        "(business.manage). Without it: Google Takeout export, or the Places API (at most 5 reviews, no "
        "replies). The Q&A API was shut down in November 2025.",
        docs_url="https://developers.google.com/my-business/content/review-data",
    )

    def poll(self, ctx: PollContext) -> PollResult:
        base = ctx.url("api_base", "https://mybusiness.googleapis.com")
        path = f"/v4/accounts/{ctx.config['account_id']}/locations/{ctx.config['location_id']}/reviews"
        newest_seen = ctx.cursor.get("newest")
        records: list[ItemRecord] = []
        newest: str | None = None
        token: str | None = None
        for _ in range(MAX_PAGES):
            params = {"pageSize": 50, "orderBy": "updateTime desc", **({"pageToken": token} if token else {})}
            url = f"{base}{path}?{urlencode(params)}"
            answer = oauth.call(ctx, self.label, _refresh, _getter(ctx, url))
            data = answer.json()
            if not isinstance(data, dict) or not isinstance(data.get("reviews", []), list):
                raise PayloadError(f"{base}{path}: not a ListReviewsResponse (no 'reviews' list)")
            batch = [_record(r, f"{base}{path}", i) for i, r in enumerate(data.get("reviews", []))]
            if newest is None and batch:
                newest = max(r.raw["updateTime"] for r in batch)
            records.extend(batch)
            token = data.get("nextPageToken")
            if token is not None and not isinstance(token, str):
                raise PayloadError(f"{base}{path}: nextPageToken {token!r} is not text")
            if not token or (newest_seen and any(r.raw["updateTime"] <= newest_seen for r in batch)):
                break
        newest = newest or newest_seen
        return PollResult(records, {"newest": newest} if newest else {})

    def post_reply(self, ctx: PollContext, raw: dict[str, Any], external_id: str, text: str) -> ReplyPosted:
        base = ctx.url("api_base", "https://mybusiness.googleapis.com")
        name = raw.get("name") or (
            f"accounts/{ctx.config['account_id']}/locations/{ctx.config['location_id']}/reviews/{external_id}"
        )
        url = f"{base}/v4/{name}/reply"
        body = {"comment": text}
        answer = oauth.call(
            ctx, self.label, _refresh, lambda t: ctx.http.request("PUT", url, headers=_bearer(t), json=body)
        )
        data = answer.json()
        try:  # the reply is accepted: a damaged answer only loses its time
            posted = Entry(data, url).time("updateTime") or ctx.now
        except PayloadError:
            posted = ctx.now
        return ReplyPosted(platform="google", reference=str(name), posted_at=posted)


def _getter(ctx: PollContext, url: str) -> Callable[[str], Fetched]:
    def get(token: str) -> Fetched:
        return ctx.http.get(url, headers=_bearer(token))

    return get


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refresh(ctx: PollContext) -> Fetched:
    url = ctx.url("token_url", "https://oauth2.googleapis.com/token")
    creds = ctx.credentials
    return ctx.http.request(
        "POST",
        url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": str(creds.get("refresh_token", "")),
            "client_id": str(creds.get("client_id", "")),
            "client_secret": str(creds.get("client_secret", "")),
        },
    )


def _record(obj: Any, url: str, index: int) -> ItemRecord:
    review = Entry.at(obj, url, f"reviews[{index}]", "reviewId")
    review_id = str(review.text("reviewId", required=True))
    star = review.data.get("starRating")
    if not isinstance(star, str) or star not in STARS:
        raise review.error("starRating", f"{star!r} is not ONE…FIVE")
    created = review.time("createTime", required=True)
    updated = review.time("updateTime")
    reply = review.section("reviewReply")
    reviewer = review.section("reviewer")
    raw = {**review.data, "updateTime": review.data.get("updateTime") or review.data["createTime"]}
    return ItemRecord(
        text=review.text("comment") or "",  # a rating without text stays without text
        created_at=created,
        edited_at=updated,
        external_id=review_id,
        kind="review",
        author_name=None if reviewer.data.get("isAnonymous") is True else reviewer.text("displayName"),
        rating=STARS[star],
        rating_min=1,
        rating_max=5,
        reply_text=reply.text("comment"),
        replied_at=reply.time("updateTime"),
        platform_key=platform_key("google", review_id),
        raw=raw,
    )
