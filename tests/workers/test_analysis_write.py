"""The analyse stage's batch write (``voxpop.store.analysis_write``): one statement per batch on PostgreSQL,
the same values as the per-item executemany on SQLite, idempotent, deleted items skipped."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select, text

from voxpop.analyze.store_topics import save_embeddings
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.store import Store
from voxpop.store.analysis_write import write_analysis, write_embeddings
from voxpop.store.models import Item
from voxpop.store.models.measure import DirtyDay
from voxpop.store.models.topics import ItemEmbedding
from voxpop.store.types import utcnow


def _add(store: Store, count: int) -> list[int]:
    with store.write() as session:
        source = get_or_create_source(session, "google", kind="file", channel="google")
        return write_batch(session, source, [ItemRecord(text=f"item number {i}") for i in range(count)]).added_ids


def _row(item_id: int, n: int) -> dict[str, Any]:
    return {
        "id": item_id,
        "sentiment": ["negative", "positive", None][n % 3],
        "sentiment_score": None if n % 3 == 2 else -0.5 + n / 10,
        "sentiment_confidence": 0.9,
        "aspects": [{"name": "delivery", "sentiment": "negative", "quote": "late 'quote' \"x\" ü"}] if n % 2 else [],
        "topics": ["late delivery"] if n % 2 else None,
        "is_question": [True, False, None][n % 3],
        "urgency": float("nan") if n == 3 else n / 10,
        "authenticity_risk": None,
        "language": "en",
        "analysis": {"taxonomy": "abc", "department": None, "evidence": {"score": [1, 2.5], "nested": {"a": None}}},
    }


def test_batch_write_sets_every_column_and_skips_deleted_items(store: Store) -> None:
    ids = _add(store, 5)
    with store.write() as session:
        session.execute(delete(Item).where(Item.id == ids[4]))
    rows = [_row(item_id, n) for n, item_id in enumerate(ids)]
    now = utcnow()
    for _ in range(2):  # idempotent: the second run leaves the same values
        with store.write() as session:
            write_analysis(session, list(reversed(rows)), now)
    with store.read() as session:
        items = {item.id: item for item in session.scalars(select(Item))}
        sql_null: dict[int, bool] = {
            row[0]: row[1] for row in session.execute(select(Item.id, text("items.topics IS NULL")))
        }
    assert set(items) == set(ids[:4])
    assert not any(sql_null.values())  # a None is JSON null, as the per-item statement stored it
    for n, item_id in enumerate(ids[:4]):
        item, row = items[item_id], rows[n]
        for name in ("sentiment", "sentiment_score", "sentiment_confidence", "aspects", "topics", "is_question"):
            assert getattr(item, name) == row[name], name
        assert item.authenticity_risk is None
        assert item.language == "en"
        assert item.analysis == row["analysis"]
        assert item.analyzed_at is not None
        assert abs((item.analyzed_at - now).total_seconds()) < 1e-3
        if n == 3:  # a NaN does not fail the batch (SQLite keeps it as NULL, PostgreSQL as NaN)
            assert item.urgency is None or math.isnan(item.urgency)
        else:
            assert item.urgency == row["urgency"]


def test_batch_write_queues_the_days_once_per_batch(store: Store) -> None:
    ids = _add(store, 6)
    with store.write() as session:
        session.execute(delete(DirtyDay))
    with store.write() as session:
        write_analysis(session, [_row(item_id, n) for n, item_id in enumerate(ids)], utcnow())
    with store.read() as session:
        queued = session.scalar(select(func.count()).select_from(DirtyDay))
        days = session.scalar(select(func.count(func.distinct(DirtyDay.day))))
    assert days == 1
    if store.engine.dialect.name == "postgresql":  # one statement: its trigger fires once (old and new day)
        assert queued == 2
    else:  # SQLite's row triggers queue per item
        assert queued is not None
        assert queued >= len(ids)


def test_batch_embeddings_upsert_like_save_embeddings(store: Store) -> None:
    ids = _add(store, 4)
    with store.write() as session:
        session.execute(delete(Item).where(Item.id == ids[3]))
    rng = np.random.default_rng(0)
    first, second = rng.normal(size=(4, 8)), rng.normal(size=(4, 8))
    write = write_embeddings if store.engine.dialect.name == "postgresql" else save_embeddings
    with store.write() as session:
        write(session, ids, first, "model-a")
    with store.write() as session:  # replaced, not duplicated
        write(session, list(reversed(ids)), second[::-1], "model-b")
    with store.read() as session:
        stored = {e.item_id: e for e in session.scalars(select(ItemEmbedding))}
    assert set(stored) == set(ids[:3])
    for n, item_id in enumerate(ids[:3]):
        assert stored[item_id].model == "model-b"
        assert stored[item_id].vector == np.asarray(second[n], dtype=np.float16).tobytes()
