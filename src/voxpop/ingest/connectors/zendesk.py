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

from voxpop.ingest.connectors.base import JsonFormat, MappingError, text_at, time_or_none
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
        ticket_id = text_at(record, "id")
        if not ticket_id:
            raise MappingError("id", "is missing")
        subject = text_at(record, "subject")
        text = text_at(record, "description") or subject
        if not text:
            raise MappingError("description", "is empty")
        csat = CSAT.get(text_at(record, "satisfaction_rating", "score") or "")
        host = _host(record)
        created, updated = time_or_none(record, "created_at"), time_or_none(record, "updated_at")
        requester = text_at(record, "requester_id")
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
            author_handle=f"zendesk:{requester}" if requester else None,
            rating=csat,
            rating_min=0 if csat is not None else None,
            rating_max=1 if csat is not None else None,
            raw=record,
        )


def _host(record: dict[str, Any]) -> str:
    """The account's host from the ticket's API ``url`` (``zendesk`` when there is none)."""
    url = text_at(record, "url") or ""
    try:
        return urlsplit(url).hostname or "zendesk"
    except ValueError:
        raise MappingError("url", f"{url[:60]!r} is not a URL") from None
