"""Qualtrics survey responses: the CSV download with its three header rows.

Per Qualtrics' "Understanding Your Dataset"
(https://www.qualtrics.com/support/survey-platform/responses/download-data/understanding-your-dataset/):
row 1 holds the column ids (``StartDate``, ``EndDate``, ``Status``, ``Progress``, ``Finished``,
``RecordedDate``, ``ResponseId``, ``RecipientLastName``, ``RecipientFirstName``, ``RecipientEmail``,
``DistributionChannel``, ``UserLanguage``, ``Q1``…), row 2 the question texts, row 3 the import ids as JSON —
for dates with the ``timeZone`` the times are written in (``{"ImportId":"recordedDate","timeZone":
"America/Denver"}``), which is used here to keep instants in UTC. An NPS question has a ``Qn_NPS_GROUP``
column beside its 0–10 score; text-entry answers make the item's text.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from voxpop.ingest.connectors.base import (
    CsvFormat,
    MappingError,
    encoding_of,
    local_time,
    number,
    open_bytes,
    sniff,
    text_or_none,
)
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key

METADATA = frozenset(
    {
        "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
        "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
        "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage",
    }
)  # fmt: skip
ZONE_KEY = "__zone__"


class QualtricsResponses(CsvFormat):
    name = "qualtrics"
    label = "Qualtrics responses (CSV download)"
    channel = "survey"
    item_kind = "survey"
    header_rows = 3
    required = ("ResponseId", "ImportId")
    hints = ("RecordedDate", "DistributionChannel", "UserLanguage", "Finished")
    filenames = ("qualtrics",)
    capabilities = Capabilities(
        reads=("survey answers", "nps"),
        history="the whole download",
        terms="Your own surveys' responses.",
        docs_url="https://www.qualtrics.com/support/survey-platform/responses/download-data/understanding-your-dataset/",
    )

    def records(self, path: Path, encoding: str | None = None) -> Iterator[dict[str, Any]]:
        zone = self._zone(path, encoding)
        for record in super().records(path, encoding):
            record[ZONE_KEY] = zone
            yield record

    def _zone(self, path: Path, encoding: str | None) -> str:
        """The time zone the third header row gives for RecordedDate (UTC when it names none)."""
        chosen = encoding or encoding_of(sniff(path, 4))
        with open_bytes(path) as raw, io.TextIOWrapper(raw, encoding=chosen, errors="replace", newline="") as text:
            rows = csv.reader(text)
            names, _questions, imports = next(rows, []), next(rows, []), next(rows, [])
        for name, value in zip(names, imports, strict=False):
            if name.strip() == "RecordedDate":
                try:
                    return str(json.loads(value).get("timeZone") or "UTC")
                except (ValueError, AttributeError):
                    return "UTC"
        return "UTC"

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        zone = record.pop(ZONE_KEY, "UTC")
        response_id = text_or_none(record.get("ResponseId"))
        if not response_id:
            raise MappingError("ResponseId", "is missing")
        nps = [column[: -len("_NPS_GROUP")] for column in record if column.endswith("_NPS_GROUP")]
        score = number(record, nps[0]) if nps else None
        if score is not None and not 0 <= score <= 10:
            raise MappingError(nps[0], f"{score:g} is not a 0–10 score")
        skip = METADATA | set(nps) | {f"{n}_NPS_GROUP" for n in nps}
        texts = [str(v).strip() for k, v in record.items() if k not in skip and _is_text(v)]
        if not texts and score is None:
            return None
        first, last = text_or_none(record.get("RecipientFirstName")), text_or_none(record.get("RecipientLastName"))
        return ItemRecord(
            text="\n".join(texts),  # a score without a comment stays without text
            created_at=local_time(record.get("RecordedDate"), zone, "RecordedDate"),
            external_id=response_id,
            platform_key=platform_key("qualtrics", response_id),
            kind=self.item_kind,
            channel=self.channel,
            author_name=" ".join(p for p in (first, last) if p) or None,
            author_email=text_or_none(record.get("RecipientEmail")),
            rating=score,
            rating_min=0 if score is not None else None,
            rating_max=10 if score is not None else None,
            language=(text_or_none(record.get("UserLanguage")) or "").lower() or None,
            raw=record,
        )


def _is_text(value: Any) -> bool:
    """An answer a person wrote: not empty, not a number, not a coded choice."""
    text = str(value or "").strip()
    if not text:
        return False
    try:
        float(text)
    except ValueError:
        return len(text) > 1
    return False
