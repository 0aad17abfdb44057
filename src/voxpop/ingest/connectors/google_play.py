"""Google Play Console reviews: the monthly ``reviews_<package>_<YYYYMM>.csv`` in UTF-16.

Google Play Console lets you download reviews as CSV files from Cloud Storage ("Download reports →
Reviews"); the files are UTF-16 encoded, one row per review with the columns named below
(https://support.google.com/googleplay/android-developer/answer/6135870). There is no review id
column: the package and the submit time in milliseconds identify a review across edits and across the
monthly files (the review link is not in every row).
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import CsvFormat, MappingError, number, text_or_none, time_or_none
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key


class GooglePlayReviews(CsvFormat):
    name = "google_play"
    label = "Google Play Console reviews (CSV, UTF-16)"
    channel = "google_play"
    required = ("Package Name", "Star Rating", "Review Submit Millis Since Epoch")
    hints = ("Review Text", "Developer Reply Text", "Review Last Update Millis Since Epoch", "Reviewer Language")
    filenames = ("reviews_",)
    capabilities = Capabilities(
        reads=("reviews", "ratings", "replies", "edits"),
        history="monthly files, from the app's first review",
        terms="Your own apps' reviews, downloaded from your Play Console bucket.",
        docs_url="https://support.google.com/googleplay/android-developer/answer/6135870",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        package = text_or_none(record.get("Package Name"))
        submitted = text_or_none(record.get("Review Submit Millis Since Epoch"))
        if not package or not submitted:
            raise MappingError("Review Submit Millis Since Epoch", "is missing")
        stars = number(record, "Star Rating")
        if stars is None:
            raise MappingError("Star Rating", "is missing")
        created = _millis(record, "Review Submit Millis Since Epoch")
        updated = _millis(record, "Review Last Update Millis Since Epoch")
        title, body = text_or_none(record.get("Review Title")), text_or_none(record.get("Review Text"))
        link = text_or_none(record.get("Review Link"))
        external = f"{package}:{submitted}"
        version = text_or_none(record.get("App Version Name"))
        return ItemRecord(
            text=body or title or "",  # a rating without text stays without text
            title=title if body else None,
            created_at=created,
            edited_at=updated if updated and updated != created else None,
            external_id=external,
            platform_key=platform_key("google_play", external),
            kind=self.item_kind,
            channel=self.channel,
            rating=stars,
            rating_min=1,
            rating_max=5,
            language=text_or_none(record.get("Reviewer Language")),
            product=package + (f" {version}" if version else ""),
            url=link,
            reply_text=text_or_none(record.get("Developer Reply Text")),
            replied_at=_millis(record, "Developer Reply Millis Since Epoch"),
            raw=record,
        )


def _millis(record: dict[str, Any], key: str) -> Any:
    value = number(record, key)
    return None if value is None else time_or_none({key: value / 1000}, key)
