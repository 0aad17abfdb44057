"""The migrations build exactly the schema the models describe, on both backends, and run both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from voxpop.store import Store
from voxpop.store.migrate import current_revisions, downgrade, head_revisions, include_object, upgrade
from voxpop.store.models import Base


def test_models_match_migrations(store: Store) -> None:
    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"include_object": include_object})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    assert current_revisions(store.engine) == head_revisions()


def test_downgrade_to_base_and_back(store: Store) -> None:
    downgrade(store.engine, "base")
    assert "items" not in inspect(store.engine).get_table_names()
    assert upgrade(store.engine) is True
    assert {"items", "users", "sources", "api_tokens"} <= set(inspect(store.engine).get_table_names())
    assert upgrade(store.engine) is False


def test_sqlite_pragmas(store: Store) -> None:
    if store.dialect != "sqlite":
        return
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == store.settings.sqlite_busy_timeout_ms


def test_stores_opened_at_once_migrate_once(store: Store) -> None:
    """``voxpop serve`` opens several stores at once on start (app, catch-up, alerts, poller, topics):
    on a database a version behind, exactly one of them migrates and none fails."""
    import threading

    downgrade(store.engine, "0012")
    assert current_revisions(store.engine) != head_revisions()
    results: list[bool] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_store() -> None:
        try:
            barrier.wait()
            opened = Store(store.settings, migrate=False)
            try:
                results.append(opened.migrate())
            finally:
                opened.dispose()
        except BaseException as exc:  # every failure is reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [False, False, False, True]
    assert current_revisions(store.engine) == head_revisions()
