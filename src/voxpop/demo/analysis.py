"""Analysing the stored demo items, so the inbox opens with sentiment, urgency and fake-review risk filled.

Only items not analysed yet are picked up, so an interrupted run carries on where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlalchemy import select

from voxpop.store import Store
from voxpop.store.models import Item

if TYPE_CHECKING:
    from voxpop.analyze.pipeline import Analyzer

BATCH = 256


def pending_ids(store: Store) -> list[int]:
    """The ids of the items no analysis has been written for, oldest first."""
    with store.read() as session:
        return list(session.scalars(select(Item.id).where(Item.analyzed_at.is_(None)).order_by(Item.id)))


def analyze_pending(
    store: Store, analyzer: Analyzer, *, on_progress: Callable[[int], None] | None = None, batch_size: int = BATCH
) -> int:
    """Run ``analyzer`` over every unanalysed item, one batch (and one short write) at a time."""
    from voxpop.analyze.pipeline import analyze_items

    ids = pending_ids(store)
    done = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        done += analyze_items(store, chunk, analyzer, batch_size=batch_size)
        if on_progress is not None:
            on_progress(len(chunk))
    return done
