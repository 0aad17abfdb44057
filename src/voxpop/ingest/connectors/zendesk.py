"""Zendesk Support tickets: the Tickets API's JSON (``{"tickets": [...]}``) or the full JSON export (one
ticket per line).

Per Zendesk's reference ("Tickets", https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/):
``id``, ``url``, ``subject``, ``description`` (the first comment), ``requester_id``, ``created_at`` /
``updated_at`` (ISO 8601 UTC), ``tags``, ``via.channel``, ``satisfaction_rating{score: good|bad|offered|
unoffered, comment}``. A CSAT score is stored on a 0–1 scale (good 1, bad 0). Ticket ids are per Zendesk
account, so the identity includes the account's host.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from voxpop.ingest.connectors.base import JsonFormat, MappingError, section, text_or_none, time_or_none
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key

CSAT = {"good": 1.0, "bad": 0.0}


class ZendeskTickets(JsonFormat):
    name = "zendesk"
    label = "Zendesk tickets (API JSON or full JSON export)"
    channel = "support"
    item_kind = "ticket"
    required = ('"requester_id"', '"subject"')
    hints = ('"tickets"', '"satisfaction_rating"', '"via"', "zendesk.com", '"submitter_id"')
    filenames = ("zendesk", "tickets")
    prefixes = ("tickets.item", "results.item", "item")
    jsonl = True
    capabilities = Capabilities(
        reads=("tickets", "csat"),
        history="the whole export",
        terms="Your own account's tickets.",
        docs_url="https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        ticket_id = text_or_none(record.get("id"))
        if not ticket_id:
            raise MappingError("id", "is missing")
        subject = text_or_none(record.get("subject"))
        text = text_or_none(record.get("description")) or subject
        if not text:
            raise MappingError("description", "is empty")
        score = section(record, "satisfaction_rating").get("score")
        host = urlsplit(str(record.get("url") or "")).hostname or "zendesk"
        created, updated = time_or_none(record, "created_at"), time_or_none(record, "updated_at")
        requester = record.get("requester_id")
        return ItemRecord(
            text=text,
            title=subject,
            created_at=created,
            edited_at=updated if updated and updated != created else None,
            external_id=ticket_id,
            platform_key=platform_key("zendesk", f"{host}:{ticket_id}"),
            kind=self.item_kind,
            channel=self.channel,
            url=f"https://{host}/agent/tickets/{ticket_id}" if host != "zendesk" else None,
            author_handle=f"zendesk:{requester}" if requester is not None else None,
            rating=CSAT.get(score) if isinstance(score, str) else None,
            rating_min=0 if score in CSAT else None,
            rating_max=1 if score in CSAT else None,
            raw=record,
        )
