"""Freshdesk tickets as the ticket list's CSV export (Tickets → Export, fields chosen by the agent).

Per Freshdesk's "Exporting tickets" (https://support.freshdesk.com/support/solutions/articles/37602):
one row per ticket with the chosen ticket fields — ``Ticket ID``, ``Subject``, ``Description``,
``Status``, ``Priority``, ``Source``, ``Type``, ``Agent``, ``Group``, ``Created time``, ``Due by Time``,
``Resolved time``, ``Closed time``, ``Last update time``, ``Initial response time``, ``Tags``,
``Survey results`` — and contact fields (``Full name``, ``Email``, ``Contact ID``, ``Company Name``).
Freshdesk writes the times without an offset, in the helpdesk's time zone: name it with
``voxpop ingest --timezone`` (UTC by default, when the helpdesk is set to UTC). The ticket id is the API's,
so a ticket exported here and read from the API stays one item.
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import CsvFormat, MappingError, html_text, text_or_none, time_or_none
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key


class FreshdeskTicketsCsv(CsvFormat):
    name = "freshdesk_csv"
    label = "Freshdesk tickets (CSV export)"
    channel = "support"
    item_kind = "ticket"
    required = ("Ticket ID", "Subject", "Created time")
    hints = ("Last update time", "Resolved time", "Initial response time", "Full name", "Contact ID")
    filenames = ("freshdesk", "tickets")
    capabilities = Capabilities(
        reads=("tickets",),
        history="the export's date range",
        terms="Your own helpdesk's tickets.",
        docs_url="https://support.freshdesk.com/support/solutions/articles/37602",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        ticket_id = text_or_none(record.get("Ticket ID"))
        if not ticket_id:
            raise MappingError("Ticket ID", "is missing")
        subject = text_or_none(record.get("Subject"))
        text = html_text(record.get("Description")) or subject
        if not text:
            raise MappingError("Description", "is empty (and so is Subject)")
        created, updated = time_or_none(record, "Created time"), time_or_none(record, "Last update time")
        if created is None:
            raise MappingError("Created time", "is missing")
        contact = text_or_none(record.get("Contact ID"))
        return ItemRecord(
            text=text,
            title=subject,
            created_at=created,
            edited_at=updated if updated and updated != created else None,
            external_id=ticket_id,
            platform_key=platform_key("freshdesk", ticket_id),
            kind=self.item_kind,
            channel=self.channel,
            author_name=text_or_none(record.get("Full name")),
            author_email=text_or_none(record.get("Email")),
            author_handle=f"freshdesk:{contact}" if contact else None,
            raw=record,
        )
