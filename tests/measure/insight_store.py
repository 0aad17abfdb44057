"""Helpers for the insight tests: observations written to the real store as items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voxpop.measure.observations import Observation
from voxpop.store import Store
from voxpop.store.models import Item, Source


def make_source(store: Store, name: str = "Reviews", *, channel: str = "google", competitor: str | None = None) -> int:
    with store.write() as s:
        source = Source(
            name=name,
            kind="file",
            channel=channel,
            config={},
            is_competitor=competitor is not None,
            competitor=competitor,
        )
        s.add(source)
        s.flush()
        return source.id


def store_rows(
    store: Store, rows: Sequence[Observation], source_id: int, *, texts: dict[int, str] | None = None, **extra: Any
) -> dict[int, int]:
    """Write ``rows`` as items of ``source_id``; returns observation id -> item id."""
    ids: dict[int, int] = {}
    with store.write() as s:
        items = []
        for row in rows:
            item = Item(
                source_id=source_id,
                dedup_key=f"obs:{source_id}:{row.id}",
                channel=row.channel or "google",
                text=(texts or {}).get(row.id, f"review {row.id}"),
                created_at=row.created_at,
                raw={},
                status="new",
                priority=0,
                kind="review",
                sentiment=row.sentiment,
                sentiment_score=row.score,
                rating=row.rating,
                location=row.location,
                customer_id=row.customer_id,
                author_handle=row.author,
                topics=list(row.topics),
                aspects=[
                    {"name": m.name, "sentiment": m.sentiment, "score": m.score, "clause": m.clause}
                    for m in row.mentions
                ],
                **extra,
            )
            items.append((row.id, item))
            s.add(item)
        s.flush()
        ids = {obs_id: item.id for obs_id, item in items}
    return ids
