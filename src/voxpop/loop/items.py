"""Writing the loop's voices into ``items`` through the ingest layer, and re-writing an edited one.

New answers go through ``write_batch`` (validated, deduplicated by ``external_id``, linked to a customer
by e-mail). A survey answer can be edited until its survey closes: the same item is then updated in
place — validated by the same ``prepare_row`` — and marked for analysis again, so an edit never adds a
second item.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import get_or_create_source, prepare_row, write_batch
from voxpop.store.models import Item, Source

# Columns an edit may change; the item's identity (source, dedup key, created_at) never moves.
_EDITABLE = ("text", "title", "rating_raw", "rating_min", "rating_max", "rating", "raw", "location")


def source_for(session: Session, name: str, *, kind: str, channel: str) -> Source:
    return get_or_create_source(session, name, kind=kind, channel=channel)


def add_item(session: Session, source: Source, record: ItemRecord) -> int | None:
    """Store ``record``; the new item's id, or None when the source already holds it."""
    result = write_batch(session, source, [record])
    return result.added_ids[0] if result.added_ids else None


def find_item(session: Session, source: Source, external_id: str) -> Item | None:
    from sqlalchemy import select

    return session.scalars(
        select(Item).where(Item.source_id == source.id, Item.dedup_key == "id:" + external_id)
    ).one_or_none()


def upsert_item(session: Session, source: Source, record: ItemRecord) -> int:
    """Store ``record`` (which must carry an ``external_id``) or update the item it was stored as.

    Returns the item's id; the item is left pending analysis either way (``analyzed_at`` is cleared on
    an update) so the caller sends it through the pipeline.
    """
    if not record.external_id:
        raise ValueError("upsert_item needs a record with an external_id")
    existing = find_item(session, source, record.external_id)
    if existing is None:
        added = add_item(session, source, record)
        if added is not None:
            return added
        existing = find_item(session, source, record.external_id)
        assert existing is not None
    now = datetime.now(UTC)
    row = prepare_row(source, record, now=now)
    for name in _EDITABLE:
        setattr(existing, name, row[name])
    existing.updated_at = now
    existing.analyzed_at = None
    session.flush()
    return existing.id
