"""What to tell the user when the database itself refuses work: locked by another process beyond the busy
timeout, or full. The unit of work that hit it was rolled back whole (``session_scope``), so the message
can promise that nothing of it was written; what was committed before stays."""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError

#: What a locked or full database raises: through SQLAlchemy, or straight from the sqlite3 driver (the
#: bulk insert of ``voxpop ingest`` uses the driver's cursor).
DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, sqlite3.OperationalError)

_LOCKED = ("database is locked", "database table is locked", "lock timeout", "could not obtain lock")
_FULL = ("database or disk is full", "no space left on device", "could not extend file", "disk full")


def unavailable_reason(exc: Exception) -> str | None:
    """One clear sentence for a locked or full database; None for any other error."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    text = str(orig if orig is not None else exc).lower()
    if any(marker in text for marker in _LOCKED):
        return (
            "the database is busy: another process has held its write lock for longer than the busy timeout "
            "(setting sqlite_busy_timeout_ms). Nothing of this operation was written; try again."
        )
    if any(marker in text for marker in _FULL):
        return (
            "the database is full (no space left for it on its disk, or its size limit reached). Nothing of "
            "this operation was written and what was stored before is intact; free space and try again."
        )
    return None
