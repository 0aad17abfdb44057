"""Typeform responses as the Responses API returns them (``{"total_items", "page_count", "items": [...]}``).

Per Typeform's reference ("Retrieve responses", https://www.typeform.com/developers/responses/reference/retrieve-responses/):
each item has ``landing_id``, ``token`` / ``response_id``, ``landed_at``, ``submitted_at`` (UTC),
``metadata``, ``hidden``, ``calculated{score}`` and ``answers[{field{id, type, ref}, type, text | email |
number | choice{label} | …}]``. The text answers make the item's text; the first ``nps`` (0–10),
``opinion_scale`` (0–10 by default) or ``rating`` (1–5 by default, up to 10) answer is its rating.
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import JsonFormat, MappingError, number, objects, text_at, time_or_none, within
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key

SCALES = {"nps": (0, 10), "opinion_scale": (0, 10), "rating": (1, 5)}


class TypeformResponses(JsonFormat):
    name = "typeform"
    label = "Typeform responses (API JSON)"
    channel = "survey"
    item_kind = "survey"
    required = ('"landed_at"', '"submitted_at"')
    hints = ('"answers"', '"landing_id"', '"page_count"', '"total_items"')
    filenames = ("typeform", "responses")
    prefixes = ("items.item", "item")
    capabilities = Capabilities(
        reads=("survey answers", "scores"),
        history="the saved API pages (up to 1,000 responses each)",
        max_items=1000,
        terms="Your own forms' responses.",
        docs_url="https://www.typeform.com/developers/responses/reference/retrieve-responses/",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        token = text_at(record, "response_id") or text_at(record, "token")
        if not token:
            raise MappingError("token", "is missing")
        texts: list[str] = []
        rating: tuple[float, int, int] | None = None
        email = text_at(record, "hidden", "email")
        for where, answer in objects(record, "answers"):
            with within(where):
                kind, given = text_at(answer, "field", "type"), answer.get("type")
                said = text_at(answer, "text") if given == "text" else None
                if said:
                    texts.append(said)
                elif given == "email":
                    email = email or text_at(answer, "email")
                elif given == "number" and kind in SCALES and rating is None:
                    value = number(answer, "number")
                    low, high = SCALES[kind]
                    if value is not None:
                        rating = (value, low, 10 if kind == "rating" and value > high else high)
        if not texts and rating is None:
            return None  # nothing a person wrote or scored
        return ItemRecord(
            text="\n".join(texts),  # a score without a comment stays without text
            created_at=time_or_none(record, "submitted_at"),
            external_id=token,
            platform_key=platform_key("typeform", token),
            kind=self.item_kind,
            channel=self.channel,
            author_email=email,
            rating=rating[0] if rating else None,
            rating_min=rating[1] if rating else None,
            rating_max=rating[2] if rating else None,
            raw=record,
        )
