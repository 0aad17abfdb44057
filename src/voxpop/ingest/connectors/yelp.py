"""Yelp reviews as the Fusion API's ``/businesses/{id}/reviews`` returns them.

Per Yelp's reference ("Reviews", https://docs.developer.yelp.com/reference/v3_business_reviews):
``{"reviews": [{id, url, text, rating, time_created, user{id, profile_url, image_url, name}}], "total",
"possible_languages"}``. ``time_created`` is a wall-clock time in Pacific Time without an offset; it is
converted to UTC here. The API returns review excerpts, and no owner replies.
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import JsonFormat, MappingError, local_time, number, text_at
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key

YELP_ZONE = "America/Los_Angeles"


class YelpReviews(JsonFormat):
    name = "yelp"
    label = "Yelp reviews (Fusion API JSON)"
    channel = "yelp"
    required = ('"time_created"', '"rating"')
    hints = ('"reviews"', '"possible_languages"', '"profile_url"', "yelp.com")
    filenames = ("yelp",)
    prefixes = ("reviews.item", "item")
    capabilities = Capabilities(
        reads=("reviews", "ratings"),
        history="the excerpts the API returned (3 per business on the free plan)",
        max_items=3,
        terms="Yelp Fusion terms: excerpts only; keep the link to the review.",
        docs_url="https://docs.developer.yelp.com/reference/v3_business_reviews",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        review_id = text_at(record, "id")
        if not review_id:
            raise MappingError("id", "is missing")
        rating = number(record, "rating")
        return ItemRecord(
            text=text_at(record, "text") or "",  # a rating without text stays without text
            created_at=local_time(record.get("time_created"), YELP_ZONE, "time_created"),
            external_id=review_id,
            platform_key=platform_key("yelp", review_id),
            kind=self.item_kind,
            channel=self.channel,
            url=text_at(record, "url"),
            author_name=text_at(record, "user", "name"),
            author_handle=text_at(record, "user", "id"),
            rating=rating,
            rating_min=1 if rating is not None else None,
            rating_max=5 if rating is not None else None,
            raw=record,
        )
