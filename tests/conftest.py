"""Fixtures shared by the whole suite.

Every test that takes ``settings`` or ``store`` runs twice: on SQLite (a fresh file copied from a
migrated template) and on PostgreSQL (a real server; one database per xdist worker, emptied between
tests). ``VOXPOP_TEST_BACKENDS=sqlite`` narrows a quick local run; CI runs both.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.servers import HttpSink, SmtpSink
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Base

# Rich wraps CLI output at the terminal's width, 80 columns when there is none (xdist, CI): wide enough that
# a test reading a table or a long path sees it whole. Set before any console is created.
os.environ["COLUMNS"] = "240"

BACKENDS = [b.strip() for b in os.environ.get("VOXPOP_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]
PG_ADMIN_URL = os.environ.get(
    "VOXPOP_TEST_POSTGRES_URL", "postgresql+psycopg://root@/postgres?host=/var/run/postgresql"
)
SECRET = "test-secret-key-0123456789abcdef"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own data folder or VOXPOP_* variables."""
    for key in list(os.environ):
        if key.startswith("VOXPOP_") and not key.startswith("VOXPOP_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("VOXPOP_HOME", str(tmp_path / "voxpop-home"))
    # Loading the models takes seconds: only the tests about analysis-after-ingest switch it on.
    monkeypatch.setenv("VOXPOP_ANALYZE_ON_INGEST", "false")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "voxpop.db"
    store = Store(Settings(home=path.parent, database_url=f"sqlite:///{path}", secret_key=SECRET))
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.dispose()
    return path


@pytest.fixture(scope="session")
def pg_url(worker_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated PostgreSQL database of this xdist worker's own."""
    # The process id keeps two test runs on one machine (two developers, or CI beside one) apart.
    name = f"voxpop_test_{worker_id}_{os.getpid()}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    store = Store(Settings(home=tmp_path_factory.mktemp("pg"), database_url=url, secret_key=SECRET))
    store.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    home = tmp_path / "voxpop-home"
    home.mkdir(exist_ok=True)
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copy(template, home / "voxpop.db")
        url = f"sqlite:///{home / 'voxpop.db'}"
    else:
        url = request.getfixturevalue("pg_url")
        _empty_postgres(url)
    return Settings(home=home, database_url=url, secret_key=SECRET)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    store = Store(settings)
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def models_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder whose ``models/`` holds the derived int8 embedding model, made once per worker and
    shared by every test that only *uses* the shipped models. A test that fits a model must save it in a
    folder of its own: a fitted model here would be picked up by every other test."""
    return tmp_path_factory.mktemp("models-home")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        raise RuntimeError(f"the shared datasets are expected at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1; ``settings.model_copy(update=smtp_server.settings_overrides())``
    points voxpop's mail at it, and ``smtp_server.messages`` holds what arrived."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def http_server() -> Iterator[HttpSink]:
    """A real HTTP server on 127.0.0.1 that records requests (``.requests``) and answers ``.routes``."""
    sink = HttpSink().start()
    yield sink
    sink.stop()
