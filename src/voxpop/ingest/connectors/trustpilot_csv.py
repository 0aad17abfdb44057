"""Trustpilot service reviews as the Trustpilot Business app's review download (CSV).

Trustpilot publishes no column list for this download, so the columns read here are the ones the file
carries, each the CSV form of a documented field of the Business Units API's review object
(https://developers.trustpilot.com/business-units-api-public): ``Review ID`` (``id``), ``Review Created
(UTC)`` (``createdAt``), ``Review Stars`` (``stars``, 1–5), ``Review Title`` / ``Review Content``
(``title`` / ``text``), ``Review Language`` (``language``), ``Consumer Name`` (``consumer.displayName``),
``Consumer Email``, ``Reference Id`` (the order reference of an invitation), ``Reply Content`` and
``Company Reply Date (UTC)`` (``companyReply``). Times are written in UTC. The review id is the one the
API and the live connector use, so a review downloaded here and polled later stays one item.
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import CsvFormat, MappingError, number, text_or_none, time_or_none
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key


class TrustpilotReviewsCsv(CsvFormat):
    name = "trustpilot_csv"
    label = "Trustpilot reviews (Business CSV download)"
    channel = "trustpilot"
    required = ("Review ID", "Review Stars")
    hints = ("Review Created (UTC)", "Review Content", "Reply Content", "Consumer Name", "Source Of Review")
    filenames = ("trustpilot", "reviews")
    capabilities = Capabilities(
        reads=("reviews", "ratings", "replies"),
        history="the whole download (every review of the business unit)",
        terms="Your own business's reviews, downloaded from Trustpilot Business.",
        docs_url="https://developers.trustpilot.com/business-units-api-public",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        review_id = text_or_none(record.get("Review ID"))
        if not review_id:
            raise MappingError("Review ID", "is missing")
        stars = number(record, "Review Stars")
        if stars is None:
            raise MappingError("Review Stars", "is missing")
        if not 1 <= stars <= 5:
            raise MappingError("Review Stars", f"{stars:g} is not 1–5")
        created = time_or_none(record, "Review Created (UTC)")
        if created is None:
            raise MappingError("Review Created (UTC)", "is missing")
        title, text = text_or_none(record.get("Review Title")), text_or_none(record.get("Review Content"))
        reply = text_or_none(record.get("Reply Content"))
        return ItemRecord(
            text=text or title or "",
            title=title if text else None,
            created_at=created,
            external_id=review_id,
            platform_key=platform_key("trustpilot", review_id),
            kind=self.item_kind,
            channel=self.channel,
            author_name=text_or_none(record.get("Consumer Name")),
            author_email=text_or_none(record.get("Consumer Email")),
            rating=stars,
            rating_min=1,
            rating_max=5,
            language=text_or_none(record.get("Review Language")),
            reply_text=reply,
            replied_at=time_or_none(record, "Company Reply Date (UTC)") if reply else None,
            raw=record,
        )
