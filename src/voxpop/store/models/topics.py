"""Topics found over the whole store (issue 3), with stable ids, and the item embeddings they need.

``topics`` keeps one row per theme ever found: a full re-cluster matches the new clusters to the old
ones and keeps their ids and names, so a topic's volume over time is one series; a theme that vanished
is ``retired`` (kept, so links and history stay valid). ``item_topics`` says which topic each item is in
(``topic_id`` NULL: looked at, in none). ``item_embeddings`` keeps each item's sentence embedding as a
float16 blob (768 bytes for 384 dimensions), so a re-cluster never embeds the store again.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from voxpop.store.models.core import Base
from voxpop.store.types import Json, UtcDateTime, utcnow


class StoreTopic(Base):
    """A theme of the store's items: its name, key phrases, and where it sits in embedding space."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    key_phrases: Mapped[list[str]] = mapped_column(Json, default=list)
    centroid: Mapped[bytes] = mapped_column(LargeBinary)  # float32, unit length
    threshold: Mapped[float] = mapped_column(Float)  # cosine to the centroid an item needs to join
    size: Mapped[int] = mapped_column(Integer, default=0)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ItemTopic(Base):
    """Which store-wide topic an item is in; ``topic_id`` NULL when it was placed in none."""

    __tablename__ = "item_topics"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ItemEmbedding(Base):
    """An item's sentence embedding (float16 bytes) and the model that made it."""

    __tablename__ = "item_embeddings"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    model: Mapped[str] = mapped_column(String(200))
    vector: Mapped[bytes] = mapped_column(LargeBinary)
