"""Bring a database to the newest schema with Alembic, from code.

Areas built side by side may each add a branch of migrations (a revision whose ``down_revision`` is an
older shared one); ``heads`` means all of them, and a merge revision joins them again (0012 did).
"""

from __future__ import annotations

from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


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
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return True


def downgrade(engine: Engine, revision: str) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
