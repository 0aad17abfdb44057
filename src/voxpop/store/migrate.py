"""Bring a database to the newest schema with Alembic, from code.

Areas built side by side may each add a branch of migrations (a revision whose ``down_revision`` is an
older shared one); ``heads`` means all of them, and a merge revision joins them again (0012 did).
"""

from __future__ import annotations

import threading
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

# Every ``Store`` migrates when it opens, and ``voxpop serve`` opens several at once (the app, the
# catch-up, alerts, poller and topics threads), as do workers starting beside a server on one PostgreSQL.
# One migration at a time: a lock per process, a transaction-scoped advisory lock across PostgreSQL
# clients, and the revisions read again once the lock is held, so the second comer finds nothing to do.
_MIGRATING = threading.Lock()
_PG_MIGRATION_LOCK = 0x766F78706F70  # "voxpop"


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Hide the hand-written full-text objects (FTS5 tables, the GIN index) from autogenerate."""
    return not (name or "").startswith(("items_fts", "ix_items_fts"))


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("voxpop.store") / "migrations"))
    return cfg


def head_revisions() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions(engine: Engine) -> frozenset[str]:
    with engine.connect() as conn:
        return frozenset(MigrationContext.configure(conn).get_current_heads())


def upgrade(engine: Engine, revision: str = "heads") -> bool:
    """Migrate to ``revision`` (every branch's newest by default); returns whether anything was done."""
    if revision in ("head", "heads") and current_revisions(engine) == head_revisions():
        return False
    cfg = alembic_config()
    with _MIGRATING, engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        current = frozenset(MigrationContext.configure(conn).get_current_heads())
        if revision in ("head", "heads") and current == head_revisions():
            return False
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return True


def downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
