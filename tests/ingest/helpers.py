"""Small helpers shared by the ingest tests: write fixture files, snapshot the store."""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from voxpop.store import Store
from voxpop.store.models import ImportRun, Item


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]], *, compress: bool = False) -> Path:
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(header)
    out.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def count_items(store: Store) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(Item)) or 0)


def snapshot(store: Store) -> list[tuple[Any, ...]]:
    """Every stored item's identity and content, to show that a failed import changed nothing."""
    with store.read() as session:
        rows = session.execute(
            select(Item.id, Item.source_id, Item.dedup_key, Item.text, Item.rating, Item.created_at).order_by(Item.id)
        )
        return [tuple(r) for r in rows]


def texts(store: Store) -> list[str]:
    with store.read() as session:
        return list(session.scalars(select(Item.text).order_by(Item.id)))


def runs(store: Store) -> list[ImportRun]:
    with store.read() as session:
        return list(session.scalars(select(ImportRun).order_by(ImportRun.id)))
