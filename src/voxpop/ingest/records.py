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

    ``platform_key`` is the item's identity on its platform, the same whichever route brings it (export,
    API, webhook): ``platform_key("google", review_id)``. An item arriving again with the same key (or the
    same source and ``external_id``) updates the stored one instead of adding another; ``edited_at`` is the
    platform's last edit time, so an older copy never overwrites a newer one. ``reply_text`` /
    ``replied_at`` are the business's reply already posted on the platform, imported as a response.
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
    platform_key: str | None = None
    edited_at: datetime | None = None
    reply_text: str | None = None
    replied_at: datetime | None = None


def platform_key(platform: str, platform_id: object) -> str:
    """The cross-source identity of an item: ``"<platform>:<the platform's id>"`` (e.g. ``google:AbFv…``)."""
    return f"{platform}:{platform_id}"
