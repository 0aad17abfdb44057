"""Zendesk Support tickets as the CSV data export (Admin Center → Account → Tools → Reports → Export).

Per Zendesk's "Exporting data to a JSON, CSV, or XML file"
(https://support.zendesk.com/hc/en-us/articles/4408886165402): one row per ticket with the columns
``Summation column``, ``Id``, ``Requester``, ``Requester id``, ``Requester external id``, ``Requester
email``, ``Requester domain``, ``Submitter``, ``Assignee``, ``Group``, ``Subject``, ``Tags``, ``Status``,
``Priority``, ``Via``, ``Ticket type``, ``Created at``, ``Updated at``, ``Assigned at``, ``Organization``,
``Due date``, ``Initially assigned at``, ``Solved at``, ``Resolution time``, ``Satisfaction Score``, …
The CSV export holds no comments, so the subject is the item's text (the JSON export has the
description). Times carry their offset. ``Satisfaction Score`` Good/Bad is stored on a 0–1 scale, as
the JSON connector does. The file does not name the account, so the ticket's identity is the one the JSON
connector gives a ticket without ``url``.
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import CsvFormat, MappingError, text_or_none, time_or_none
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.connectors.zendesk import CSAT
from voxpop.ingest.records import ItemRecord, platform_key


class ZendeskTicketsCsv(CsvFormat):
    name = "zendesk_csv"
    label = "Zendesk tickets (CSV data export)"
    channel = "support"
    item_kind = "ticket"
    required = ("Requester id", "Subject", "Via")
    hints = ("Summation column", "Satisfaction Score", "Ticket type", "Solved at", "Requester email")
    filenames = ("zendesk", "tickets", "export")
    capabilities = Capabilities(
        reads=("tickets", "csat"),
        history="the whole export (subjects only: the CSV export has no comments)",
        terms="Your own account's tickets.",
        docs_url="https://support.zendesk.com/hc/en-us/articles/4408886165402",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        ticket_id = text_or_none(record.get("Id"))
        if not ticket_id:
            raise MappingError("Id", "is missing")
        subject = text_or_none(record.get("Subject"))
        if not subject:
            raise MappingError("Subject", "is empty")
        created, updated = time_or_none(record, "Created at"), time_or_none(record, "Updated at")
        if created is None:
            raise MappingError("Created at", "is missing")
        score = (text_or_none(record.get("Satisfaction Score")) or "").lower()
        requester = text_or_none(record.get("Requester id"))
        return ItemRecord(
            text=subject,
            created_at=created,
            edited_at=updated if updated and updated != created else None,
            external_id=ticket_id,
            platform_key=platform_key("zendesk", f"zendesk:{ticket_id}"),
            kind=self.item_kind,
            channel=self.channel,
            author_name=text_or_none(record.get("Requester")),
            author_email=text_or_none(record.get("Requester email")),
            author_handle=f"zendesk:{requester}" if requester else None,
            rating=CSAT.get(score),
            rating_min=0 if score in CSAT else None,
            rating_max=1 if score in CSAT else None,
            raw=record,
        )
