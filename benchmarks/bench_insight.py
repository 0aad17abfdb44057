"""CPU time of the insight pages' computations, from the items against from the roll-up cells.

    .venv/bin/python benchmarks/bench_insight.py               # 100,000 items, SQLite, built once in benchmarks/.cache/
    options: --items N, --runs R (default 3)

The store is the dashboard benchmark's (``bench_inbox.build`` + ``bench_dashboard.enrich``: 8 channels, 20
sources, 6 locations, three years, one or two aspects per item), in a database of its own, rolled up once.
Each case runs ``--runs`` times in this process after one warm-up; the figure is the median of this process's
CPU time (``time.process_time``: the app and SQLite both), steadier than wall time on a loaded machine.

- trends: ``trend_report`` for the default period (the last 180 days) per metric, ``rollups=False`` (every
  item of the period, the path before the roll-ups) against the cells;
- competitors: two sources marked as a competitor's (after the trends cases, which the cells answer only
  without competitor sources); ``benchmark(load_observations(...))`` (the path before) against
  ``competitor_benchmark`` (per-source cells + the items' aspects), whole span.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import update

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dashboard import enrich
from bench_inbox import SECRET, build
from voxpop.measure import rollups
from voxpop.measure.competitors import benchmark, competitor_benchmark
from voxpop.measure.observations import load_observations
from voxpop.measure.trends import trend_report
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Source

CACHE = Path(__file__).resolve().parent / ".cache" / "insight"


def cpu(run: Callable[[], object], runs: int) -> float:
    """Median CPU milliseconds of ``run`` (after one warm-up)."""
    run()
    times = []
    for _ in range(runs):
        started = time.process_time()
        run()
        times.append(1000 * (time.process_time() - started))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"insight-{args.items}.db"
    settings = Settings(home=CACHE, database_url=f"sqlite:///{path}", secret_key=SECRET)
    build(settings, args.items)
    store = Store(settings)
    enrich(store)
    with store.write() as s:  # the competitor cases leave two sources marked: put them back
        s.execute(update(Source).values(is_competitor=False, competitor=None))
    if rollups.ensure_fresh(store, max_days=None):
        print("rolled up", file=sys.stderr)
    print(f"{args.items:,} items, CPU ms (median of {args.runs})\n")
    print("| case | from the items | from the roll-ups |\n| --- | --- | --- |")
    with store.read() as s:
        for metric in ("negative_share", "rating", "volume"):
            new = trend_report(s, None, metric)
            assert new.source == "rollups", "the cells cannot stand in: pending days or competitor sources"
            old = trend_report(s, None, metric, rollups=False)
            assert [c.day for c in new.changes] == [c.day for c in old.changes], metric
            items = cpu(lambda m=metric: trend_report(s, None, m, rollups=False), args.runs)  # type: ignore[misc]
            cells = cpu(lambda m=metric: trend_report(s, None, m), args.runs)  # type: ignore[misc]
            print(f"| /trends {metric}, {new.start} – {new.end} ({new.items:,} items) | {items:,.0f} | {cells:,.0f} |")
    with store.write() as s:
        for source in s.query(Source).order_by(Source.id).limit(2):
            source.is_competitor, source.competitor = True, f"Rival {source.id}"
    with store.read() as s:
        before = cpu(lambda: benchmark(load_observations(s, None, competitors=True)), args.runs)
        after = cpu(lambda: competitor_benchmark(s, None), args.runs)
        new, old = competitor_benchmark(s, None), benchmark(load_observations(s, None, competitors=True))
    # The cells count the items marked spam (as the dashboard does); the items path leaves them out.
    drift = max(abs(a.items - b.items) / max(b.items, 1) for a, b in zip(new.brands, old.brands, strict=True))
    print(f"| /competitors, whole span | {before:,.0f} | {after:,.0f} |")
    print(f"\nbrands' item counts, roll-ups against items: at most {100 * drift:.1f} % apart (spam)")
    with store.write() as s:
        s.execute(update(Source).values(is_competitor=False, competitor=None))
    store.dispose()


if __name__ == "__main__":
    main()
