"""Google Business Profile reviews: the API's ``reviews.list`` JSON and the Google Takeout ``reviews.json``.

Both hold ``{"reviews": [Review, ...]}`` with the Review resource of the Business Profile API
(https://developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews): ``starRating``
ONE…FIVE, ``createTime`` / ``updateTime`` in RFC 3339 UTC, the owner's ``reviewReply``. The review id
is ``reviewId`` (or the last part of ``name``), the same id the live Google connector uses.
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import JsonFormat, MappingError, one_of, section, text_at, time_or_none
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key

STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}


class GoogleBusinessReviews(JsonFormat):
    name = "google_business"
    label = "Google Business Profile reviews (API JSON or Takeout)"
    channel = "google"
    required = ('"starRating"',)
    hints = ('"reviews"', '"reviewId"', '"createTime"', '"reviewer"', '"comment"')
    filenames = ("review", "google", "takeout")
    prefixes = ("reviews.item", "item")
    capabilities = Capabilities(
        reads=("reviews", "ratings", "replies", "edits"),
        history="the whole export",
        terms="Your own locations' reviews, exported by you (Takeout) or read through the API.",
        docs_url="https://developers.google.com/my-business/reference/rest/v4/accounts.locations.reviews",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        name = text_at(record, "name") or ""
        review_id = text_at(record, "reviewId") or (name.rsplit("/reviews/", 1)[1] if "/reviews/" in name else None)
        if not review_id:
            raise MappingError("reviewId", "is missing (and name holds no review id)")
        stars = one_of(record, "starRating", STARS)
        if stars is None:
            raise MappingError("starRating", "is missing")
        created = time_or_none(record, "createTime")
        if created is None:
            raise MappingError("createTime", "is missing")
        updated = time_or_none(record, "updateTime")
        location = name.split("/reviews/")[0] if "/reviews/" in name else None
        return ItemRecord(
            text=text_at(record, "comment") or "",  # a rating without text stays without text
            created_at=created,
            edited_at=updated if updated and updated != created else None,
            external_id=review_id,
            platform_key=platform_key("google", review_id),
            kind=self.item_kind,
            channel=self.channel,
            author_name=None
            if section(record, "reviewer").get("isAnonymous")
            else text_at(record, "reviewer", "displayName"),
            rating=stars,
            rating_min=1,
            rating_max=5,
            location=location,
            reply_text=text_at(record, "reviewReply", "comment"),
            replied_at=time_or_none(record, "reviewReply", "updateTime"),
            raw=record,
        )
