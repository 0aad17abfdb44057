"""Writing a batch's analysis results: one statement per batch on PostgreSQL.

The analyse stage writes a few hundred items at a time. Written as one ``UPDATE`` per item (a Core
executemany), PostgreSQL parses, plans and executes each statement, and the roll-ups' statement trigger on
``items`` (``measure_mark_dirty``, which queues the touched days) fires once per item, appending two
``measure_dirty`` rows each time. Here the whole batch is one ``UPDATE … FROM unnest(…)`` (the trigger
fires once, queueing the batch's days once) and the embeddings one ``INSERT … SELECT … ON CONFLICT``.
SQLite keeps the executemany: it has row triggers anyway and no server to save work on.

Both writes are idempotent (they set the same values again) and skip the ids of items deleted meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, bindparam, text, update
from sqlalchemy.orm import Session

from voxpop.store.models import Item

#: The analysis columns the analyse stage writes, with their PostgreSQL array element types; ``None``
#: marks JSON columns (sent as JSON text and cast to ``jsonb``).
COLUMNS: dict[str, str | None] = {
    "sentiment": "varchar",
    "sentiment_score": "float8",
    "sentiment_confidence": "float8",
    "aspects": None,
    "topics": None,
    "is_question": "boolean",
    "urgency": "float8",
    "authenticity_risk": "float8",
    "language": "varchar",
    "analysis": None,
}

_PG_UPDATE = text(
    "UPDATE items AS i SET "  # noqa: S608 (constant column names)
    + ", ".join(f"{name} = v.{name}" for name in COLUMNS)
    + ", analyzed_at = :analyzed_at FROM unnest(CAST(:id AS bigint[]), "
    + ", ".join(f"CAST(:{name} AS {kind or 'jsonb'}[])" for name, kind in COLUMNS.items())
    + ") AS v(id, "
    + ", ".join(COLUMNS)
    + ") WHERE i.id = v.id"
)

_PG_EMBEDDINGS = text(
    "INSERT INTO item_embeddings (item_id, model, vector) "
    "SELECT v.item_id, :model, v.vector "
    "FROM unnest(CAST(:ids AS bigint[]), CAST(:vectors AS bytea[])) AS v(item_id, vector) "
    "JOIN items ON items.id = v.item_id ORDER BY v.item_id "
    "ON CONFLICT (item_id) DO UPDATE SET model = excluded.model, vector = excluded.vector"
)


def _json(value: Any) -> str:
    # As the JSON column type binds it (``none_as_null`` is off): None is stored as JSON null, not SQL NULL.
    return json.dumps(value)


def write_analysis(session: Session, rows: Sequence[Mapping[str, Any]], analyzed_at: datetime) -> None:
    """Set the analysis columns of the items ``rows`` name (each row: ``id`` and every column of
    ``COLUMNS``) and their ``analyzed_at``; ids of items deleted meanwhile are skipped."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: int(row["id"]))  # rows locked in id order, as before
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        # A Core executemany, not the ORM's bulk update: an item deleted meanwhile is simply skipped.
        table = cast(Table, Item.__table__)
        connection.execute(
            update(table).where(table.c.id == bindparam("item_id")),
            [
                {"item_id": int(row["id"]), "analyzed_at": analyzed_at, **{name: row[name] for name in COLUMNS}}
                for row in rows
            ],
        )
        return
    params: dict[str, Any] = {"id": [int(row["id"]) for row in rows], "analyzed_at": analyzed_at}
    for name, kind in COLUMNS.items():
        params[name] = [row[name] if kind is not None else _json(row[name]) for row in rows]
    connection.execute(_PG_UPDATE, params)


def write_embeddings(session: Session, ids: Sequence[int], vectors: np.ndarray, model: str) -> None:
    """Store (or replace) the items' embeddings as float16 in one statement on PostgreSQL; ids of items
    deleted meanwhile are skipped. Other databases use ``store_topics.save_embeddings``."""
    if not len(ids):
        return
    pairs = sorted((int(i), np.asarray(v, dtype=np.float16).tobytes()) for i, v in zip(ids, vectors, strict=True))
    session.connection().execute(
        _PG_EMBEDDINGS, {"ids": [i for i, _ in pairs], "vectors": [v for _, v in pairs], "model": model}
    )
