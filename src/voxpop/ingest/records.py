"""The normalised shape of one incoming item, whatever the source — before it is stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class ItemRecord:
    """One incoming item. Connectors, the file importer, the API and the demo all produce these.

    ``rating`` is the value as the source gave it, on the scale ``rating_min``–``rating_max`` (1–5 when a
    rating is given without a scale); the writer normalises it to 0–1. ``raw`` keeps the source record so
    nothing the source said is lost.
    """

    text: str
    created_at: datetime | None = None  # tz-aware; None → now (naive values are taken as UTC)
    external_id: str | None = None
    kind: str = "review"  # an ItemKind value
    channel: str | None = None  # None → the source's channel
    title: str | None = None
    url: str | None = None
    author_name: str | None = None
    author_handle: str | None = None
    author_email: str | None = None  # links (or creates) a Customer by e-mail
    rating: float | None = None
    rating_min: float | None = None
    rating_max: float | None = None
    language: str | None = None
    location: str | None = None
    product: str | None = None
    reach_followers: int | None = None
    reach_likes: int | None = None
    reach_shares: int | None = None
    raw: dict[str, Any] = field(default_factory=dict)
