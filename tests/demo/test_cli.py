"""``voxpop demo`` end to end: its own SQLite store under <home>/demo, reused unless --reset, then served."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from voxpop.cli import app
from voxpop.demo.features import IDEAS, SURVEY_ANSWERS
from voxpop.demo.installer import demo_settings
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item, User
from voxpop.store.models.topics import ItemTopic

runner = CliRunner()
EXTRA = len(SURVEY_ANSWERS) + len(IDEAS)  # the survey's answers and the idea board's ideas are items too


def _home() -> Path:
    return Path(os.environ["VOXPOP_HOME"])


def _count(model: type[Item] | type[User]) -> int:
    store = Store(demo_settings(Settings()))
    try:
        with store.read() as session:
            return int(session.scalar(select(func.count(model.id))) or 0)
    finally:
        store.dispose()


def _password(output: str) -> str:
    match = re.search(r"Password: (\S+)", output)
    assert match, output
    return match.group(1)


def test_demo_creates_its_own_store_and_reuses_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # A database URL that would fail if the demo used it: the demo must not touch the user's database.
    monkeypatch.setenv("VOXPOP_DATABASE_URL", "postgresql+psycopg://nobody@/not_the_demo?host=/nonexistent")
    first = runner.invoke(app, ["demo", "--no-serve", "--no-analyze", "--items", "300"])
    assert first.exit_code == 0, first.output
    assert "demo@voxpop.local" in first.output
    assert "delivery@voxpop.local" in first.output
    assert "Added 300 items" in first.output
    assert "What happened at Crumb & Kettle" in first.output
    password = _password(first.output)
    assert (_home() / "demo" / "voxpop.db").is_file()
    assert not (_home() / "voxpop.db").exists()
    login_file = _home() / "demo" / "demo-login.txt"
    assert oct(login_file.stat().st_mode & 0o777) == "0o600"
    assert password in login_file.read_text()
    assert "3 routing rules" in first.output
    assert "agent replies" in first.output
    assert _count(Item) == 300 + EXTRA
    users = _count(User)

    second = runner.invoke(app, ["demo", "--no-serve", "--no-analyze", "--items", "300"])
    assert second.exit_code == 0, second.output
    assert "Using the existing demo" in second.output
    assert _password(second.output) == password
    assert "routing rules" not in second.output  # nothing is added twice
    assert (_count(Item), _count(User)) == (300 + EXTRA, users)

    fresh = runner.invoke(app, ["demo", "--no-serve", "--no-analyze", "--reset", "--items", "350"])
    assert fresh.exit_code == 0, fresh.output
    assert _count(Item) == 350 + EXTRA
    assert _password(fresh.output) != password


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_demo_serves_the_web_ui_and_the_login_works(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "VOXPOP_HOME": str(tmp_path / "home")}
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "voxpop", "demo", "--no-analyze", "--items", "300", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=5) as client:
            page = None
            for _ in range(240):
                try:
                    page = client.get("/login")
                    break
                except httpx.TransportError:
                    assert process.poll() is None, (tmp_path / "demo.log").read_text()
                    time.sleep(0.5)
            assert page is not None
            assert page.status_code == 200
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token
            password = _password((tmp_path / "demo.log").read_text())
            inbox = client.post(
                "/login",
                data={"email": "demo@voxpop.local", "password": password, "csrf_token": token.group(1)},
                follow_redirects=True,
            )
            assert inbox.status_code == 200
            assert inbox.url.path == "/inbox"
            assert re.search(r"Old Town|Riverside|Northgate|Station Square|crumbandkettle", inbox.text)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.mark.slow
def test_demo_analyses_its_items() -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--items", "300"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    assert "alerts fired on the demo's history" in result.output
    assert "alert destination" not in result.output  # no delivery warning per batch over the progress bar
    assert "topics found" in result.output
    store = Store(demo_settings(Settings()))
    try:
        with store.read() as session:
            items = list(session.scalars(select(Item)))
            placed = session.scalar(select(func.count(ItemTopic.item_id)).where(ItemTopic.topic_id.is_not(None)))
            # Its Topics page has topics before voxpop serve's first refresh. How many of the items a fit places
            # depends on the CPU (onnxruntime's int8 kernels move the vectors slightly): 149 of 315 on an AVX-512
            # machine, more than half on an AVX2 one; bench_topics.py measures the coverage itself.
            assert (placed or 0) > 300 // 3
    finally:
        store.dispose()
    assert len(items) == 300 + EXTRA
    assert all(i.analyzed_at is not None and i.sentiment is not None for i in items)
    # The viral complaint is the most urgent item the demo has.
    most_urgent = max(items, key=lambda i: i.urgency or 0)
    assert (most_urgent.reach_followers or 0) > 50_000
