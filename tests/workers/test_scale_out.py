"""Real Dramatiq workers (subprocesses) over the local Redis and PostgreSQL: 2,000 items fed, one
worker SIGKILLed mid-run, and every item still analysed exactly once in effect."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from tests.conftest import SECRET
from voxpop.analyze.embeddings import get_embedder
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.measure.rollups import is_pending
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.models.measure import DailyCell
from voxpop.workers.pipeline import run_pipeline
from voxpop.workers.queue import DramatiqExecutor, queue_depth, queue_name
from voxpop.workers.stats import totals
from voxpop.workers.worker import parked

REDIS_URL = os.environ.get("VOXPOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ITEMS = 2_000
CHUNK = 50
WORDS = ["late", "cold", "friendly", "rude", "refund", "lovely", "broken", "quick", "dirty", "great"]


def _texts(n: int) -> list[str]:
    return [f"Order {i}: the delivery was {WORDS[i % 10]} and the staff {WORDS[(i * 7) % 10]}." for i in range(n)]


def _wait(condition, what: str, logs: tuple[Path, ...], timeout: float = 600) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout  # a guard against hanging, not a speed assertion
    while not condition():
        if time.monotonic() > deadline:
            tails = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in logs if p.exists())
            raise AssertionError(f"gave up waiting for {what}\n{tails}")
        time.sleep(0.2)


def _settings(pg_url: str, tmp_path: Path, models_home: Path, broker_url: str) -> Settings:
    return Settings(
        home=tmp_path / "home",
        database_url=pg_url,
        secret_key=SECRET,
        model_dir=models_home / "models",
        broker_url=broker_url,
        broker_namespace=f"voxpop-test-{uuid.uuid4().hex[:10]}",
        broker_heartbeat_ms=2000,
        broker_maintenance_chance=1_000_000,
        queue_max_depth=10_000,
    )


@pytest.fixture
def scale_settings(pg_url: str, tmp_path: Path, models_home: Path) -> Iterator[Settings]:
    from tests.conftest import _empty_postgres

    _empty_postgres(pg_url)
    settings = _settings(pg_url, tmp_path, models_home, REDIS_URL)
    yield settings
    client = redis.Redis.from_url(REDIS_URL)
    keys = list(client.scan_iter(f"{settings.broker_namespace}*"))
    if keys:
        client.delete(*keys)


def _start_worker(settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOXPOP_") or k.startswith("VOXPOP_TEST_")}
    env.update(
        VOXPOP_HOME=str(settings.home),
        VOXPOP_DATABASE_URL=settings.database_url,
        VOXPOP_SECRET_KEY=SECRET,
        VOXPOP_MODEL_DIR=str(settings.model_dir),
        VOXPOP_BROKER_URL=settings.broker_url,
        VOXPOP_BROKER_NAMESPACE=settings.broker_namespace,
        VOXPOP_BROKER_HEARTBEAT_MS=str(settings.broker_heartbeat_ms),
        VOXPOP_BROKER_MAINTENANCE_CHANCE=str(settings.broker_maintenance_chance),
    )
    command = [sys.executable, "-m", "voxpop", "worker", "--processes", "1", "--threads", "1"]
    # A session of its own, so the master and its worker process die together.
    # Output to a file: a pipe nobody reads fills up and blocks the worker.
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, start_new_session=True, stdout=out, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _rollups_pending(store: Store) -> bool:
    with store.read() as session:
        return is_pending(session)


def _analysed(store: Store) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.count()).select_from(Item).where(Item.analyzed_at.is_not(None))) or 0)


def test_a_killed_worker_loses_nothing_and_doubles_nothing(scale_settings: Settings, tmp_path: Path) -> None:
    get_embedder(scale_settings)  # derive the int8 model once, before two workers would race to
    store = Store(scale_settings)
    with store.write() as session:
        source = get_or_create_source(session, "load", kind="file", channel="google")
        ids = write_batch(session, source, [ItemRecord(text=t) for t in _texts(ITEMS)]).added_ids
    assert len(ids) == ITEMS

    logs = tmp_path / "doomed.log", tmp_path / "survivor.log"
    doomed, survivor = _start_worker(scale_settings, logs[0]), _start_worker(scale_settings, logs[1])
    try:
        executor = DramatiqExecutor(scale_settings)
        for start in range(0, ITEMS, CHUNK):
            run_pipeline(executor, ids[start : start + CHUNK])
        _wait(lambda: _analysed(store) >= 6 * CHUNK, "the first batches", logs)
        assert doomed.poll() is None, logs[0].read_text()[-3000:]
        _stop(doomed, signal.SIGKILL)  # mid-run: it holds unacknowledged messages
        assert _analysed(store) < ITEMS, "the run was over before the kill; the test proves nothing"
        _wait(lambda: _analysed(store) == ITEMS, "every item analysed after the kill", logs)
        queue = queue_name(scale_settings)
        _wait(lambda: queue_depth(executor.broker, queue) == 0, "the queue to drain", logs)
        # The roll-up stage is sent with a delay and shared by the batches waiting for it.
        _wait(lambda: not _rollups_pending(store), "the roll-ups to catch up", logs)
    finally:
        _stop(doomed, signal.SIGKILL)
        _stop(survivor, signal.SIGTERM)

    with store.read() as session:
        rows = session.execute(select(Item.id, Item.sentiment, Item.analyzed_at)).all()
    assert len(rows) == ITEMS  # nothing added twice
    assert sorted(r.id for r in rows) == sorted(ids)
    assert all(r.sentiment in {"negative", "neutral", "positive"} for r in rows)
    assert parked(store) == []
    # At-least-once underneath (the killed worker's batches ran again), once in effect above.
    assert totals(store)["analyze"]["items"] >= ITEMS
    with store.read() as session:
        rolled_up = session.scalar(select(func.sum(DailyCell.volume)).where(DailyCell.dimension == "all"))
        positive = session.scalar(select(func.sum(DailyCell.positive)).where(DailyCell.dimension == "all"))
    assert rolled_up == ITEMS
    assert positive == sum(r.sentiment == "positive" for r in rows)  # rolled up after the analysis
    store.dispose()


class PrivateRedis:
    """A redis-server of the test's own (so it can be restarted), persisting to an append-only file."""

    def __init__(self, folder: Path) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.folder = folder
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder)]
        command += ["--appendonly", "yes", "--appendfsync", "always", "--save", ""]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        _wait(lambda: _pings(client), "redis to start", ())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def test_the_pipeline_recovers_from_a_redis_restart(pg_url: str, tmp_path: Path, models_home: Path) -> None:
    from tests.conftest import _empty_postgres

    _empty_postgres(pg_url)
    server = PrivateRedis(tmp_path)
    server.start()
    settings = _settings(pg_url, tmp_path, models_home, server.url)
    get_embedder(settings)
    store = Store(settings)
    with store.write() as session:
        source = get_or_create_source(session, "load", kind="file", channel="google")
        ids = write_batch(session, source, [ItemRecord(text=t) for t in _texts(400)]).added_ids
    log = tmp_path / "worker.log"
    worker = _start_worker(settings, log)
    try:
        executor = DramatiqExecutor(settings)
        for start in range(0, 200, CHUNK):
            run_pipeline(executor, ids[start : start + CHUNK])
        server.stop()  # messages still queued survive in the append-only file
        server.start()
        for start in range(200, 400, CHUNK):
            run_pipeline(executor, ids[start : start + CHUNK])
        _wait(lambda: _analysed(store) == 400, "every item analysed after the restart", (log,))
    finally:
        _stop(worker, signal.SIGTERM)
        server.stop()
    assert parked(store) == []
    store.dispose()


def test_producers_wait_while_the_queue_is_full(tmp_path: Path) -> None:
    """Back-pressure: with no worker consuming, the fourth batch waits until there is room again."""
    import threading

    settings = Settings(
        home=tmp_path,
        broker_url=REDIS_URL,
        broker_namespace=f"voxpop-test-{uuid.uuid4().hex[:10]}",
        queue_max_depth=3,
    )
    executor = DramatiqExecutor(settings)
    queue = queue_name(settings)
    try:
        for i in range(3):
            executor.submit("analyze", [i])
        assert queue_depth(executor.broker, queue) == 3
        sent = threading.Event()
        producer = threading.Thread(target=lambda: (executor.submit("analyze", [99]), sent.set()), daemon=True)
        producer.start()
        assert not sent.wait(1.0), "a producer must wait while the queue is full"
        assert queue_depth(executor.broker, queue) == 3
        executor.broker.flush(queue)  # a worker catching up
        assert sent.wait(30), "the producer did not resume once there was room"
        assert queue_depth(executor.broker, queue) == 1
    finally:
        executor.broker.flush(queue)
