"""Freshdesk tickets as the API v2 returns them (a JSON array of tickets).

Per the Freshdesk API reference ("Tickets", https://developers.freshdesk.com/api/#tickets): ``id``,
``subject``, ``description`` (HTML) and ``description_text``, ``requester_id`` and, with
``include=requester``, ``requester{name, email}``, ``created_at`` / ``updated_at`` (UTC), ``fr_due_by``,
``status``, ``priority``, ``tags``.
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import JsonFormat, MappingError, html_text, text_at, time_or_none
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key


class FreshdeskTickets(JsonFormat):
    name = "freshdesk"
    label = "Freshdesk tickets (API JSON)"
    channel = "support"
    item_kind = "ticket"
    required = ('"fr_due_by"', '"requester_id"')
    hints = ('"description_text"', '"responder_id"', '"fr_escalated"', '"is_escalated"')
    filenames = ("freshdesk", "tickets")
    prefixes = ("item",)
    capabilities = Capabilities(
        reads=("tickets",),
        history="the saved API pages",
        terms="Your own helpdesk's tickets.",
        docs_url="https://developers.freshdesk.com/api/#tickets",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        ticket_id = text_at(record, "id")
        if not ticket_id:
            raise MappingError("id", "is missing")
        subject = text_at(record, "subject")
        text = text_at(record, "description_text") or html_text(text_at(record, "description")) or subject
        if not text:
            raise MappingError("description_text", "is empty")
        requester = text_at(record, "requester_id")
        created, updated = time_or_none(record, "created_at"), time_or_none(record, "updated_at")
        return ItemRecord(
            text=text,
            title=subject,
            created_at=created,
            edited_at=updated if updated and updated != created else None,
            external_id=ticket_id,
            platform_key=platform_key("freshdesk", ticket_id),
            kind=self.item_kind,
            channel=self.channel,
            author_name=text_at(record, "requester", "name"),
            author_email=text_at(record, "requester", "email"),
            author_handle=f"freshdesk:{requester}" if requester else None,
            raw=record,
        )
