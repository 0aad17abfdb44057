"""What one roll-up run costs on PostgreSQL: a day of N items, a 512-item batch changed, then the
pipeline's rollup stage — once with the day queued, once more for the next batch (nothing queued), and
the old stage behaviour (``refresh_rollups``, which re-queues the batch's days) for comparison.

    .venv/bin/python benchmarks/bench_rollup_run.py            # 50,000 items on one day
    .venv/bin/python benchmarks/bench_rollup_run.py --items 10000

Client CPU is the steadier figure on a shared machine; the wall time includes PostgreSQL's work.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get(
    "VOXPOP_TEST_POSTGRES_URL", "postgresql+psycopg://root@/postgres?host=/var/run/postgresql"
)
PG_DB = "voxpop_bench_rollup_run"
BATCH = 512


def _admin(statement: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(statement))
    admin.dispose()


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=50_000)
    args = parser.parse_args()
    _admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{PG_DB}"')
    os.environ["VOXPOP_DATABASE_URL"] = make_url(PG_ADMIN_URL).set(database=PG_DB).render_as_string(False)
    os.environ.setdefault("VOXPOP_HOME", f"/tmp/{PG_DB}")  # noqa: S108 — a throwaway home

    from voxpop.ingest.records import ItemRecord
    from voxpop.ingest.writer import get_or_create_source, write_batch
    from voxpop.measure import rollups
    from voxpop.settings import Settings
    from voxpop.store import Store
    from voxpop.store.models import Item

    store = Store(Settings())
    now = datetime.now(UTC)
    records = [ItemRecord(text=f"tweet {i}", external_id=str(i), created_at=now) for i in range(args.items)]
    with store.write() as session:
        ids = write_batch(session, get_or_create_source(session, "bench"), records).added_ids
    rollups.process_pending(store)
    for batch in (ids[:BATCH], ids[-BATCH:]):
        with store.write() as session:  # what the analysis stage does to a batch
            session.execute(update(Item).where(Item.id.in_(batch)).values(sentiment="positive"))
        wall, cpu = _timed(lambda: rollups.rollup_task(store, batch))  # noqa: B023
        print(f"day of {args.items:,} items, day queued: wall {wall:.2f} s, client CPU {cpu:.2f} s")
        wall, cpu = _timed(lambda: rollups.rollup_task(store, batch))  # noqa: B023
        print(f"the next batch's run, nothing queued: wall {wall * 1000:.0f} ms, client CPU {cpu * 1000:.0f} ms")
        wall, cpu = _timed(lambda: rollups.refresh_rollups(store, batch))  # noqa: B023
        print(f"the old stage (re-queues its days) on that batch: wall {wall:.2f} s, client CPU {cpu:.2f} s")
    print(f"load average {os.getloadavg()[0]:.1f}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    store.dispose()
    _admin(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
