"""Export everything: every table of the store as CSV, JSON lines or Parquet, one file per table, so a
business can take its data anywhere (data ownership). Streams rows in chunks: constant memory on a store
of millions of items.

CSV cells that a spreadsheet would run as a formula (starting with = + - @ or a tab/CR) are prefixed with
``'`` — review text is written by strangers. Secrets never leave: password hashes, token hashes, session
tokens and encrypted credentials are left out.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select

from voxpop.errors import ValidationError
from voxpop.spreadsheet import defuse_formula
from voxpop.store import Store
from voxpop.store.models import Base

FORMATS = ("csv", "jsonl", "parquet")
CHUNK = 5000
# Columns that are secrets or derived from them: never exported.
SECRET_COLUMNS = {"password_hash", "token_hash", "csrf_token", "secret", "ciphertext", "encrypted", "credentials"}
SECRET_TABLES = {"web_sessions"}


def exportable_tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if t.name not in SECRET_TABLES]


def _columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if not any(s in c.name for s in SECRET_COLUMNS)]


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bytes):
        return value.hex()
    return value


def safe_cell(value: Any) -> Any:
    """A value as a spreadsheet may open it without running it."""
    value = _plain(value)
    return defuse_formula(value) if isinstance(value, str) else value


def _rows(store: Store, table: Table, columns: Sequence[str]) -> Iterator[list[Any]]:
    query = select(*(table.c[name] for name in columns)).order_by(*table.primary_key.columns)
    with store.read() as session:
        result = session.execute(query.execution_options(yield_per=CHUNK))
        for row in result:
            yield list(row)


def dump(store: Store, folder: Path, fmt: str = "csv") -> dict[str, int]:
    """Write every table to ``folder/<table>.<fmt>``; returns the rows written per table."""
    if fmt not in FORMATS:
        raise ValidationError(f"unknown format '{fmt}' (choose from {', '.join(FORMATS)})")
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for table in exportable_tables():
        columns = _columns(table)
        path = folder / f"{table.name}.{fmt}"
        if fmt == "csv":
            counts[table.name] = _write_csv(path, columns, _rows(store, table, columns))
        elif fmt == "jsonl":
            counts[table.name] = _write_jsonl(path, columns, _rows(store, table, columns))
        else:
            counts[table.name] = _write_parquet(path, columns, _rows(store, table, columns))
    return counts


def _write_csv(path: Path, columns: Sequence[str], rows: Iterator[list[Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(columns)
        for row in rows:
            out.writerow([safe_cell(v) for v in row])
            count += 1
    return count


def _write_jsonl(path: Path, columns: Sequence[str], rows: Iterator[list[Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            record = {c: _iso(v) for c, v in zip(columns, row, strict=True)}
            handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            count += 1
    return count


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _write_parquet(path: Path, columns: Sequence[str], rows: Iterator[list[Any]]) -> int:
    """Every column as text (JSON for documents, ISO 8601 for times): lossless and readable by any tool."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    schema = pa.schema([(c, pa.string()) for c in columns])
    count = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        batch: list[list[Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= CHUNK:
                writer.write_table(_arrow(pa, schema, columns, batch))
                count, batch = count + len(batch), []
        if batch or count == 0:
            writer.write_table(_arrow(pa, schema, columns, batch))
            count += len(batch)
    return count


def _arrow(pa: Any, schema: Any, columns: Sequence[str], batch: list[list[Any]]) -> Any:
    data = {c: [None if r[i] is None else str(_plain(r[i])) for r in batch] for i, c in enumerate(columns)}
    return pa.table(data, schema=schema)
