"""Trustpilot service reviews as the Business Units API returns them (``{"reviews": [...]}``).

Fields per the Trustpilot API's review object (https://developers.trustpilot.com/business-units-api-public):
``id``, ``stars`` 1–5, ``title``, ``text``, ``language``, ``createdAt`` / ``updatedAt`` (UTC),
``consumer.displayName``, ``companyReply`` (``text``, ``createdAt``/``updatedAt``). The review id is the
same one the live Trustpilot connector uses, so a review imported from a saved response and polled later
stays one item.
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import JsonFormat, MappingError, number, objects, text_at, time_or_none, within
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key


class TrustpilotReviews(JsonFormat):
    name = "trustpilot"
    label = "Trustpilot reviews (API JSON)"
    channel = "trustpilot"
    required = ('"stars"', '"consumer"')
    hints = ('"reviews"', '"companyReply"', '"createdAt"', '"displayName"', '"businessUnit"')
    filenames = ("trustpilot",)
    prefixes = ("reviews.item", "item")
    capabilities = Capabilities(
        reads=("reviews", "ratings", "replies", "edits"),
        history="what the saved API responses hold",
        terms="Trustpilot's API terms apply to data read through it.",
        docs_url="https://developers.trustpilot.com/business-units-api-public",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        review_id = text_at(record, "id")
        if not review_id:
            raise MappingError("id", "is missing")
        stars = number(record, "stars")
        if stars is None:
            raise MappingError("stars", "is missing")
        created = time_or_none(record, "createdAt")
        updated = time_or_none(record, "updatedAt")
        title, text = text_at(record, "title"), text_at(record, "text")
        return ItemRecord(
            text=text or title or "",  # a rating without text stays without text
            title=title if text else None,
            created_at=created,
            edited_at=updated if updated and updated != created else None,
            external_id=review_id,
            platform_key=platform_key("trustpilot", review_id),
            kind=self.item_kind,
            channel=self.channel,
            author_name=text_at(record, "consumer", "displayName"),
            author_handle=text_at(record, "consumer", "id"),
            rating=stars,
            rating_min=1,
            rating_max=5,
            language=text_at(record, "language"),
            url=_link(record, "reviews-web-link") or text_at(record, "url"),
            reply_text=text_at(record, "companyReply", "text"),
            replied_at=time_or_none(record, "companyReply", "updatedAt")
            or time_or_none(record, "companyReply", "createdAt"),
            raw=record,
        )


def _link(record: dict[str, Any], rel: str) -> str | None:
    """The address of the record's link of relation ``rel`` (``reviews-web-link``)."""
    for where, link in objects(record, "links"):
        with within(where):
            if link.get("rel") == rel:
                return text_at(link, "href")
    return None
