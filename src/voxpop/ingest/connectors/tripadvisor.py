"""Tripadvisor reviews as the Content API's ``/location/{id}/reviews`` returns them.

Per the Tripadvisor Content API reference ("Location Reviews",
https://tripadvisor-content-api.readme.io/reference/getlocationreviews): ``{"data": [{id, lang,
location_id, published_date, rating, helpful_votes, url, text, title, trip_type, travel_date,
user{username, user_location{name}}, owner_response{text, published_date, author}}]}``.
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import JsonFormat, MappingError, number, text_at, time_or_none, whole
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key


class TripadvisorReviews(JsonFormat):
    name = "tripadvisor"
    label = "Tripadvisor reviews (Content API JSON)"
    channel = "tripadvisor"
    required = ('"published_date"', '"location_id"')
    hints = ('"trip_type"', '"travel_date"', '"owner_response"', '"helpful_votes"', "tripadvisor")
    filenames = ("tripadvisor",)
    prefixes = ("data.item", "item")
    capabilities = Capabilities(
        reads=("reviews", "ratings", "replies"),
        history="the 5 most recent reviews per language (Content API)",
        max_items=5,
        terms="Tripadvisor Content API display requirements apply.",
        docs_url="https://tripadvisor-content-api.readme.io/reference/getlocationreviews",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        review_id = text_at(record, "id")
        if not review_id:
            raise MappingError("id", "is missing")
        rating = number(record, "rating")
        title, text = text_at(record, "title"), text_at(record, "text")
        return ItemRecord(
            text=text or title or "",  # a rating without text stays without text
            title=title if text else None,
            created_at=time_or_none(record, "published_date"),
            external_id=review_id,
            platform_key=platform_key("tripadvisor", review_id),
            kind=self.item_kind,
            channel=self.channel,
            url=text_at(record, "url"),
            author_name=text_at(record, "user", "username"),
            rating=rating,
            rating_min=1 if rating is not None else None,
            rating_max=5 if rating is not None else None,
            language=text_at(record, "lang"),
            location=text_at(record, "location_id"),
            reach_likes=whole(record.get("helpful_votes")),
            reply_text=text_at(record, "owner_response", "text"),
            replied_at=time_or_none(record, "owner_response", "published_date"),
            raw=record,
        )
