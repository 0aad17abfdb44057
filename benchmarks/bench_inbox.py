"""Inbox page latency on 1,000,000 items: the full HTTP handler (TestClient, logged in), p50/p95 per case.

    .venv/bin/python benchmarks/bench_inbox.py                 # SQLite, built once in benchmarks/.cache/
    VOXPOP_DATABASE_URL=postgresql+psycopg://… .venv/bin/python benchmarks/bench_inbox.py
    options: --items N (default 1,000,000), --runs R (default 15), --explain (print each query plan)

The synthetic store spreads items realistically over 8 channels, 20 sources, 7 kinds, 7 statuses,
6 departments (plus unrouted), three years of dates, ratings and sentiment, with a vocabulary where
some words are common ("service" is in about a third of the items) and some rare ("xylophone").
Targets: p95 < 300 ms on SQLite, < 150 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from voxpop.accounts.users import create_user
from voxpop.act.departments import create_department
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item, Source
from voxpop.web.app import create_app

ROOT = Path(__file__).resolve().parent
CACHE = ROOT / ".cache" / "inbox"
SECRET = "benchmark-secret-key-0123456789"  # noqa: S105 (a throwaway store)
PASSWORD = "benchmark-password"  # noqa: S105

CHANNELS = {
    "google": ["Google — Leeds", "Google — York", "Google — Hull"],
    "tripadvisor": ["TripAdvisor — Leeds", "TripAdvisor — York"],
    "yelp": ["Yelp"],
    "trustpilot": ["Trustpilot"],
    "twitter": ["X mentions", "X search: brand"],
    "facebook": ["Facebook page", "Facebook reviews"],
    "survey": ["NPS survey Q1", "NPS survey Q2", "CSAT after delivery"],
    "email": ["Support inbox", "Zendesk export", "Freshdesk export", "Staff notes", "Website widget"],
}
CHANNEL_WEIGHTS = [30, 10, 6, 8, 20, 8, 10, 8]
KINDS = {
    "google": "review",
    "tripadvisor": "review",
    "yelp": "review",
    "trustpilot": "review",
    "twitter": "mention",
    "facebook": "mention",
    "survey": "survey",
    "email": "ticket",
}
STATUSES = ["new", "assigned", "waiting", "responded", "resolved", "ignored", "spam"]
STATUS_WEIGHTS = [45, 10, 5, 15, 20, 4, 1]
DEPARTMENTS = ["Billing", "Delivery", "Support", "Product", "Kitchen", "Front desk"]
LOCATIONS = ["Leeds", "York", "Hull", "Sheffield", "Bradford", None]
COMMON = [
    "the",
    "service",
    "staff",
    "order",
    "food",
    "room",
    "delivery",
    "price",
    "great",
    "bad",
    "slow",
    "friendly",
    "manager",
    "refund",
    "app",
    "website",
    "late",
    "clean",
    "noisy",
    "booking",
]
FILLER = [f"w{n}" for n in range(5000)]  # a long tail of words, each rare-ish
RARE = "xylophone"


def _texts(rng: random.Random) -> Iterator[str]:
    while True:
        words = rng.choices(COMMON, k=rng.randint(3, 8)) + rng.choices(FILLER, k=rng.randint(4, 14))
        if rng.random() < 0.00003:
            words.append(RARE)
        rng.shuffle(words)
        yield " ".join(words)


def rows(
    n: int, source_ids: dict[str, list[int]], department_ids: list[int], seed: int = 7
) -> Iterator[tuple[Any, ...]]:
    rng = random.Random(seed)
    urgency_rng = random.Random(seed + 1)  # its own stream, so the other columns stay as they were
    texts = _texts(rng)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    span = int(timedelta(days=3 * 365).total_seconds())
    channels = list(CHANNELS)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(n):
        channel = rng.choices(channels, CHANNEL_WEIGHTS)[0]
        kind = KINDS[channel]
        rating = rng.choices([1, 2, 3, 4, 5], [12, 8, 12, 25, 43])[0] if kind in ("review", "survey") else None
        analysed = rng.random() < 0.7
        sentiment = (
            ("negative" if rating <= 2 else "neutral" if rating == 3 else "positive")
            if analysed and rating is not None
            else rng.choice(["negative", "neutral", "positive"])
            if analysed
            else None
        )
        created = start + timedelta(seconds=rng.randrange(span))
        routed = rng.random() < 0.8
        yield (
            rng.choice(source_ids[channel]),
            f"id:{i}",
            str(i),
            kind,
            channel,
            f"Customer {rng.randrange(200_000)}",
            None if rng.random() < 0.7 else "Short title " + str(i % 97),
            next(texts),
            rating,
            1.0 if rating is not None else None,
            5.0 if rating is not None else None,
            (rating - 1) / 4 if rating is not None else None,
            "en",
            rng.choice(LOCATIONS),
            created,
            now,
            "{}",
            sentiment,
            rng.choices(STATUSES, STATUS_WEIGHTS)[0],
            rng.choice(department_ids) if routed else None,
            0,
            round(urgency_rng.random() ** 3, 4) if analysed else None,
        )


COLUMNS = (
    "source_id",
    "dedup_key",
    "external_id",
    "kind",
    "channel",
    "author_name",
    "title",
    "text",
    "rating_raw",
    "rating_min",
    "rating_max",
    "rating",
    "language",
    "location",
    "created_at",
    "ingested_at",
    "raw",
    "sentiment",
    "status",
    "department_id",
    "priority",
    "urgency",
)


def _sqlite_value(value: Any) -> Any:
    return value.replace(tzinfo=None).isoformat(sep=" ") if isinstance(value, datetime) else value


def build(settings: Settings, n: int) -> None:
    """Fill the store once (skipped when it already holds ``n`` items)."""
    store = Store(settings)
    with store.read() as s:
        have = s.scalar(select(func.count()).select_from(Item)) or 0
    if have >= n:
        store.dispose()
        return
    if have:
        raise SystemExit(f"the benchmark store holds {have} items, not {n}: delete it first")
    with store.write() as s:
        departments = [create_department(s, name=name).id for name in DEPARTMENTS]
        source_ids: dict[str, list[int]] = {}
        for channel, names in CHANNELS.items():
            for name in names:
                source = Source(name=name, kind="file", channel=channel, config={})
                s.add(source)
                s.flush()
                source_ids.setdefault(channel, []).append(source.id)
        create_user(s, email="admin@bench.example", password=PASSWORD, role="admin")
        create_user(s, email="agent@bench.example", password=PASSWORD, role="agent", department_ids=departments[:2])
    started = time.perf_counter()
    if store.dialect == "sqlite":
        _load_sqlite(settings, rows(n, source_ids, departments))
    else:
        _load_postgres(store, rows(n, source_ids, departments))
    print(f"built {n:,} items in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    store.dispose()


def _load_sqlite(settings: Settings, data: Iterator[tuple[Any, ...]]) -> None:
    path = settings.database_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    # The FTS insert trigger row by row is slow; rebuild the index once at the end instead.
    trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name='items_fts_ai'").fetchone()[0]
    conn.execute("DROP TRIGGER items_fts_ai")
    sql = f"INSERT INTO items ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    conn.execute("BEGIN")
    batch: list[tuple[Any, ...]] = []
    for row in data:
        batch.append(tuple(_sqlite_value(v) for v in row))
        if len(batch) == 50_000:
            conn.executemany(sql, batch)
            batch.clear()
    conn.executemany(sql, batch)
    conn.execute("INSERT INTO items_fts(items_fts) VALUES ('rebuild')")
    conn.execute(trigger)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def _load_postgres(store: Store, data: Iterator[tuple[Any, ...]]) -> None:
    raw = store.engine.raw_connection()
    try:
        cur = raw.cursor()
        # Build the full-text GIN index once after the load rather than row by row.
        cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_items_fts'")
        gin = cur.fetchone()[0]
        cur.execute("DROP INDEX ix_items_fts")
        with cur.copy(f"COPY items ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in data:
                copy.write_row(row)
        cur.execute("SET maintenance_work_mem = '256MB'")
        cur.execute(gin)
        raw.commit()
        cur.execute("ANALYZE items")
        raw.commit()
    finally:
        raw.close()


def login(client: TestClient, email: str) -> None:
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def cases(settings: Settings) -> list[tuple[str, str, str]]:
    """(name, user, query string)."""
    store = Store(settings)
    with store.read() as s:
        source = s.scalar(select(Source.id).where(Source.name == "Trustpilot"))
        department = s.scalar(text("SELECT id FROM departments WHERE name = 'Kitchen'"))
    store.dispose()
    return [
        ("first page", "admin", ""),
        ("channel", "admin", "channel=twitter"),
        ("source", "admin", f"source_id={source}"),
        ("kind", "admin", "kind=ticket"),
        ("status (common)", "admin", "status=new"),
        ("status (rare)", "admin", "status=spam"),
        ("department", "admin", f"department_id={department}"),
        ("sentiment", "admin", "sentiment=negative"),
        ("stars 5", "admin", "stars_min=5"),
        ("stars 1–2", "admin", "stars_max=2"),
        ("date range (a month)", "admin", "date_from=2024-06-01&date_to=2024-06-30"),
        ("channel + date range", "admin", "channel=google&date_from=2024-06-01&date_to=2024-06-30"),
        ("search common word", "admin", "q=service"),
        ("search two words", "admin", "q=refund+late"),
        ("search rare word", "admin", f"q={RARE}"),
        ("search + channel", "admin", "q=manager&channel=yelp"),
        ("agent (2 departments)", "agent", ""),
        ("agent + status", "agent", "status=waiting"),
        ("urgency order", "admin", "order=urgency"),
        ("urgency + status", "admin", "order=urgency&status=new"),
        ("agent + urgency", "agent", "order=urgency"),
    ]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(client: TestClient, url: str) -> tuple[float, str]:
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}: {response.text[:300]}")
    return elapsed, response.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--deep", type=int, default=20, help="pages followed by cursor in the deep-page cases")
    args = parser.parse_args()

    url = os.environ.get("VOXPOP_DATABASE_URL", "")
    CACHE.mkdir(parents=True, exist_ok=True)
    if not url:
        url = f"sqlite:///{CACHE / f'inbox-{args.items}.db'}"
    settings = Settings(home=CACHE, database_url=url, secret_key=SECRET)
    build(settings, args.items)
    store = Store(settings)
    print(f"backend: {store.dialect}, items: {args.items:,}, runs per case: {args.runs}")
    app = create_app(settings, store)
    clients = {"admin": TestClient(app), "agent": TestClient(app)}
    login(clients["admin"], "admin@bench.example")
    login(clients["agent"], "agent@bench.example")

    results: dict[str, list[float]] = {}
    for name, who, query in cases(settings):
        client = clients[who]
        timed(client, f"/inbox?{query}")  # warm
        results[name] = [timed(client, f"/inbox?{query}")[0] for _ in range(args.runs)]
    deep = (
        ("deep pages (no filter)", ""),
        ("deep pages (channel)", "channel=facebook&"),
        ("deep pages (urgency)", "order=urgency&"),
    )
    for name, query in deep:
        samples: list[float] = []
        for _ in range(max(1, args.runs // 5)):
            link = f"/inbox?{query}"
            for _page in range(args.deep):
                elapsed, html = timed(clients["admin"], link)
                samples.append(elapsed)
                found = re.search(r'<a class="button" href="(/inbox\?[^"]+)"', html)
                if not found:
                    break
                link = found.group(1).replace("&amp;", "&")
        results[name] = samples

    width = max(map(len, results))
    print(f"{'case':<{width}}  {'p50 ms':>8}  {'p95 ms':>8}  {'n':>4}")
    everything: list[float] = []
    for name, samples in results.items():
        everything += samples
        print(f"{name:<{width}}  {statistics.median(samples):8.1f}  {pct(samples, 0.95):8.1f}  {len(samples):4d}")
    print(
        f"{'overall':<{width}}  {statistics.median(everything):8.1f}  {pct(everything, 0.95):8.1f}  "
        f"{len(everything):4d}"
    )
    print(
        json.dumps(
            {
                "backend": store.dialect,
                "items": args.items,
                "p50_ms": round(statistics.median(everything), 1),
                "p95_ms": round(pct(everything, 0.95), 1),
            }
        )
    )
    for client in clients.values():
        client.close()
    store.dispose()


if __name__ == "__main__":
    main()
