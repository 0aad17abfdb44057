"""Dashboard page latency on 1,000,000 items: the full HTTP handler (TestClient, logged in), p50/p95 per case.

    .venv/bin/python benchmarks/bench_dashboard.py               # SQLite, built once in benchmarks/.cache/
    .venv/bin/python benchmarks/bench_dashboard.py --postgres    # the local PostgreSQL, database
                                                                 # voxpop_bench_dashboard, built once and kept
    VOXPOP_DATABASE_URL=postgresql+psycopg://… .venv/bin/python benchmarks/bench_dashboard.py
    options: --items N (default 1,000,000), --runs R (default 15), --rebuild, --cases TEXT (only the cases
    whose name contains TEXT), --no-incremental (skip the roll-up stage after 100 new items), --explain (the
    database's own time per first view and, on PostgreSQL, the roll-up cells its scans read)

Each case is timed twice: *first view* — the roll-ups' version is bumped before every request, so the
cached overview (``measure.cache``) is thrown away and everything is computed from the roll-up cells, as
after any change of the items — and *repeat view* — the same page again with the roll-ups unchanged.
Wall time and this process's CPU time (app and, on SQLite, the database; not the PostgreSQL server's) per
request are reported: on a loaded machine the CPU time is the steadier figure.

The store is the inbox benchmark's synthetic one (``bench_inbox.build``: 8 channels, 20 sources, 6
departments, 6 locations, three years), in a database of its own, enriched once so the dashboard has
something to show: one or two aspects per item (with the item's sentiment), responses for the items
whose status says so (1 minute to 2 days later) and a 24-hour SLA deadline on routed items.

Also measured: a full roll-up rebuild, and the incremental refresh after 100 new items (the pipeline's
``rollup`` stage). Targets: dashboard p95 < 300 ms on SQLite, < 150 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_inbox import PASSWORD, SECRET, build, login, pct
from voxpop.measure import cache, rollups
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item, Source
from voxpop.store.models.measure import DailyCell
from voxpop.web.app import create_app

ROOT = Path(__file__).resolve().parent
CACHE = ROOT / ".cache" / "dashboard"
ASPECTS = ["staff", "price", "food", "room", "delivery", "cleanliness", "booking", "app"]

ENRICH = {
    "sqlite": """
UPDATE items SET
  aspects = CASE WHEN id % 3 = 0
    THEN json_array(
      json_object('name', CASE id % 8 WHEN 0 THEN 'staff' WHEN 1 THEN 'price' WHEN 2 THEN 'food' WHEN 3 THEN 'room'
        WHEN 4 THEN 'delivery' WHEN 5 THEN 'cleanliness' WHEN 6 THEN 'booking' ELSE 'app' END,
        'sentiment', coalesce(sentiment, 'neutral')),
      json_object('name', CASE id % 5 WHEN 0 THEN 'staff' WHEN 1 THEN 'price' WHEN 2 THEN 'cleanliness'
        WHEN 3 THEN 'room' ELSE 'food' END, 'sentiment', coalesce(sentiment, 'neutral')))
    ELSE json_array(
      json_object('name', CASE id % 8 WHEN 0 THEN 'staff' WHEN 1 THEN 'price' WHEN 2 THEN 'food' WHEN 3 THEN 'room'
        WHEN 4 THEN 'delivery' WHEN 5 THEN 'cleanliness' WHEN 6 THEN 'booking' ELSE 'app' END,
        'sentiment', coalesce(sentiment, 'neutral'))) END,
  responded_at = CASE WHEN status IN ('responded', 'resolved')
    THEN datetime(created_at, '+' || (1 + (id * 7919) % 2880) || ' minutes') END,
  due_at = CASE WHEN department_id IS NOT NULL THEN datetime(created_at, '+24 hours') END
""",
    "postgresql": """
UPDATE items SET
  aspects = CASE WHEN id % 3 = 0
    THEN jsonb_build_array(
      jsonb_build_object(
        'name', (ARRAY['staff','price','food','room','delivery','cleanliness','booking','app'])[id % 8 + 1],
        'sentiment', coalesce(sentiment, 'neutral')),
      jsonb_build_object('name', (ARRAY['staff','price','cleanliness','room','food'])[id % 5 + 1],
        'sentiment', coalesce(sentiment, 'neutral')))
    ELSE jsonb_build_array(
      jsonb_build_object(
        'name', (ARRAY['staff','price','food','room','delivery','cleanliness','booking','app'])[id % 8 + 1],
        'sentiment', coalesce(sentiment, 'neutral'))) END,
  responded_at = CASE WHEN status IN ('responded', 'resolved')
    THEN created_at + make_interval(mins => (1 + (id * 7919) % 2880)::int) END,
  due_at = CASE WHEN department_id IS NOT NULL THEN created_at + interval '24 hours' END
""",
}


def enrich(store: Store) -> None:
    """Aspects, responses and deadlines, once (an item with aspects means it was done)."""
    with store.read() as s:
        if s.scalar(select(Item.id).where(Item.aspects.is_not(None)).limit(1)) is not None:
            return
    started = time.perf_counter()
    with store.write() as s:
        s.execute(text(ENRICH[store.dialect]))
    print(f"enriched the items in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def cases(store: Store) -> list[tuple[str, str, str]]:
    with store.read() as s:
        department = s.scalar(text("SELECT id FROM departments WHERE name = 'Kitchen'"))
    month = "date_from=2025-12-02&date_to=2025-12-31"
    return [
        ("30 days", "admin", month),
        ("90 days", "admin", "date_from=2025-10-03&date_to=2025-12-31"),
        ("365 days", "admin", "date_from=2025-01-01&date_to=2025-12-31"),
        ("3 years", "admin", "date_from=2023-01-01&date_to=2025-12-31"),
        ("30 days, channel", "admin", month + "&channel=google"),
        ("30 days, location", "admin", month + "&location=Leeds"),
        ("30 days, department", "admin", month + f"&department_id={department}"),
        ("365 days, location", "admin", "date_from=2025-01-01&date_to=2025-12-31&location=York"),
        ("agent (2 departments), 30 days", "agent", month),
        ("agent, 365 days", "agent", "date_from=2025-01-01&date_to=2025-12-31"),
    ]


PG_ADMIN_URL = os.environ.get(
    "VOXPOP_TEST_POSTGRES_URL", "postgresql+psycopg://root@/postgres?host=/var/run/postgresql"
)
PG_DATABASE = "voxpop_bench_dashboard"


def postgres_url() -> str:
    """The benchmark's own database on the local server (created when missing, kept between runs)."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": PG_DATABASE}):
            conn.execute(text(f'CREATE DATABASE "{PG_DATABASE}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=PG_DATABASE).render_as_string(hide_password=False)


def timed(client: TestClient, url: str) -> tuple[float, float]:
    """(wall ms, this process's CPU ms) of one request."""
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(url)
    elapsed, cpu_ms = (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}: {response.text[:300]}")
    return elapsed, cpu_ms


def forget(store: Store) -> None:
    """Make the next view a first view: a new roll-up version, as any change of the cells writes."""
    with store.write() as s:
        cache.bump(s)


def table(title: str, results: dict[str, list[tuple[float, float]]]) -> dict[str, float]:
    """Print p50/p95 of wall and CPU time per case and overall; returns the overall figures."""
    width = max(map(len, results))
    print(f"\n{title}")
    print(f"{'case':<{width}}  {'p50 ms':>8}  {'p95 ms':>8}  {'CPU p50':>8}  {'CPU p95':>8}  {'n':>4}")
    everything: list[tuple[float, float]] = []
    for name, samples in [*results.items(), ("overall", [])]:
        if name == "overall":
            samples = everything
        else:
            everything += samples
        wall, cpu = [w for w, _ in samples], [c for _, c in samples]
        print(
            f"{name:<{width}}  {statistics.median(wall):8.1f}  {pct(wall, 0.95):8.1f}  "
            f"{statistics.median(cpu):8.1f}  {pct(cpu, 0.95):8.1f}  {len(samples):4d}"
        )
    wall, cpu = [w for w, _ in everything], [c for _, c in everything]
    return {
        "p50_ms": round(statistics.median(wall), 1),
        "p95_ms": round(pct(wall, 0.95), 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "cpu_p95_ms": round(pct(cpu, 0.95), 1),
    }


def incremental(store: Store, runs: int = 5) -> list[float]:
    """The ``rollup`` stage after 100 new items spread over a few days (then removed again)."""
    samples: list[float] = []
    with store.read() as s:
        source = s.scalar(select(Source.id).limit(1))
    for run in range(runs):
        base = datetime(2025, 12, 20, tzinfo=UTC)
        with store.write() as s:
            items = [
                Item(
                    source_id=source,
                    dedup_key=f"bench-incremental:{run}:{i}",
                    channel="google",
                    kind="review",
                    text="incremental",
                    created_at=base + timedelta(hours=i),
                    raw={},
                    status="new",
                    priority=0,
                    sentiment="negative",
                    aspects=[{"name": "staff", "sentiment": "negative"}],
                )
                for i in range(100)
            ]
            s.add_all(items)
            s.flush()
            ids = [item.id for item in items]
        started = time.perf_counter()
        rollups.refresh_rollups(store, ids)
        samples.append((time.perf_counter() - started) * 1000)
        with store.write() as s:
            s.execute(text("DELETE FROM items WHERE dedup_key LIKE 'bench-incremental:%'"))
        rollups.process_pending(store)
    return samples


def _scan_rows(plan: dict[str, Any]) -> int:
    """Rows that the plan's scans of ``measure_daily`` produced (summed over loops)."""
    own = 0
    if plan.get("Relation Name") == "measure_daily":
        own = int(plan.get("Actual Rows", 0)) * int(plan.get("Actual Loops", 1))
    return own + sum(_scan_rows(child) for child in plan.get("Plans", []))


def _label(statement: str, parameters: Any) -> str:
    """A short description of a roll-up query: what it sums or merges, and its bound values."""
    kind = "histograms" if "json" in statement.lower() else "sums"
    group = re.search(r"GROUP BY (.*?)(?: ORDER BY|$)", " ".join(statement.split()))
    shown = ", ".join(str(v) for v in (parameters.values() if isinstance(parameters, dict) else parameters or ()))
    return f"{kind} by [{group.group(1) if group else ''}] ({shown})"


def explain(
    store: Store, client: TestClient, page: str, each: list[tuple[float, int, str]] | None = None
) -> tuple[int, float, int]:
    """(statements, database time ms, roll-up cells read) of one first view of ``page``; with ``each``, also
    (ms, cells, what) per statement appended to it.

    PostgreSQL: every SELECT the view ran, re-run under ``EXPLAIN (ANALYZE, BUFFERS)`` — the server's
    execution time and the rows its scans of ``measure_daily`` returned. SQLite: every SELECT re-run on a
    connection of its own, timed by this process's CPU clock (cells read are not counted there)."""
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "measure_daily" in statement:
            statements.append((statement, parameters))

    forget(store)
    event.listen(store.engine, "before_cursor_execute", record)
    try:
        timed(client, page)
    finally:
        event.remove(store.engine, "before_cursor_execute", record)
    total_ms, cells = 0.0, 0
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, parameters in statements:
            if store.dialect == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters)
                row = cursor.fetchone()
                assert row is not None
                report = row[0][0]
                ms, read = float(report["Execution Time"]), _scan_rows(report["Plan"])
            else:
                cpu = time.process_time()
                cursor.execute(statement, parameters)
                cursor.fetchall()
                ms, read = (time.process_time() - cpu) * 1000, 0
            total_ms += ms
            cells += read
            if each is not None:
                each.append((ms, read, _label(statement, parameters)))
    finally:
        raw.close()
    return len(statements), total_ms, cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true", help="time a full roll-up rebuild even when fresh")
    parser.add_argument("--postgres", action="store_true", help=f"use the local PostgreSQL database {PG_DATABASE}")
    parser.add_argument("--cases", default="", help="only the cases whose name contains this text")
    parser.add_argument("--explain", action="store_true", help="also the database time and cells read per first view")
    parser.add_argument("--queries", action="store_true", help="with --explain: each query's time, dearest first")
    parser.add_argument("--no-incremental", action="store_true", help="skip the roll-up stage measurement")
    args = parser.parse_args()

    url = postgres_url() if args.postgres else os.environ.get("VOXPOP_DATABASE_URL", "")
    CACHE.mkdir(parents=True, exist_ok=True)
    if not url:
        url = f"sqlite:///{CACHE / f'dashboard-{args.items}.db'}"
    settings = Settings(home=CACHE, database_url=url, secret_key=SECRET)
    build(settings, args.items)
    store = Store(settings)
    enrich(store)
    with store.read() as s:
        have_cells = s.scalar(select(func.count()).select_from(DailyCell)) or 0
    rebuild_s = None
    if args.rebuild or not have_cells:
        started = time.perf_counter()
        days = rollups.rebuild(store)
        rebuild_s = time.perf_counter() - started
        print(f"full roll-up rebuild: {days} days in {rebuild_s:.1f} s", file=sys.stderr)
    else:
        rollups.process_pending(store)
    with store.read() as s:
        cells = s.scalar(select(func.count()).select_from(DailyCell)) or 0
    load = os.getloadavg()
    print(
        f"backend: {store.dialect}, items: {args.items:,}, roll-up cells: {cells:,}, runs per case: {args.runs}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )

    app = create_app(settings, store)
    clients = {"admin": TestClient(app), "agent": TestClient(app)}
    login(clients["admin"], "admin@bench.example")
    login(clients["agent"], "agent@bench.example")
    assert PASSWORD
    first: dict[str, list[tuple[float, float]]] = {}
    repeat: dict[str, list[tuple[float, float]]] = {}
    for name, who, query in cases(store):
        if args.cases not in name:
            continue
        page = f"/dashboard?{query}"
        timed(clients[who], page)  # warm the connection pool and the templates
        first[name] = []
        for _ in range(args.runs):
            forget(store)
            first[name].append(timed(clients[who], page))
        repeat[name] = [timed(clients[who], page) for _ in range(args.runs)]
    if args.explain:
        print("\nDatabase work of one first view (the dashboard's SELECTs on the roll-up cells, re-run alone)")
        print(f"{'case':<32}  {'queries':>7}  {'db ms':>8}  {'cells read':>10}")
        for name, who, query in cases(store):
            if args.cases in name:
                each: list[tuple[float, int, str]] = []
                count, db_ms, cells_read = explain(store, clients[who], f"/dashboard?{query}", each)
                shown = f"{cells_read:,}" if store.dialect == "postgresql" else "–"
                print(f"{name:<32}  {count:7d}  {db_ms:8.1f}  {shown:>10}")
                for ms, read, what in sorted(each, reverse=True) if args.queries else []:
                    print(f"    {ms:8.1f} ms  {read:>8,} cells  {what[:200]}")
    figures = {
        "first_view": table("First view (after a roll-up change: computed from the cells)", first),
        "repeat_view": table("Repeat view (roll-ups unchanged: the cached overview)", repeat),
    }
    inc = [0.0] if args.no_incremental else incremental(store)
    if not args.no_incremental:
        print(f"\nrollup stage after 100 new items: p50 {statistics.median(inc):.0f} ms, max {max(inc):.0f} ms")
    print(
        json.dumps(
            {
                "backend": store.dialect,
                "items": args.items,
                **figures,
                "rollup_100_items_ms": round(statistics.median(inc)),
                "rebuild_s": None if rebuild_s is None else round(rebuild_s, 1),
                "load": [round(x, 1) for x in os.getloadavg()],
            }
        )
    )
    for client in clients.values():
        client.close()
    store.dispose()


if __name__ == "__main__":
    main()
