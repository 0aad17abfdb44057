"""Resilience: an enricher failing on one item marks that item (the error stored and shown on its page)
and the rest of the batch is analysed; a locked SQLite database (another connection holding the write
lock beyond the busy timeout) and a full one (``PRAGMA max_page_count``, SQLite's SQLITE_FULL) give a
clear error from ``voxpop ingest`` and from the API, lose nothing already stored and write nothing half.
Graceful shutdown of ``voxpop worker`` and ``voxpop serve`` is tested in ``test_graceful_shutdown.py``."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.ingest.helpers import count_items, snapshot, write_csv
from tests.web.conftest import World, add_item, login
from voxpop.analyze.pipeline import Analyzer
from voxpop.analyze.registry import AnalysisContext, Batch, Registry
from voxpop.cli import app as cli_app
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.web.app import create_app
from voxpop.workers.analysis import analyze_resiliently, pending_ids


class Bomb:
    """An enricher that cannot cope with one text (any text holding BOOM) and labels the others."""

    name = "bomb"
    requires: tuple[str, ...] = ()
    scope = "item"
    needs_embeddings = False

    def __init__(self, context: AnalysisContext) -> None:
        self.context = context

    def enrich(self, batch: Batch) -> None:
        for result, text in zip(batch.results, batch.texts, strict=True):
            if "BOOM" in text:
                raise RuntimeError("the bomb enricher cannot read this text")
            result["sentiment"] = "positive"
            result["sentiment_score"] = 0.5


def test_one_failing_item_is_marked_and_the_rest_of_the_batch_is_analysed(
    app_client: TestClient, world: World, store: Store
) -> None:
    ids = [
        add_item(store, world.reviews, minutes=i, text=f"Review {i}" + (" BOOM" if i == 2 else "")) for i in range(5)
    ]
    registry = Registry()
    registry.register(Bomb)
    analyzer = Analyzer(store.settings, registry=registry)
    failed = analyze_resiliently(store, ids, analyzer, stamp={"taxonomy": "t1"})
    assert failed == [ids[2]]
    with store.read() as s:
        items = {i.id: i for i in s.scalars(select(Item).where(Item.id.in_(ids)))}
    for item_id in ids:
        item = items[item_id]
        assert item.analyzed_at is not None  # the failed one too: it is not retried on every start
        if item_id == ids[2]:
            assert item.sentiment is None
            assert item.analysis is not None
            assert item.analysis["error"] == "RuntimeError: the bomb enricher cannot read this text"
        else:
            assert item.sentiment == "positive"
            assert "error" not in (item.analysis or {})
    assert ids[2] not in pending_ids(store)
    login(app_client, "admin@example.com")
    page = app_client.get(f"/items/{ids[2]}")
    assert "The analysis failed on this item: RuntimeError: the bomb enricher cannot read this text" in page.text
    assert "The analysis failed" not in app_client.get(f"/items/{ids[0]}").text


# A locked or page-limited database file is SQLite's failure mode: these run on SQLite only (not skipped
# on PostgreSQL, simply not collected for it).
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


def _db_path(settings: Settings) -> str:
    database = make_url(settings.database_url).database
    assert database
    return database


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("VOXPOP_HOME", str(settings.home))
    monkeypatch.setenv("VOXPOP_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("VOXPOP_SECRET_KEY", settings.secret())
    monkeypatch.setenv("VOXPOP_SQLITE_BUSY_TIMEOUT_MS", "300")
    monkeypatch.setenv("VOXPOP_ANALYZE_ON_INGEST", "false")
    return CliRunner()


def _reviews(path: Path, start: int, n: int, size: int = 20) -> Path:
    return write_csv(path, ["id", "text"], [[f"r{i}", f"Review {i} " + "x" * size] for i in range(start, start + n)])


def _output(result: Any) -> str:
    return str(result.output) + str(getattr(result, "stderr", "") or "")


@contextmanager
def _write_lock_held(settings: Settings) -> Iterator[None]:
    holder = sqlite3.connect(_db_path(settings), timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@contextmanager
def _api(settings: Settings) -> Iterator[tuple[TestClient, str]]:
    """An app on its own store (new connections, so they see the test's limits) and a writer's token."""
    from voxpop.accounts.tokens import create_token
    from voxpop.accounts.users import get_user_by_email

    store = Store(settings, migrate=False)
    with store.write() as s:
        admin = get_user_by_email(s, "admin@example.com")
        assert admin is not None
        token = create_token(s, admin, name="resilience", scopes=["items:read", "items:write"])
    try:
        with TestClient(create_app(settings, store), base_url="http://testserver") as client:
            yield client, token
    finally:
        store.dispose()


@SQLITE_ONLY
def test_a_locked_database_gives_a_clear_error_and_loses_nothing(
    cli: CliRunner, world: World, store: Store, backend: str, tmp_path: Path
) -> None:
    first = cli.invoke(cli_app, ["ingest", str(_reviews(tmp_path / "a.csv", 0, 50))])
    assert first.exit_code == 0, _output(first)
    before = snapshot(store)
    settings = store.settings.model_copy(update={"sqlite_busy_timeout_ms": 300})
    with _api(settings) as (client, token):
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/items?limit=5", headers=bearer).status_code == 200  # the token's use noted
        with _write_lock_held(settings):
            result = cli.invoke(cli_app, ["ingest", str(_reviews(tmp_path / "b.csv", 50, 50))])
            response = client.post("/api/v1/items", json={"text": "Slow delivery"}, headers=bearer)
            reading = client.get("/api/v1/items?limit=5", headers=bearer)
    assert result.exit_code == 1, _output(result)
    assert "error: the database is busy" in _output(result)
    assert "Traceback" not in _output(result)
    assert response.status_code == 503, response.text
    assert "the database is busy" in response.json()["error"]
    assert response.headers["retry-after"] == "5"
    assert reading.status_code == 200  # readers are not blocked by a writer (WAL)
    assert snapshot(store) == before  # nothing lost, nothing half-written
    again = cli.invoke(cli_app, ["ingest", str(tmp_path / "b.csv")])
    assert again.exit_code == 0, _output(again)
    assert count_items(store) == 100


@SQLITE_ONLY
def test_a_full_database_gives_a_clear_error_and_loses_nothing(
    cli: CliRunner, world: World, store: Store, backend: str, tmp_path: Path
) -> None:
    first = cli.invoke(cli_app, ["ingest", str(_reviews(tmp_path / "a.csv", 0, 50))])
    assert first.exit_code == 0, _output(first)
    before = snapshot(store)
    with sqlite3.connect(_db_path(store.settings)) as probe:
        pages = int(probe.execute("PRAGMA page_count").fetchone()[0])

    def limit(dbapi_conn: Any, _record: Any) -> None:  # every new connection: the file may grow 8 pages
        dbapi_conn.execute(f"PRAGMA max_page_count={pages + 8}")

    big = _reviews(tmp_path / "big.csv", 50, 2000, size=2000)  # ~4 MB: far more than 8 pages
    with _api(store.settings) as (client, token):
        tokens_made = snapshot(store)
        event.listen(Engine, "connect", limit)
        try:
            result = cli.invoke(cli_app, ["ingest", str(big)])
            client.app.state.store.engine.dispose()  # the app's next connections get the limit too
            body = [{"text": f"Long review {i} " + "y" * 2000} for i in range(500)]
            response = client.post("/api/v1/items", json=body, headers={"Authorization": f"Bearer {token}"})
        finally:
            event.remove(Engine, "connect", limit)
    assert result.exit_code == 1, _output(result)
    assert "error: the database is full" in _output(result)
    assert "Traceback" not in _output(result)
    assert response.status_code == 503, response.text
    assert "the database is full" in response.json()["error"]
    assert snapshot(store) == before == tokens_made  # nothing lost, nothing half-written
    again = cli.invoke(cli_app, ["ingest", str(big)])  # room again: the same import now goes in whole
    assert again.exit_code == 0, _output(again)
    assert count_items(store) == 2050
