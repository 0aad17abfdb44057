"""Trustpilot service reviews as the Business Units API returns them (``{"reviews": [...]}``).

Fields per the Trustpilot API's review object (https://developers.trustpilot.com/business-units-api-public):
``id``, ``stars`` 1–5, ``title``, ``text``, ``language``, ``createdAt`` / ``updatedAt`` (UTC),
``consumer.displayName``, ``companyReply`` (``text``, ``createdAt``/``updatedAt``). The review id is the
same one the live Trustpilot connector uses, so a review imported from a saved response and polled later
stays one item.
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import JsonFormat, MappingError, number, section, text_or_none, time_or_none
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
        review_id = text_or_none(record.get("id"))
        if not review_id:
            raise MappingError("id", "is missing")
        stars = number(record, "stars")
        if stars is None:
            raise MappingError("stars", "is missing")
        created = time_or_none(record, "createdAt")
        updated = time_or_none(record, "updatedAt")
        consumer = section(record, "consumer")
        reply = section(record, "companyReply")
        links = {link.get("rel"): link.get("href") for link in record.get("links") or [] if isinstance(link, dict)}
        title, text = text_or_none(record.get("title")), text_or_none(record.get("text"))
        return ItemRecord(
            text=text or title or "",  # a rating without text stays without text
            title=title if text else None,
            created_at=created,
            edited_at=updated if updated and updated != created else None,
            external_id=review_id,
            platform_key=platform_key("trustpilot", review_id),
            kind=self.item_kind,
            channel=self.channel,
            author_name=text_or_none(consumer.get("displayName")),
            author_handle=text_or_none(consumer.get("id")),
            rating=stars,
            rating_min=1,
            rating_max=5,
            language=text_or_none(record.get("language")),
            url=text_or_none(links.get("reviews-web-link") or record.get("url")),
            reply_text=text_or_none(reply.get("text")),
            replied_at=(time_or_none(reply, "updatedAt") or time_or_none(reply, "createdAt")) if reply else None,
            raw=record,
        )
