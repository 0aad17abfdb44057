"""A real ``voxpop ingest`` process killed mid-import leaves the store consistent, and re-running the same
command completes the import without duplicates."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import ImportRun, Item

from .helpers import count_items, runs, write_csv

ROWS = 100_000  # big enough that no scheduler hiccup lets the import finish before the signal
BATCH = 500


def _command(path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "voxpop",
        "ingest",
        str(path),
        "--source",
        "big",
        "--map",
        "id=id,text=text",
        "--no-analyze",
    ]


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOXPOP_") or k.startswith("VOXPOP_TEST_")}
    env.update(
        VOXPOP_HOME=str(settings.home),
        VOXPOP_DATABASE_URL=settings.database_url,
        VOXPOP_SECRET_KEY=settings.secret(),
        VOXPOP_INGEST_BATCH_SIZE=str(BATCH),
    )
    return env


def _added_so_far(store: Store) -> int:
    with store.read() as session:
        return int(session.scalar(select(func.coalesce(func.max(ImportRun.added), 0))) or 0)


def _as_from_a_terminal() -> None:
    """Ctrl-C as a terminal delivers it: a test run started in the background (``pytest … &`` from a
    script) ignores SIGINT and its children inherit that, so the import would ignore the signal sent."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_and_stop(store: Store, path: Path, how: signal.Signals) -> subprocess.CompletedProcess[str]:
    """Start the import, wait until a few batches are committed, then send ``how``."""
    process = subprocess.Popen(
        _command(path),
        env=_env(store.settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_from_a_terminal,  # resets one signal in the child, takes no lock
    )
    deadline = time.monotonic() + 300  # a guard against hanging, not a speed assertion
    while _added_so_far(store) < 4 * BATCH:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the import never committed a batch"
        time.sleep(0.02)
    process.send_signal(how)
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _assert_consistent_then_finish(store: Store, path: Path, stopped_status: str) -> None:
    [run] = runs(store)
    assert run.status == stopped_status
    stored = count_items(store)
    assert 0 < stored < ROWS, "the import was not stopped midway"
    assert stored == run.added  # the counters moved in the same transactions as the rows
    assert stored % BATCH == 0  # whole batches only
    done = subprocess.run(_command(path), env=_env(store.settings), capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert f"added {ROWS - stored:,}, already present {stored:,}" in done.stdout
    assert count_items(store) == ROWS
    with store.read() as session:
        assert session.scalar(select(func.count(func.distinct(Item.dedup_key)))) == ROWS
    assert [r.status for r in runs(store)] == [stopped_status, "done"]


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "big.csv", ["id", "text"], [[str(i), f"review number {i}"] for i in range(ROWS)])


@pytest.mark.slow
def test_sigkill_mid_import_then_rerun(store: Store, big_file: Path) -> None:
    result = _start_and_stop(store, big_file, signal.SIGKILL)
    assert result.returncode == -signal.SIGKILL
    _assert_consistent_then_finish(store, big_file, "running")  # nobody was left to mark it


@pytest.mark.slow
def test_ctrl_c_mid_import_marks_the_run_interrupted(store: Store, big_file: Path) -> None:
    result = _start_and_stop(store, big_file, signal.SIGINT)
    assert result.returncode == 130, result.stderr
    assert "run the same command to finish" in result.stderr
    _assert_consistent_then_finish(store, big_file, "interrupted")


@pytest.mark.slow
def test_sigterm_is_handled_like_ctrl_c(store: Store, big_file: Path) -> None:
    result = _start_and_stop(store, big_file, signal.SIGTERM)
    assert result.returncode == 130, result.stderr
    [run] = runs(store)
    assert run.status == "interrupted"
    assert count_items(store) == run.added
