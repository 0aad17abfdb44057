"""Ingest throughput: a synthetic review CSV imported by the real ``voxpop ingest`` in a subprocess.

    .venv/bin/python benchmarks/bench_ingest.py                 # 1,000,000 rows into a fresh SQLite home
    .venv/bin/python benchmarks/bench_ingest.py --postgres      # the same into a fresh local PostgreSQL db
    .venv/bin/python benchmarks/bench_ingest.py --rows 200000   # quicker

Prints rows/s over the whole command (start-up, migrations, parsing, inserts with the FTS triggers) and
the child's peak RSS. The goal is >= 20,000 rows/s into SQLite with peak memory < 500 MB.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VOXPOP = ROOT / ".venv" / "bin" / "voxpop"
PG_ADMIN_URL = os.environ.get(
    "VOXPOP_TEST_POSTGRES_URL", "postgresql+psycopg://root@/postgres?host=/var/run/postgresql"
)
PG_DB = "voxpop_bench_ingest"

OPENERS = ["The", "Our", "My", "This", "Great", "Terrible", "Lovely", "Awful", "Nice", "Slow"]
NOUNS = ["room", "staff", "flight", "food", "service", "delivery", "price", "app", "breakfast", "agent", "bed"]
ADJECTIVES = ["clean", "rude", "friendly", "late", "cold", "amazing", "noisy", "cheap", "helpful", "broken"]
TAILS = ["would come back", "never again", "five stars", "asked for a refund", "thanks to Anna", "ok overall"]


def review(rng: random.Random) -> str:
    words = [rng.choice(OPENERS), rng.choice(NOUNS), "was", rng.choice(ADJECTIVES)]
    for _ in range(rng.randint(0, 3)):
        words += ["and", "the", rng.choice(NOUNS), "was", rng.choice(ADJECTIVES)]
    return " ".join(words) + ", " + rng.choice(TAILS) + "."


def generate(path: Path, rows: int) -> None:
    rng = random.Random(42)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["review_id", "date", "stars", "username", "title", "city", "text"])
        for i in range(rows):
            when = start + timedelta(seconds=i * 17)
            out.writerow(
                [
                    f"r{i:08d}",
                    when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    rng.randint(1, 5),
                    f"user{rng.randint(1, 50_000)}",
                    rng.choice(["", "Stay", "Trip", "Order"]),
                    rng.choice(["Boston", "Austin", "Denver", "Lyon", "Porto"]),
                    review(rng),
                ]
            )


def fresh_postgres() -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{PG_DB}"'))
    admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=PG_DB).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true", help="import into a fresh local PostgreSQL database")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="voxpop-bench-ingest-") as tmp:
        data = Path(tmp) / "reviews.csv"
        t0 = time.perf_counter()
        generate(data, args.rows)
        print(f"generated {args.rows:,} rows ({data.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOXPOP_")}
        env["VOXPOP_HOME"] = str(Path(tmp) / "home")
        backend = "sqlite"
        if args.postgres:
            env["VOXPOP_DATABASE_URL"] = fresh_postgres()
            backend = "postgresql"
        # Migrate first, so the timing is the import alone.
        subprocess.run([str(VOXPOP), "db", "upgrade"], env=env, check=True, capture_output=True)
        command = [
            str(VOXPOP),
            "ingest",
            str(data),
            "--source",
            "bench",
            "--map",
            "id=review_id,created_at=date,rating=stars,author=username,title=title,location=city,text=text",
            "--no-analyze",  # the import alone; analysis is measured by bench_analyze.py
        ]
        t0 = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - t0
        if done.returncode != 0:
            sys.exit(f"voxpop ingest failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb = usage.ru_maxrss / 1024
        cpu = usage.ru_utime + usage.ru_stime
        print(done.stdout.strip())
        print(f"backend: {backend}")
        print(f"rows/s: {args.rows / seconds:,.0f} ({args.rows:,} rows in {seconds:.1f} s, whole command)")
        print(f"peak RSS of the import process: {peak_mb:.0f} MB")
        # On a shared machine the wall clock mostly measures the neighbours; CPU time (both threads of the
        # import, plus the migration run) is the steadier figure.
        print(f"CPU time of the child processes: {cpu:.1f} s ({args.rows / cpu:,.0f} rows per CPU-second)")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        print(f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; machine: {os.cpu_count()} cores shared, timings noisy")


if __name__ == "__main__":
    main()
