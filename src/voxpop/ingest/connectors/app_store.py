"""App Store Connect customer reviews, with the developer's responses (``?include=response``).

Per Apple's reference ("List all customer reviews for an app",
https://developer.apple.com/documentation/appstoreconnectapi/get-v1-apps-_id_-customerreviews):
``{"data": [{"type": "customerReviews", "id", "attributes": {rating, title, body, reviewerNickname,
createdDate, territory}, "relationships": {"response": {"data": {"type": "customerReviewResponses",
"id"}}}}], "included": [{"type": "customerReviewResponses", "id", "attributes": {responseBody,
lastModifiedDate, state}}]}``. The responses come after the reviews, so the file is read twice: once for
the responses (kept by id — only they are held in memory), once for the reviews.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from voxpop.ingest.connectors.base import (
    JsonFormat,
    MappingError,
    NoRecordsError,
    number,
    section,
    text_at,
    time_or_none,
    within,
)
from voxpop.ingest.connectors.registry import Capabilities, RowError
from voxpop.ingest.records import ItemRecord, platform_key


class AppStoreConnectReviews(JsonFormat):
    name = "app_store"
    label = "App Store Connect customer reviews (API JSON)"
    channel = "app_store"
    required = ('"customerReviews"', '"reviewerNickname"')
    hints = ('"createdDate"', '"territory"', '"customerReviewResponses"', '"included"')
    filenames = ("review", "appstore", "app_store")
    prefixes = ("data.item",)
    capabilities = Capabilities(
        reads=("reviews", "ratings", "replies"),
        history="every review the API lists",
        terms="Your own apps' reviews, read with an App Store Connect API key.",
        docs_url="https://developer.apple.com/documentation/appstoreconnectapi/get-v1-apps-_id_-customerreviews",
    )

    def read(self, path: Path, *, encoding: str | None = None) -> Iterator[ItemRecord | RowError]:
        try:
            included = list(self._responses(path))
        except NoRecordsError:  # read without ?include=response: no responses
            included = []
        responses = {str(obj.get("id")): obj for obj in included}
        yield from self.read_with(_WithResponses(self, responses), path)

    def _responses(self, path: Path) -> Iterator[dict[str, Any]]:
        for obj in self.records(path, ("included.item",)):
            if obj.get("type") == "customerReviewResponses":
                yield obj

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        return self.map_review(record, {})

    def map_review(self, record: dict[str, Any], responses: dict[str, dict[str, Any]]) -> ItemRecord | None:
        if record.get("type") != "customerReviews":
            return None
        review_id = text_at(record, "id")
        if not review_id:
            raise MappingError("id", "is missing")
        rating = number(record, "attributes", "rating")
        if rating is None:
            raise MappingError("attributes.rating", "is missing")
        link = section(record, "relationships", "response", "data")
        reply_text, replied_at = _response(responses.get(str(link.get("id")))) if link else (None, None)
        title, body = text_at(record, "attributes", "title"), text_at(record, "attributes", "body")
        return ItemRecord(
            text=body or title or "",  # a rating without text stays without text
            title=title if body else None,
            created_at=time_or_none(record, "attributes", "createdDate"),
            external_id=review_id,
            platform_key=platform_key("app_store_connect", review_id),
            kind=self.item_kind,
            channel=self.channel,
            author_name=text_at(record, "attributes", "reviewerNickname"),
            rating=rating,
            rating_min=1,
            rating_max=5,
            location=text_at(record, "attributes", "territory"),
            reply_text=reply_text,
            replied_at=replied_at,
            raw=record,
        )


def _response(response: dict[str, Any] | None) -> tuple[str | None, datetime | None]:
    """The text and time of the linked response in ``included``; a damaged one is named by its path there."""
    if response is None:
        return None, None
    with within(f"included[id={response.get('id')}]"):
        return text_at(response, "attributes", "responseBody"), time_or_none(response, "attributes", "lastModifiedDate")


class _WithResponses:
    def __init__(self, fmt: AppStoreConnectReviews, responses: dict[str, dict[str, Any]]) -> None:
        self.fmt = fmt
        self.responses = responses

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        return self.fmt.map_review(record, self.responses)
