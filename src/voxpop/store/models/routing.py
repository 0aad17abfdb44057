"""Routing rules and the inbox workflow's own tables: rules, internal notes, @mentions, saved views.

The columns routing adds to ``items`` (``tags``, ``route``, ``sla_breached_at``) live on the core model;
all of it comes with migration 0003.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from voxpop.store.models.core import Base
from voxpop.store.types import BigIntId, Json, UtcDateTime, utcnow


class RoutingRule(Base):
    """One routing rule: conditions on an item and what to do when they all hold.

    ``conditions`` and ``actions`` are validated documents (see ``voxpop.act.routing.rules``). Rules run
    in ``position`` order; the first match wins unless it says ``continue_matching``. A rule with
    ``is_default`` applies only when no other rule and no aspect owner routed the item.
    """

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0, index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    continue_matching: Mapped[bool] = mapped_column(Boolean, default=False)
    conditions: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    actions: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ItemNote(Base):
    """An internal note on an item (never shown to the customer)."""

    __tablename__ = "item_notes"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Mention(Base):
    """A user @mentioned in a note: their notification until they have seen it."""

    __tablename__ = "mentions"
    __table_args__ = (
        UniqueConstraint("note_id", "user_id"),
        Index("ix_mentions_user_seen", "user_id", "seen_at"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("item_notes.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SavedView(Base):
    """A named set of inbox filters (and an order) a user keeps; ``shared`` shows it to everyone."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    filters: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
