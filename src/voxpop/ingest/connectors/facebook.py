"""Facebook Page recommendations as the Graph API's ``/{page-id}/ratings`` returns them.

Per the Graph API reference ("Page Ratings", https://developers.facebook.com/docs/graph-api/reference/page/ratings/
and "Recommendation", https://developers.facebook.com/docs/graph-api/reference/recommendation/):
``{"data": [{created_time, recommendation_type, review_text, rating, has_rating, has_review,
reviewer{id, name}, open_graph_story{id}}], "paging": {...}}``. A recommendation is positive or
negative — stored on a 0–1 scale (1 = recommends); an old star ``rating`` (1–5) is used when present.
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import JsonFormat, MappingError, number, one_of, text_at, time_or_none
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key

RECOMMENDS = {"positive": 1.0, "negative": 0.0}


class FacebookRecommendations(JsonFormat):
    name = "facebook"
    label = "Facebook Page ratings and recommendations (Graph API JSON)"
    channel = "facebook"
    required = ('"recommendation_type"',)
    hints = ('"review_text"', '"created_time"', '"open_graph_story"', '"reviewer"', '"paging"')
    filenames = ("facebook", "ratings")
    prefixes = ("data.item", "item")
    capabilities = Capabilities(
        reads=("reviews", "recommendations"),
        history="what the Page's ratings edge returns",
        terms="Needs a Page access token with pages_read_user_content.",
        docs_url="https://developers.facebook.com/docs/graph-api/reference/page/ratings/",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        created = time_or_none(record, "created_time")
        if created is None:
            raise MappingError("created_time", "is missing")
        stars = number(record, "rating")
        recommends = one_of(record, "recommendation_type", RECOMMENDS) if stars is None else None
        if stars is None and recommends is None:
            raise MappingError("recommendation_type", "is missing (and so is the rating)")
        story_id = text_at(record, "open_graph_story", "id")
        reviewer_id = text_at(record, "reviewer", "id")
        identity = story_id or (f"{reviewer_id}:{created.isoformat()}" if reviewer_id else None)
        return ItemRecord(
            text=text_at(record, "review_text") or "",  # a rating without text stays without text
            created_at=created,
            external_id=identity,
            platform_key=platform_key("facebook", identity) if identity else None,
            kind=self.item_kind,
            channel=self.channel,
            author_name=text_at(record, "reviewer", "name"),
            author_handle=reviewer_id,
            rating=stars if stars is not None else recommends,
            rating_min=1 if stars is not None else 0,
            rating_max=5 if stars is not None else 1,
            raw=record,
        )
