"""Consistent backups of the whole store, and restoring them.

* SQLite: the online backup API copies a consistent snapshot page by page while voxpop keeps running
  (readers and writers are not stopped); restore copies the snapshot back the same way, inside the
  database's own locking, so no half-restored file is ever visible.
* PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot in one transaction) and
  ``pg_restore --clean --single-transaction`` (all or nothing). The password goes through the
  environment, never the command line.

After a restore the schema is migrated, so a backup from an older voxpop opens in a newer one.
:func:`fingerprint` (row counts and a checksum per table) proves a round trip returns the same store.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url

from voxpop.errors import ValidationError, VoxpopError
from voxpop.store import Store
from voxpop.store.models import Base

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(VoxpopError):
    pass


def default_name(store: Store, now: datetime) -> str:
    suffix = "sqlite3" if store.dialect == "sqlite" else "pgdump"
    return f"voxpop-{now:%Y%m%d-%H%M%S}.{suffix}"


def backup(store: Store, target: Path) -> Path:
    """Write a consistent snapshot of the store to ``target`` (which must not exist yet)."""
    if target.exists():
        raise ValidationError(f"{target}: already exists; choose another file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if store.dialect == "sqlite":
            _sqlite_backup(store, partial)
        else:
            _pg_dump(store, partial)
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def restore(store: Store, source: Path) -> None:
    """Replace the store's whole content with the backup in ``source``, then migrate it."""
    if not source.is_file():
        raise ValidationError(f"{source}: no such backup file")
    with source.open("rb") as handle:
        head = handle.read(16)
    if store.dialect == "sqlite":
        if head != SQLITE_MAGIC:
            raise ValidationError(f"{source}: not a SQLite backup (this store is SQLite)")
        _sqlite_restore(store, source)
    else:
        if not head.startswith(PG_MAGIC):
            raise ValidationError(f"{source}: not a pg_dump custom-format backup (this store is PostgreSQL)")
        _pg_restore(store, source)
    store.dispose()
    store.migrate()


def _sqlite_backup(store: Store, target: Path) -> None:
    raw = store.engine.raw_connection()
    try:
        source: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
        destination = sqlite3.connect(target)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        raw.close()


def _sqlite_restore(store: Store, source_path: Path) -> None:
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    try:
        check = source.execute("PRAGMA integrity_check").fetchone()
        problem = None if check and check[0] == "ok" else (check[0] if check else "unreadable")
    except sqlite3.DatabaseError as exc:
        problem = str(exc)
    if problem is not None:
        source.close()
        raise ValidationError(f"{source_path}: the backup is damaged ({problem}); nothing was restored")
    store.dispose()
    raw = store.engine.raw_connection()
    try:
        destination: sqlite3.Connection = raw.driver_connection  # type: ignore[assignment]
        source.backup(destination)
    finally:
        raw.close()
        source.close()
    store.dispose()


def _libpq(store: Store) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore, and the environment carrying the password."""
    url = make_url(store.settings.database_url)
    args: list[str] = []
    host = url.host or str(url.query.get("host") or "")
    if host:
        args += ["--host", host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    args += ["--dbname", str(url.database)]
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed (it comes with the PostgreSQL client tools)") from exc
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")


def _pg_dump(store: Store, target: Path) -> None:
    args, env = _libpq(store)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(target), *args], env)


def _pg_restore(store: Store, source: Path) -> None:
    store.dispose()
    args, env = _libpq(store)
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]
    _run([*command, *args, str(source)], env)


def _canonical(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, float):
        return repr(value)
    return value


def fingerprint(store: Store) -> dict[str, tuple[int, str]]:
    """Per table: the row count and a SHA-256 over every row in primary-key order."""
    out: dict[str, tuple[int, str]] = {}
    with store.read() as session:
        for table in Base.metadata.sorted_tables:
            digest = hashlib.sha256()
            count = 0
            query = select(table).order_by(*table.primary_key.columns)
            for row in session.execute(query):
                digest.update(json.dumps([_canonical(v) for v in row], sort_keys=True, default=str).encode())
                count += 1
            out[table.name] = (count, digest.hexdigest())
    return out
