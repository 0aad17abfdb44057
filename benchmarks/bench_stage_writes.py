"""The database side of the analyse and route stages on PostgreSQL, A/B: each stage's write as it was before
session 5 (one statement per item) against the set-based write (one statement per batch), on alternate
512-item batches of the same database. CPU per item, PostgreSQL's (its backends' /proc ticks) and the
client's (``time.process_time``), which hold better than wall time on a loaded machine.

    .venv/bin/python benchmarks/bench_stage_writes.py                  # 20,000 items, 8 pairs of batches
    .venv/bin/python benchmarks/bench_stage_writes.py --items 50000 --pairs 10

Needs the local PostgreSQL and the models ``bench_scale.py`` uses (one batch is analysed for real; its
results are the values every other batch is written with).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import Table, bindparam, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_scale

BATCH = 512
bench_scale.PG_DB = "voxpop_bench_stage_writes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--pairs", type=int, default=8)
    args = parser.parse_args()
    env = bench_scale.ingested_pg("stage-writes", args.items)
    os.environ.update(env, VOXPOP_ANALYSIS_THREADS="1")

    import voxpop.act.routing.engine as routing
    from voxpop.analyze.pipeline import analyze_items
    from voxpop.analyze.store_topics import save_embeddings
    from voxpop.settings import Settings
    from voxpop.store import Store
    from voxpop.store.analysis_write import COLUMNS, write_analysis, write_embeddings
    from voxpop.store.models import Item
    from voxpop.store.types import utcnow
    from voxpop.workers.analysis import shared_analyzer

    store = Store(Settings())
    with store.read() as session:
        ids = list(session.scalars(text("SELECT id FROM items ORDER BY id")))
    analyzer, fingerprint = shared_analyzer(store.settings)
    analyze_items(store, ids[:BATCH], analyzer, stamp={"taxonomy": fingerprint})
    columns = list(COLUMNS)
    with store.read() as session:
        template = [
            dict(zip(["id", *columns], row, strict=True))
            for row in session.execute(
                text(f"SELECT id, {', '.join(columns)} FROM items WHERE analyzed_at IS NOT NULL ORDER BY id")
            )
        ]
    vectors = np.random.default_rng(0).normal(size=(BATCH, 384)).astype(np.float32)

    def per_item(rows: Sequence[dict[str, Any]], now: Any) -> None:  # before session 5
        table = cast(Table, Item.__table__)
        with store.write() as session:
            session.connection().execute(
                update(table).where(table.c.id == bindparam("item_id")),
                [{"item_id": r["id"], "analyzed_at": now, **{c: r[c] for c in columns}} for r in rows],
            )
            save_embeddings(session, [r["id"] for r in rows], vectors, "bench")

    def set_based(rows: Sequence[dict[str, Any]], now: Any) -> None:
        with store.write() as session:
            write_analysis(session, rows, now)
            write_embeddings(session, [r["id"] for r in rows], vectors, "bench")

    flush = routing.flush_column_changes
    results: dict[str, list[float]] = {}

    def measure(name: str, fn: Callable[[], object]) -> None:
        ticks, cpu = bench_scale.postgres_ticks(), time.process_time()
        fn()
        hz = os.sysconf("SC_CLK_TCK")
        results.setdefault(f"{name} postgres", []).append(1000 * (bench_scale.postgres_ticks() - ticks) / hz / BATCH)
        results.setdefault(f"{name} client", []).append(1000 * (time.process_time() - cpu) / BATCH)

    batch = 1
    for _ in range(args.pairs):
        for way in ("per item", "set-based"):
            chunk = ids[batch * BATCH : (batch + 1) * BATCH]
            batch += 1
            rows = [{**row, "id": item_id} for row, item_id in zip(template, chunk, strict=True)]
            write = per_item if way == "per item" else set_based
            measure(f"analyse write, {way}", lambda: write(rows, utcnow()))  # noqa: B023
            routing.flush_column_changes = (lambda _session, _objects: 0) if way == "per item" else flush
            measure(f"route, {way}", lambda: routing.route_items(store, chunk))  # noqa: B023
    routing.flush_column_changes = flush
    store.dispose()
    print(
        json.dumps(
            {
                "items": args.items,
                "pairs": args.pairs,
                "load": os.getloadavg()[0],
                "ms_per_item_median": {k: round(statistics.median(v), 3) for k, v in results.items()},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
