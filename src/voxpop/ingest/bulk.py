"""Getting prepared item rows into the database fast, with ``ON CONFLICT (source_id, dedup_key) DO NOTHING``.

Small batches (one API post) go through plain statements; large ones (file imports) take each backend's
bulk path: on SQLite the DB-API ``executemany`` with a set-based fill of the full-text index, on
PostgreSQL ``COPY`` into a temporary table and one ``INSERT … SELECT``. Both run inside the caller's
transaction and return the ids actually inserted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from operator import itemgetter
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


# The SQLite row triggers on inserts into items, each with the set-based statement that does its work for a
# whole batch (the rows with ids above ``?``): the full-text index (migration 0001) and the roll-ups'
# dirty-day queue (0006; one row per distinct day instead of one per item).
_BULK_TRIGGERS = {
    "items_fts_ai": "INSERT INTO items_fts(rowid, title, text, author_name) "
    "SELECT id, title, text, author_name FROM items WHERE id > ?",
    "measure_items_ai": "INSERT INTO measure_dirty(day) SELECT DISTINCT date(created_at) FROM items WHERE id > ?",
}
_FIND_TRIGGERS = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "  # noqa: S608 (constant names)
    f"AND name IN ({', '.join('?' * len(_BULK_TRIGGERS))})"
)
BULK_TRIGGER_ROWS = 1000
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

    For a large batch the per-row insert triggers (full-text index, dirty days) are replaced by one
    INSERT … SELECT each (the full-text fill is about twice as fast; the dirty-day trigger alone cost about
    a quarter of this function's time): they are dropped and re-created from their own stored SQL inside
    the same transaction, so no other connection ever sees the schema without them, and a failure or a
    kill rolls everything back together.
    """
    dbapi = session.connection().connection.dbapi_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    try:
        cursor.execute("SELECT coalesce(max(id), 0) FROM items")
        found = cursor.fetchone()
        before = found[0] if found else 0
        triggers: list[tuple[str, str]] = []
        if len(rows) >= BULK_TRIGGER_ROWS:
            cursor.execute(_FIND_TRIGGERS, tuple(_BULK_TRIGGERS))
            triggers = [(str(name), str(sql)) for name, sql in cursor.fetchall()]
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {name}")  # a name from _BULK_TRIGGERS
        cursor.executemany(_SQLITE_INSERT, _sqlite_values(rows))
        for name, sql in triggers:
            cursor.execute(_BULK_TRIGGERS[name], (before,))
            cursor.execute(sql)
        cursor.execute("SELECT id, source_id, dedup_key FROM items WHERE id > ? ORDER BY id", (before,))
        return [(int(r[0]), int(r[1]), str(r[2])) for r in cursor.fetchall()]
    finally:
        cursor.close()


_TIME_COLUMNS = (_COLUMNS.index("created_at"), _COLUMNS.index("ingested_at"), _COLUMNS.index("responded_at"))
_RAW_COLUMN = _COLUMNS.index("raw")


_GET_COLUMNS = itemgetter(*_COLUMNS)


def _sqlite_values(rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """The rows as parameter lists. Each distinct timestamp is encoded once (a batch shares one
    ``ingested_at``); this runs on the writing thread, which is the import's bottleneck."""
    encoded: dict[datetime, str | None] = {}
    out = []
    for row in rows:
        values = list(_GET_COLUMNS(row))
        for index in _TIME_COLUMNS:
            value = values[index]
            if value is not None:
                text = encoded.get(value)
                if text is None:
                    text = encoded[value] = _sqlite_time(value)
                values[index] = text
        values[_RAW_COLUMN] = row["raw_json"]
        out.append(values)
    return out


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
