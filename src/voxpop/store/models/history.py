"""An item's identity on its platform and its earlier versions (issue 7: updates, not duplicates).

``item_keys`` maps a platform's own id (``google:<review id>``, ``trustpilot:<review id>``…) to the one
item holding it, whichever source brought it first — an export, an API poll or a webhook — so the same
review arriving twice by different routes stays one item. It also keeps the platform's last edit time
seen, so an older export imported after a newer one does not roll an edit back.

``item_revisions`` keeps what an item said before the platform's author edited it: each row is one
replaced version (text, title, rating and when that version was written).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from voxpop.store.models.core import Base
from voxpop.store.types import BigIntId, UtcDateTime, utcnow


class ItemKey(Base):
    """The platform id an item carries; unique across every source."""

    __tablename__ = "item_keys"

    platform_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime, doc="The platform's last edit time seen.")


class ItemRevision(Base):
    """One earlier version of an item, replaced when the platform's author edited it."""

    __tablename__ = "item_revisions"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(String(500))
    rating_raw: Mapped[float | None] = mapped_column(Float)
    rating_min: Mapped[float | None] = mapped_column(Float)
    rating_max: Mapped[float | None] = mapped_column(Float)
    rating: Mapped[float | None] = mapped_column(Float)
    written_at: Mapped[datetime | None] = mapped_column(UtcDateTime, doc="When this version was written.")
    replaced_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, doc="When the edit was imported.")
