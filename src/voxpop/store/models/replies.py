"""Replies to items and the canned-response library (issue 4: canned responses, suggestions, tone check).

``reply_templates`` holds the library a team answers from; ``replies`` holds what was actually sent, by
whom, how long after the item it came, what the tone check said and whether the agent sent it anyway.
``item_vector`` caches the embedding of the *item* a reply answered, so finding the team's past replies
to similar items never re-embeds old items.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voxpop.store.models.core import Base
from voxpop.store.types import BigIntId, Json, UtcDateTime, utcnow


class ReplyTemplate(Base):
    """A canned response. Empty ``sentiment``/``aspect``/``channel`` match any item."""

    __tablename__ = "reply_templates"
    __table_args__ = (UniqueConstraint("name", "language"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="en")
    body: Mapped[str] = mapped_column(Text)
    sentiment: Mapped[str | None] = mapped_column(String(10))
    aspect: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str | None] = mapped_column(String(50))
    purpose: Mapped[str] = mapped_column(String(20), default="thanks")
    vertical: Mapped[str | None] = mapped_column(String(50))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Reply(Base):
    """A reply an agent sent (or copied out to post by hand) for one item."""

    __tablename__ = "replies"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("reply_templates.id", ondelete="SET NULL"))
    origin: Mapped[str] = mapped_column(String(20), default="manual")
    text: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    response_seconds: Mapped[int | None] = mapped_column(Integer)
    delivery: Mapped[str] = mapped_column(String(20), default="manual")
    posted_to: Mapped[str | None] = mapped_column(String(2000))
    external_id: Mapped[str | None] = mapped_column(String(200))
    tone_flags: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    tone_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    item_vector: Mapped[bytes | None] = mapped_column(LargeBinary)
    vector_model: Mapped[str | None] = mapped_column(String(200))
