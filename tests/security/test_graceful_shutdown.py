"""Graceful shutdown, with real subprocesses: SIGTERM to ``voxpop worker`` lets the batch in hand finish
and returns the messages it had not started to the queue (Dramatiq requeues them), so another worker
does the rest and nothing is lost or done twice; SIGTERM to ``voxpop serve`` (the inline executor)
finishes the analysis of the request in flight, or leaves its items pending — never half-written — for
the catch-up the next start runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from tests.servers import free_port
from tests.workers.test_scale_out import _analysed, _start_worker, _stop, _texts, _wait, scale_settings
from voxpop.accounts.tokens import create_token
from voxpop.accounts.users import create_user
from voxpop.analyze.embeddings import get_embedder
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import get_or_create_source, write_batch
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.workers.pipeline import run_pipeline
from voxpop.workers.queue import DramatiqExecutor, queue_depth, queue_name
from voxpop.workers.stats import totals
from voxpop.workers.worker import parked

__all__ = ["scale_settings"]
ITEMS = 1_000
CHUNK = 50


def test_sigterm_to_a_worker_finishes_its_batch_and_requeues_the_rest(scale_settings: Settings, tmp_path: Path) -> None:
    get_embedder(scale_settings)  # derive the int8 model once, before the workers would
    store = Store(scale_settings)
    with store.write() as session:
        source = get_or_create_source(session, "load", kind="file", channel="google")
        ids = write_batch(session, source, [ItemRecord(text=t) for t in _texts(ITEMS)]).added_ids
    logs = tmp_path / "first.log", tmp_path / "second.log"
    first = _start_worker(scale_settings, logs[0])
    second = None
    try:
        executor = DramatiqExecutor(scale_settings)
        for start in range(0, ITEMS, CHUNK):
            run_pipeline(executor, ids[start : start + CHUNK])
        _wait(lambda: _analysed(store) >= 2 * CHUNK, "the first batches", logs)
        # To the main process only, as systemd's KillMode=mixed does (docs/deploy): it passes SIGTERM on to
        # its worker process once. Signalled twice (the whole group, KillMode=control-group), the worker
        # process would kill its batch in flight, which is then redelivered and done twice.
        first.send_signal(signal.SIGTERM)
        first.wait(timeout=600)  # a guard against hanging: the batch in hand may take a while to finish
        assert first.returncode == 0, logs[0].read_text()[-3000:]
        assert "Killing worker process" not in logs[0].read_text()
        stopped_at = _analysed(store)
        assert stopped_at < ITEMS, "the run was over before the SIGTERM; the test proves nothing"
        assert stopped_at % CHUNK == 0, "a batch was left half-analysed"
        queue = queue_name(scale_settings)
        assert queue_depth(executor.broker, queue) > 0  # what it had not started went back to the queue
        second = _start_worker(scale_settings, logs[1])
        _wait(lambda: _analysed(store) == ITEMS, "every item analysed by the second worker", logs)
        _wait(lambda: queue_depth(executor.broker, queue) == 0, "the queue to drain", logs)
    finally:
        _stop(first, signal.SIGKILL)
        if second is not None:
            _stop(second, signal.SIGTERM)
    assert parked(store) == []
    assert totals(store)["analyze"]["items"] == ITEMS  # each batch analysed once: finished or returned
    store.dispose()


def _serve(settings: Settings, models: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOXPOP_")}
    env.update(
        VOXPOP_HOME=str(settings.home),
        VOXPOP_DATABASE_URL=settings.database_url,
        VOXPOP_SECRET_KEY=settings.secret_key.get_secret_value(),
        VOXPOP_MODEL_DIR=str(models),
        VOXPOP_BASE_URL=f"http://127.0.0.1:{port}",
    )
    command = [sys.executable, "-m", "voxpop", "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def _up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 300  # a guard against hanging, not a speed assertion
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
        assert process.poll() is None, log.read_text()
    raise AssertionError("voxpop serve did not start: " + log.read_text())


def _states(store: Store) -> tuple[int, int, int]:
    """(analysed with a sentiment, untouched and pending, anything else: half-written)."""
    with store.read() as s:
        done = s.scalar(
            select(func.count()).select_from(Item).where(Item.analyzed_at.is_not(None), Item.sentiment.is_not(None))
        )
        pending = s.scalar(
            select(func.count()).select_from(Item).where(Item.analyzed_at.is_(None), Item.sentiment.is_(None))
        )
        total = s.scalar(select(func.count()).select_from(Item))
    return int(done or 0), int(pending or 0), int(total or 0) - int(done or 0) - int(pending or 0)


def test_sigterm_to_serve_finishes_or_leaves_pending_and_the_next_start_catches_up(
    settings: Settings, models_home: Path, tmp_path: Path
) -> None:
    models = models_home / "models"
    get_embedder(settings.model_copy(update={"model_dir": models}))
    store = Store(settings)
    with store.write() as s:
        admin = create_user(s, email="admin@example.com", password="correct horse battery", role="admin")
        token = create_token(s, admin, name="shutdown", scopes=["items:write"])
    port = free_port()
    url, log = f"http://127.0.0.1:{port}", tmp_path / "serve.log"
    server = _serve(settings, models, port, log)
    try:
        _up(url, server, log)
        body = [{"text": t, "external_id": f"s{i}"} for i, t in enumerate(_texts(300))]
        posted = httpx.post(f"{url}/api/v1/items", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        assert posted.status_code == 201, posted.text
        server.send_signal(signal.SIGTERM)  # while the request's analysis runs after its response
        # uvicorn shuts down gracefully, then re-raises the signal so the exit status says what stopped it.
        assert server.wait(timeout=300) in (0, -signal.SIGTERM), log.read_text()[-3000:]
        assert "Finished server process" in log.read_text()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    done, pending, half = _states(store)
    assert half == 0, "an item was left half-analysed"
    assert done + pending == 300
    if pending:  # not finished before the exit: the next start's catch-up analyses what was left
        again = _serve(settings, models, port, log)
        try:
            _up(url, again, log)
            deadline = time.monotonic() + 600
            while _states(store)[0] < 300 and time.monotonic() < deadline:
                time.sleep(0.5)
        finally:
            again.send_signal(signal.SIGTERM)
            again.wait(timeout=300)
    assert _states(store) == (300, 0, 0)
    store.dispose()
