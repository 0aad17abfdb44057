"""Scale-out: 50,000 items ingested and analysed (a) on SQLite inline, (b) on PostgreSQL with one
Dramatiq worker process of one thread, (c) on PostgreSQL with two such processes.

    .venv/bin/python benchmarks/bench_scale.py                  # all three, 50,000 items
    .venv/bin/python benchmarks/bench_scale.py --items 5000 --only b c

Texts are the airline tweets from ``../shared/data`` (each with its own id, cycled to the count asked).
Every mode runs the real ``voxpop ingest`` in a subprocess; the clock runs from the import's start to
the moment every item is analysed. (The route, alert and roll-up messages of the last batches may still be
queued then: up to ``VOXPOP_QUEUE_MAX_DEPTH`` batches' worth, in both modes alike.) The goal is
(c) >= 1.8 x (b) on a 2-core machine. Per-stage items/s of work come from the ``stage_stats`` the pipeline
keeps. CPU per item is reported by party, and for the rest of the machine (``others``: every other program,
``steal``: the hypervisor, ``machine_idle``): on a shared machine ``others`` says whether a run was quiet —
it takes cores from (c)'s two workers but only the idle second core in (b). Needs the local PostgreSQL and
Redis.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
VOXPOP = [sys.executable, "-m", "voxpop"]
DATA = ROOT.parent / "shared" / "data" / "twitter_airline_sentiment" / "Tweets.csv"
CACHE = ROOT / "benchmarks" / ".cache"
PG_ADMIN_URL = os.environ.get(
    "VOXPOP_TEST_POSTGRES_URL", "postgresql+psycopg://root@/postgres?host=/var/run/postgresql"
)
REDIS_URL = os.environ.get("VOXPOP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PG_DB = "voxpop_bench_scale"


def write_input(path: Path, count: int) -> None:
    with DATA.open(encoding="utf-8", newline="") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "text"])
        for i in range(count):
            out.writerow([f"t{i}", texts[i % len(texts)]])


def fresh_pg() -> str:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=PG_DB).render_as_string(hide_password=False)


def environment(home: Path, database_url: str, broker_url: str = "", namespace: str = "") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOXPOP_")}
    env.update(
        VOXPOP_HOME=str(home),
        VOXPOP_DATABASE_URL=database_url,
        VOXPOP_SECRET_KEY="bench-secret-key-0123456789",  # noqa: S106 — a throwaway database
        VOXPOP_MODEL_DIR=str(CACHE / "home" / "models"),
    )
    if broker_url:
        env.update(
            VOXPOP_BROKER_URL=broker_url,
            VOXPOP_BROKER_NAMESPACE=namespace,
            VOXPOP_QUEUE_MAX_DEPTH="50",
            # Single-thread workers, as the goal is stated: (b) one process of one thread (ONNX included),
            # (c) two of them. Without this, `voxpop worker -p 1` lets its one process use every core.
            VOXPOP_ANALYSIS_THREADS="1",
        )
    return env


def _ticks(pid: str) -> tuple[str, int]:
    """(command line, CPU ticks used so far) of a process, from /proc."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return command, int(fields[11]) + int(fields[12])


def ingested_pg(name: str, items: int) -> dict[str, str]:
    """A fresh benchmark database (``PG_DB``) holding ``items`` ingested but not analysed items, for the stage
    benchmarks (files in ``CACHE / name``); returns the environment that points voxpop at the database."""
    work = CACHE / name
    work.mkdir(parents=True, exist_ok=True)
    csv_path = work / f"items-{items}.csv"
    if not csv_path.exists():
        write_input(csv_path, items)
    env = environment(work / "home", fresh_pg())
    subprocess.run([*VOXPOP, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*VOXPOP, "ingest", str(csv_path), "--source", "bench", "--map", "id=id,text=text"],
        env={**env, "VOXPOP_ANALYZE_ON_INGEST": "false"},
        check=True,
        capture_output=True,
    )
    return env


def postgres_ticks() -> int:
    """CPU ticks used so far by the PostgreSQL backends of the benchmark's database (``PG_DB`` when called:
    the stage benchmarks point it at their own database)."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command, ticks = _ticks(pid)
        except (OSError, ValueError):
            continue
        if command.startswith("postgres:") and PG_DB in command:
            total += ticks
    return total


class ServerCpu:
    """CPU seconds spent from the clock's start by the worker processes, the PostgreSQL backends of the
    benchmark's database and Redis.

    Other work on the machine may use the same servers, so only backends whose process title names the
    benchmark's database count; the server's shared background processes (WAL writer, checkpointer,
    autovacuum) are reported apart. A backend that exits takes its ticks with it, so each process is
    sampled while the run goes on and its last sample kept."""

    def __init__(self) -> None:
        self.harness: set[str] = set()  # the harness's own backend (its polling), counted apart
        self.watched: set[str] = set()
        self.scanned = 0.0
        self.first: dict[str, tuple[str, int]] = {}
        self.last: dict[str, tuple[str, int]] = {}
        self.sample(first=True)

    #: A whole /proc scan (every process's stat and command line, ≈ 6 ms of harness CPU with 200 processes)
    #: at most this often; between scans only the processes of a counted party are read again.
    FULL_SCAN_SECONDS = 2.0

    def sample(self, *, first: bool = False) -> None:
        now = time.monotonic()
        if first or now - self.scanned >= self.FULL_SCAN_SECONDS:
            self.scanned = now
            pids = list(filter(str.isdigit, os.listdir("/proc")))
        else:
            pids = list(self.watched)
        for pid in pids:
            try:
                if pid in self.watched:
                    command = self.last[pid][0]
                    raw = Path(f"/proc/{pid}/stat").read_text()
                    fields = raw[raw.rindex(")") + 2 :].split()
                    ticks = int(fields[11]) + int(fields[12])
                else:
                    command, ticks = _ticks(pid)
            except (OSError, ValueError):
                self.watched.discard(pid)  # exited: its last sample stays
                continue
            if first:
                self.first[pid] = (command, ticks)
            self.last[pid] = (command, ticks)
            if self.party(pid, command):
                self.watched.add(pid)

    def party(self, pid: str, command: str) -> str | None:
        if pid in self.harness:
            return "harness_postgres"
        if "voxpop.workers.dramatiq_app" in command:
            return "workers"
        if command.startswith("postgres:") and PG_DB in command:
            return "postgres"
        if command.startswith("postgres:") and (
            "writer" in command or "autovacuum" in command or "checkpointer" in command
        ):
            return "postgres_background"
        if command.startswith("redis-server") or "redis-server" in command.split(" ")[0]:
            return "redis"
        return None

    def seconds(self) -> dict[str, float]:
        hz = os.sysconf("SC_CLK_TCK")
        totals = {"workers": 0, "postgres": 0, "postgres_background": 0, "redis": 0, "harness_postgres": 0}
        for pid, (command, ticks) in self.last.items():
            party = self.party(pid, command)
            if party is not None:
                totals[party] += ticks - self.first.get(pid, ("", 0))[1]
        return {kind: ticks / hz for kind, ticks in totals.items()}


def machine_cpu() -> dict[str, float]:
    """Seconds of the whole machine's CPU so far, from ``/proc/stat``: busy (user, nice, system, irq, softirq),
    idle (idle and I/O wait) and stolen by the hypervisor."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    hz = os.sysconf("SC_CLK_TCK")
    return {"busy": (user + nice + system + irq + softirq) / hz, "idle": (idle + iowait) / hz, "steal": steal / hz}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def analysed(engine: Engine, count: int) -> int:
    """Items analysed so far, over the harness's one connection. Before session 5 each poll made a new
    engine (a new PostgreSQL backend) and counted the analysed items, a scan of ``items`` that cost
    ≈ 0.13 ms of PostgreSQL CPU per item over a run, beside the workers. Now the analyse stage's own
    figures (``stage_stats``, a few rows) are read until they reach ``count``, and only then the items."""
    from voxpop.store.models import Item
    from voxpop.store.models.ops import StageStat

    with engine.connect() as conn:
        reported = conn.scalar(select(func.sum(StageStat.items)).where(StageStat.stage == "analyze"))
        if int(reported or 0) < count:
            return int(reported or 0)
        done = conn.scalar(select(func.count()).select_from(Item).where(Item.analyzed_at.is_not(None)))
    return int(done or 0)


def stage_rates(database_url: str) -> dict[str, float]:
    from voxpop.store.models.ops import StageStat

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(StageStat.stage, func.sum(StageStat.items), func.sum(StageStat.seconds)).group_by(StageStat.stage)
        ).all()
    engine.dispose()
    return {stage: round(float(n) / float(s), 1) for stage, n, s in rows if s}


def run(mode: str, csv_path: Path, count: int, work: Path) -> dict[str, object]:
    home = work / f"home-{mode}"
    home.mkdir(parents=True, exist_ok=True)
    workers: list[subprocess.Popen[bytes]] = []
    if mode == "a":
        database_url = f"sqlite:///{home / 'voxpop.db'}"
        env = environment(home, database_url)
    else:
        database_url = fresh_pg()
        namespace = f"voxpop-bench-{uuid.uuid4().hex[:8]}"
        env = environment(home, database_url, REDIS_URL, namespace)
        subprocess.run([*VOXPOP, "db", "upgrade"], env=env, check=True, capture_output=True)
        processes = "1" if mode == "b" else "2"
        log = (work / f"worker-{mode}.log").open("wb")
        workers.append(
            subprocess.Popen(
                [*VOXPOP, "worker", "--processes", processes, "--threads", "1"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        time.sleep(8)  # let the workers load their models before the clock starts
    servers, children_before, machine_before = ServerCpu(), children_cpu(), machine_cpu()
    harness_before = time.process_time()  # this script's own polling, which shares the cores in (c)
    started = time.perf_counter()
    command = [*VOXPOP, "ingest", str(csv_path), "--source", "bench", "--map", "id=id,text=text", "--analyze"]
    errors = (work / f"ingest-{mode}.log").open("w+b")
    importer = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
    while importer.poll() is None:
        servers.sample()
        time.sleep(0.25)
    if importer.returncode:
        errors.seek(0)
        raise SystemExit(f"voxpop ingest failed: {errors.read().decode(errors='replace')}")
    ingested = time.perf_counter() - started
    importer_cpu = children_cpu() - children_before
    servers.sample()
    poller = create_engine(database_url, pool_size=1)
    with poller.connect() as conn:
        servers.harness.add(str(conn.scalar(text("SELECT pg_backend_pid()"))))
    while analysed(poller, count) < count:
        servers.sample()
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    machine = {k: v - machine_before[k] for k, v in machine_cpu().items()}
    poller.dispose()
    harness_cpu = time.process_time() - harness_before
    servers.sample()
    for worker in workers:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=120)
    server_seconds = servers.seconds()
    # CPU milliseconds per item by who spent them: steadier than wall time on a shared machine, and what
    # bounds the speed-up — two single-thread workers on two cores leave no core for the rest.
    cpu_ms = {
        "importer": importer_cpu,
        **server_seconds,
        "harness": harness_cpu,
    }
    # The rest of the machine: what other programs used (on a shared machine they take cores from (c)'s
    # workers but only the idle second core in (b)), what the hypervisor took, and what no one used.
    counted = sum(cpu_ms.values())
    cpu_ms.update(
        {"others": max(0.0, machine["busy"] - counted), "steal": machine["steal"], "machine_idle": machine["idle"]}
    )
    return {
        "mode": mode,
        "items": count,
        "seconds": round(elapsed, 1),
        "items_per_s": round(count / elapsed, 1),
        "import_returned_after_s": round(ingested, 1),
        "stage_items_per_s_of_work": stage_rates(database_url),
        "cpu_ms_per_item": {who: round(1000 * seconds / count, 3) for who, seconds in cpu_ms.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--only", nargs="*", choices=["a", "b", "c"], default=["a", "b", "c"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="voxpop-bench-scale-") as tmp:
        work = Path(tmp)
        csv_path = work / "items.csv"
        write_input(csv_path, args.items)
        results = [run(mode, csv_path, args.items, work) for mode in args.only]
    load = os.getloadavg()[0]
    print(
        json.dumps({"when": datetime.now(UTC).isoformat(timespec="minutes"), "load": load, "runs": results}, indent=2)
    )
    rates = {r["mode"]: r["items_per_s"] for r in results}
    if "b" in rates and "c" in rates:
        ratio = float(str(rates["c"])) / float(str(rates["b"]))
        print(f"speed-up of 2 worker processes over 1: {ratio:.2f}x (goal >= 1.8x)")


if __name__ == "__main__":
    main()
