"""Getting prepared item rows into the database fast, with ``ON CONFLICT (source_id, dedup_key) DO NOTHING``.

Small batches (one API post) go through plain statements; large ones (file imports) take each backend's
bulk path: on SQLite the DB-API ``executemany`` with a set-based fill of the full-text index, on
PostgreSQL ``COPY`` into a temporary table and one ``INSERT … SELECT``. Both run inside the caller's
transaction and return the ids actually inserted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from voxpop.store.models import Customer, Item

_TABLE = cast(Table, Item.__table__)
_COLUMNS = (
    "source_id",
    "dedup_key",
    "external_id",
    "kind",
    "channel",
    "url",
    "author_name",
    "author_handle",
    "customer_id",
    "title",
    "text",
    "rating_raw",
    "rating_min",
    "rating_max",
    "rating",
    "language",
    "location",
    "product",
    "created_at",
    "ingested_at",
    "reach_followers",
    "reach_likes",
    "reach_shares",
    "raw",
    "status",
    "priority",
    "responded_at",
)
# Built from the constant column list above, never from input.
_SQLITE_INSERT = (
    f"INSERT INTO items ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "  # noqa: S608
    "ON CONFLICT (source_id, dedup_key) DO NOTHING"
)


# The SQLite trigger that indexes each new item for full-text search (migration 0001), and the set-based
# statement that does the same for a whole batch.
_FTS_TRIGGER = "items_fts_ai"
_FTS_FILL = (
    "INSERT INTO items_fts(rowid, title, text, author_name) SELECT id, title, text, author_name FROM items WHERE id > ?"
)
BULK_FTS_ROWS = 1000
BULK_COPY_ROWS = 500
_COLUMN_LIST = ", ".join(_COLUMNS)
_PG_STAGE = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS _voxpop_ingest ON COMMIT DELETE ROWS AS "  # noqa: S608
    f"SELECT {_COLUMN_LIST} FROM items WITH NO DATA"
)
_PG_COPY = f"COPY _voxpop_ingest ({_COLUMN_LIST}) FROM STDIN"
_PG_MOVE = (
    f"INSERT INTO items ({_COLUMN_LIST}) SELECT {_COLUMN_LIST} FROM _voxpop_ingest "  # noqa: S608
    "ON CONFLICT (source_id, dedup_key) DO NOTHING RETURNING id, source_id, dedup_key"
)
# (id, source_id, dedup_key) of one inserted row.
Inserted = tuple[int, int, str]


def insert_rows(session: Session, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert prepared rows with ON CONFLICT DO NOTHING; the ids of the rows actually inserted."""
    return [found[0] for found in insert_rows_keyed(session, rows)]


def insert_rows_keyed(session: Session, rows: Sequence[dict[str, Any]]) -> list[Inserted]:
    """As ``insert_rows``, but each inserted row as ``(id, source_id, dedup_key)``, by id."""
    if not rows:
        return []
    _link_customers(session, rows)
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return _insert_sqlite(session, rows)
    if len(rows) >= BULK_COPY_ROWS:
        return _insert_postgres_copy(session, rows)
    stmt = (
        postgresql.insert(_TABLE)
        .on_conflict_do_nothing(index_elements=["source_id", "dedup_key"])
        .returning(_TABLE.c.id, _TABLE.c.source_id, _TABLE.c.dedup_key)
    )
    params = [{name: row[name] for name in _COLUMNS} for row in rows]
    return sorted((int(r[0]), int(r[1]), str(r[2])) for r in connection.execute(stmt, params))


def _insert_postgres_copy(session: Session, rows: Sequence[dict[str, Any]]) -> list[Inserted]:
    """PostgreSQL's fast path for large batches: COPY into a temporary table, then one
    ``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING id`` — all inside the session's transaction.

    The temporary table lives as long as the pooled connection and is emptied at every commit.
    """
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute(_PG_STAGE)
        with cursor.copy(_PG_COPY) as copy:
            for row in rows:
                values = [row[name] for name in _COLUMNS]
                values[_RAW_COLUMN] = row["raw_json"]
                copy.write_row(values)
        cursor.execute(_PG_MOVE)
        inserted = [(int(r[0]), int(r[1]), str(r[2])) for r in cursor.fetchall()]
        cursor.execute("TRUNCATE _voxpop_ingest")  # the same transaction may write another batch
        return sorted(inserted)
    finally:
        cursor.close()


def _insert_sqlite(session: Session, rows: Sequence[dict[str, Any]]) -> list[Inserted]:
    """SQLite's fast path: the DB-API cursor's executemany inside the session's own transaction.

    The write transaction holds SQLite's single write lock, so the ids above the maximum seen before the
    insert are exactly the rows this batch added. Values are encoded as SQLAlchemy would (UTC text
    timestamps, JSON text), so the ORM reads them back unchanged.

    For a large batch the full-text index is filled with one INSERT … SELECT instead of the per-row
    trigger (about twice as fast): the trigger is dropped and re-created from its own stored SQL inside
    the same transaction, so no other connection ever sees the schema without it, and a failure or a
    kill rolls both back together.
    """
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute("SELECT coalesce(max(id), 0) FROM items")
        found = cursor.fetchone()
        before = found[0] if found else 0
        trigger = None
        if len(rows) >= BULK_FTS_ROWS:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (_FTS_TRIGGER,))
            found = cursor.fetchone()
            trigger = found[0] if found else None
        if trigger:
            cursor.execute(f"DROP TRIGGER {_FTS_TRIGGER}")
        cursor.executemany(_SQLITE_INSERT, [_sqlite_values(row) for row in rows])
        if trigger:
            cursor.execute(_FTS_FILL, (before,))
            cursor.execute(trigger)
        cursor.execute("SELECT id, source_id, dedup_key FROM items WHERE id > ? ORDER BY id", (before,))
        return [(int(r[0]), int(r[1]), str(r[2])) for r in cursor.fetchall()]
    finally:
        cursor.close()


_TIME_COLUMNS = (_COLUMNS.index("created_at"), _COLUMNS.index("ingested_at"), _COLUMNS.index("responded_at"))
_RAW_COLUMN = _COLUMNS.index("raw")


def _sqlite_values(row: dict[str, Any]) -> list[Any]:
    values = [row[name] for name in _COLUMNS]
    for index in _TIME_COLUMNS:
        values[index] = _sqlite_time(values[index])
    values[_RAW_COLUMN] = row["raw_json"]
    return values


def _sqlite_time(value: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DATETIME storage format, naive UTC (see voxpop.store.types.UtcDateTime).
    if value is None:
        return None
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _link_customers(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Set ``customer_id`` from ``author_email``, creating the customers not seen before."""
    emails = {row["author_email"] for row in rows if row.get("author_email")}
    if emails:
        table = cast(Table, Customer.__table__)
        now = datetime.now(UTC)
        new = [{"email": e, "handles": {}, "attributes": {}, "created_at": now} for e in sorted(emails)]
        if session.connection().dialect.name == "sqlite":
            session.execute(sqlite.insert(table).on_conflict_do_nothing(index_elements=["email"]), new)
        else:
            session.execute(postgresql.insert(table).on_conflict_do_nothing(index_elements=["email"]), new)
        found = session.execute(select(table.c.email, table.c.id).where(table.c.email.in_(emails)))
        ids: dict[str, int] = {row.email: row.id for row in found}
        for row in rows:
            if row.get("author_email"):
                row["customer_id"] = ids[row["author_email"]]
