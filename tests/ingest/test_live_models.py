"""The live sources' tables (migration 0010) match their models on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from voxpop.store import Store
from voxpop.store.migrate import include_object
from voxpop.store.models import Base

MINE = {"source_state", "source_events", "webhook_deliveries"}


def _tables(entry: object) -> set[str]:
    found: set[str] = set()
    if isinstance(entry, list):
        for inner in entry:
            found |= _tables(inner)
    elif isinstance(entry, tuple):
        for part in entry:
            name = getattr(part, "name", None) if not isinstance(part, str) else part
            table = getattr(part, "table", None)
            if isinstance(name, str):
                found.add(name)
            if table is not None:
                found.add(table.name)
    return found


def test_live_source_tables_match_models(store: Store) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(ctx, Base.metadata)
    mine = [entry for entry in diff if _tables(entry) & MINE]
    assert mine == [], f"models and migration 0010 disagree: {mine}"
    with store.engine.connect() as conn:
        names = set(conn.dialect.get_table_names(conn))
    assert names >= MINE
