"""Trustpilot service reviews through the Business API, with the owner's OAuth credentials; replies posted.

Documented at developers.trustpilot.com:
- token refresh: ``POST /v1/oauth/oauth-business-users-for-applications/refresh`` with HTTP Basic
  ``API key:API secret`` and ``grant_type=refresh_token&refresh_token=…`` → ``access_token``,
  ``refresh_token``, ``expires_in`` (access tokens live 100 hours, refresh tokens 30 days);
- reviews: ``GET /v1/private/business-units/{businessUnitId}/reviews?perPage=100&page=N&orderBy=createdat.desc``
  → ``{"reviews": [{id, stars, title, text, language, createdAt, updatedAt, consumer{id, displayName},
  companyReply{text, createdAt}, location}], "links": [{rel: "next-page", href}]}``;
- reply: ``POST /v1/private/reviews/{reviewId}/reply`` with ``{"authorBusinessUserId", "message"}`` → 201.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.live import oauth
from voxpop.ingest.live.base import Field, LiveConnector, PollContext, PollResult, ReplyPosted
from voxpop.ingest.live.errors import PayloadError, SourceError
from voxpop.ingest.live.http import Fetched
from voxpop.ingest.live.payload import Entry
from voxpop.ingest.records import ItemRecord, platform_key

MAX_PAGES = 50


class TrustpilotApi(LiveConnector):
    name = "trustpilot_api"
    label = "Trustpilot (Business API)"
    channel = "trustpilot"
    item_kind = "review"
    default_interval = 3600
    fields = (
        Field("business_unit_id", "Business unit id"),
        Field("business_user_id", "Business user id (author of replies)", required=False),
        Field("api_base", "API host", required=False, default="https://api.trustpilot.com", url=True),
        Field("api_key", "API key", secret=True),
        Field("api_secret", "API secret", secret=True),
        Field("refresh_token", "Refresh token", secret=True),
    )
    capabilities = Capabilities(
        reads=("reviews", "ratings", "titles", "replies", "edits", "languages"),
        history="all of the business unit's service reviews (paged, 100 a page)",
        can_reply=True,
        needs_credentials=True,
        terms="Needs a Trustpilot Business plan with API access and the owner's OAuth consent; the API is for "
        "the business's own reviews. Replies are posted as the configured business user.",
        docs_url="https://developers.trustpilot.com/business-units-api",
    )

    def poll(self, ctx: PollContext) -> PollResult:
        base = ctx.url("api_base", "https://api.trustpilot.com")
        unit = str(ctx.config["business_unit_id"])
        newest_seen = ctx.cursor.get("newest")
        records: list[ItemRecord] = []
        newest: str | None = None
        seen: set[str | None] = set()
        for page in range(1, MAX_PAGES + 1):
            query = urlencode({"perPage": 100, "page": page, "orderBy": "createdat.desc"})
            url = f"{base}/v1/private/business-units/{unit}/reviews?{query}"
            data = oauth.call(ctx, self.label, _refresh, _getter(ctx, url))
            page_data = data.json()
            reviews = page_data.get("reviews") if isinstance(page_data, dict) else None
            if not isinstance(reviews, list):
                raise PayloadError(f"{base}/v1/private/business-units/{unit}/reviews: no 'reviews' list")
            batch = [_record(r, url, i) for i, r in enumerate(reviews)]
            if batch and all(r.external_id in seen for r in batch):
                break  # the platform served a page again: stop rather than loop
            seen.update(r.external_id for r in batch)
            if newest is None and batch:
                newest = max(r.raw["createdAt"] for r in batch)
            records.extend(batch)
            reached = newest_seen is not None and any(r.raw["createdAt"] <= newest_seen for r in batch)
            links = page_data.get("links") or []
            if not isinstance(links, list):
                raise PayloadError(f"{base}/v1/private/business-units/{unit}/reviews: 'links' is not a list")
            has_next = any(isinstance(link, dict) and link.get("rel") == "next-page" for link in links)
            if reached or not has_next or not reviews:
                break
        return PollResult(records, {"newest": newest or newest_seen} if (newest or newest_seen) else {})

    def post_reply(self, ctx: PollContext, raw: dict[str, Any], external_id: str, text: str) -> ReplyPosted:
        author = ctx.config.get("business_user_id")
        if not author:
            raise SourceError(f"{self.label}: set the business user id (the replies' author) to post replies")
        base = ctx.url("api_base", "https://api.trustpilot.com")
        url = f"{base}/v1/private/reviews/{external_id}/reply"
        body = {"authorBusinessUserId": str(author), "message": text}
        oauth.call(
            ctx, self.label, _refresh, lambda token: ctx.http.request("POST", url, headers=_bearer(token), json=body)
        )
        return ReplyPosted(platform="trustpilot", reference=external_id, posted_at=ctx.now)


def _getter(ctx: PollContext, url: str) -> Callable[[str], Fetched]:
    def get(token: str) -> Fetched:
        return ctx.http.get(url, headers=_bearer(token))

    return get


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def _refresh(ctx: PollContext) -> Fetched:
    base = ctx.url("api_base", "https://api.trustpilot.com")
    creds = ctx.credentials
    if not creds.get("api_key") or not creds.get("api_secret"):
        raise SourceError("Trustpilot: the API key and secret are missing; enter them again")
    return ctx.http.request(
        "POST",
        f"{base}/v1/oauth/oauth-business-users-for-applications/refresh",
        auth=(str(creds["api_key"]), str(creds["api_secret"])),
        data={"grant_type": "refresh_token", "refresh_token": str(creds["refresh_token"])},
    )


def _record(obj: Any, url: str, index: int) -> ItemRecord:
    review = Entry.at(obj, url, f"reviews[{index}]", "id")
    review_id = str(review.text("id", required=True))
    created = review.time("createdAt", required=True)
    updated = review.time("updatedAt")
    stars = review.number("stars", required=True)
    reply = review.section("companyReply")
    text = review.text("text") or review.text("title")
    if not text:
        raise review.error("text", "is empty (and so is the title)")
    consumer = review.section("consumer")
    location = review.data.get("location")
    return ItemRecord(
        text=text,
        created_at=created,
        edited_at=updated,
        external_id=review_id,
        kind="review",
        title=review.text("title"),
        author_name=consumer.text("displayName"),
        author_handle=consumer.text("id"),
        rating=stars,
        rating_min=1,
        rating_max=5,
        language=review.text("language"),
        location=location if isinstance(location, str) else None,
        url=f"https://www.trustpilot.com/reviews/{review_id}",
        reply_text=reply.text("text"),
        replied_at=reply.time("createdAt"),
        platform_key=platform_key("trustpilot", review_id),
        raw=review.data,
    )
