"""Intercom conversations as the REST API returns them (``{"type": "conversation.list", "conversations": [...]}``).

Per Intercom's reference ("List all conversations" / the Conversation model,
https://developers.intercom.com/docs/references/rest-api/api.intercom.io/conversations/listconversations):
``id``, ``created_at`` / ``updated_at`` (Unix seconds), ``source{type, delivered_as, subject, body (HTML),
author{type, id, name, email}}``, ``conversation_rating{rating 1–5, remark}``, and — when a single
conversation is retrieved — ``conversation_parts`` whose first admin ``comment`` is the team's reply.
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import (
    JsonFormat,
    MappingError,
    html_text,
    number,
    section,
    text_or_none,
    time_or_none,
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
        conversation_id = text_or_none(record.get("id"))
        if not conversation_id:
            raise MappingError("id", "is missing")
        source = section(record, "source")
        text = html_text(source.get("body"))
        if not text:
            raise MappingError("source.body", "is empty")
        author = section(source, "author")
        rating = section(record, "conversation_rating")
        stars = number(rating, "rating")
        reply = _first_admin_comment(record)
        created, updated = time_or_none(record, "created_at"), time_or_none(record, "updated_at")
        return ItemRecord(
            text=text,
            title=text_or_none(html_text(source.get("subject"))),
            created_at=created,
            external_id=conversation_id,
            platform_key=platform_key("intercom", conversation_id),
            kind=self.item_kind,
            channel=self.channel,
            url=text_or_none(source.get("url")),
            author_name=text_or_none(author.get("name")),
            author_email=text_or_none(author.get("email")),
            author_handle=f"intercom:{author['id']}" if author.get("id") else None,
            rating=stars,
            rating_min=1 if stars is not None else None,
            rating_max=5 if stars is not None else None,
            reply_text=html_text(reply.get("body")) if reply else None,
            replied_at=time_or_none(reply, "created_at") if reply else None,
            edited_at=updated if updated and updated != created else None,
            raw=record,
        )


def _first_admin_comment(record: dict[str, Any]) -> dict[str, Any] | None:
    parts = section(record, "conversation_parts").get("conversation_parts") or []
    for part in parts:
        if (
            isinstance(part, dict)
            and part.get("part_type") == "comment"
            and section(part, "author").get("type") == "admin"
            and part.get("body")
        ):
            return part
    return None
