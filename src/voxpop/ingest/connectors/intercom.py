"""Intercom conversations as the REST API returns them (``{"type": "conversation.list", "conversations": [...]}``).

Per Intercom's reference ("List all conversations" / the Conversation model,
https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/listconversations):
``id``, ``created_at`` / ``updated_at`` (Unix seconds), ``source{type, delivered_as, subject, body (HTML),
author{type, id, name, email}}``, ``conversation_rating{rating 1–5, remark}``, and — when a single
conversation is retrieved — ``conversation_parts`` whose first admin ``comment`` is the team's reply.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from voxpop.ingest.connectors.base import (
    JsonFormat,
    MappingError,
    html_text,
    number,
    objects,
    section,
    text_at,
    time_or_none,
    within,
)
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key


class IntercomConversations(JsonFormat):
    name = "intercom"
    label = "Intercom conversations (API JSON)"
    channel = "chat"
    item_kind = "ticket"
    required = ('"delivered_as"',)
    hints = ('"conversations"', '"conversation_rating"', '"conversation_parts"', '"source"', '"admin_assignee_id"')
    filenames = ("intercom", "conversation")
    prefixes = ("conversations.item", "data.item", "item")
    capabilities = Capabilities(
        reads=("conversations", "ratings", "replies"),
        history="the saved API pages",
        terms="Your own workspace's conversations.",
        docs_url="https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/listconversations",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        conversation_id = text_at(record, "id")
        if not conversation_id:
            raise MappingError("id", "is missing")
        text = html_text(text_at(record, "source", "body"))
        if not text:
            raise MappingError("source.body", "is empty")
        author_id = text_at(record, "source", "author", "id")
        stars = number(record, "conversation_rating", "rating")
        reply_text, replied_at = _first_admin_reply(record)
        created, updated = time_or_none(record, "created_at"), time_or_none(record, "updated_at")
        return ItemRecord(
            text=text,
            title=html_text(text_at(record, "source", "subject")),
            created_at=created,
            external_id=conversation_id,
            platform_key=platform_key("intercom", conversation_id),
            kind=self.item_kind,
            channel=self.channel,
            url=text_at(record, "source", "url"),
            author_name=text_at(record, "source", "author", "name"),
            author_email=text_at(record, "source", "author", "email"),
            author_handle=f"intercom:{author_id}" if author_id else None,
            rating=stars,
            rating_min=1 if stars is not None else None,
            rating_max=5 if stars is not None else None,
            reply_text=reply_text,
            replied_at=replied_at,
            edited_at=updated if updated and updated != created else None,
            raw=record,
        )


def _first_admin_reply(record: dict[str, Any]) -> tuple[str | None, datetime | None]:
    """The text and time of the first comment an admin wrote in the conversation."""
    for where, part in objects(record, "conversation_parts", "conversation_parts"):
        with within(where):
            if part.get("part_type") == "comment" and section(part, "author").get("type") == "admin":
                body = html_text(text_at(part, "body"))
                if body:
                    return body, time_or_none(part, "created_at")
    return None, None
