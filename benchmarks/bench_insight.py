"""CPU time of the insight pages' computations, from the items against from the roll-up cells.

    .venv/bin/python benchmarks/bench_insight.py               # 100,000 items, SQLite, built once in benchmarks/.cache/
    options: --items N, --runs R (default 3), --page-runs P (default 20), --cases trends,competitors,journey,personas,
             --db PATH (measure an existing store instead, e.g. a copy of the dashboard bench's 1M store: the bench
             migrates it and writes persona_runs, so never point it at a store you must not change)

The store is the dashboard benchmark's (``bench_inbox.build`` + ``bench_dashboard.enrich``: 8 channels, 20
sources, 6 locations, three years, one or two aspects per item), in a database of its own, rolled up once.
Each case runs ``--runs`` times in this process after one warm-up; the figure is the median of this process's
CPU time (``time.process_time``: the app and SQLite both), steadier than wall time on a loaded machine.

- trends: ``trend_report`` for the default period (the last 180 days) per metric, ``rollups=False`` (every
  item of the period, the path before the roll-ups) against the cells;
- competitors: two sources marked as a competitor's (``set_competitor``, after the trends cases, which the cells
  answer only without competitor sources) and their days recomputed (timed on its own);
  ``benchmark(load_observations(...))`` (the path before) against ``competitor_benchmark`` (per-source and
  per-aspect cells), whole span. They are ours again afterwards: the next run recomputes their days first.
- journey: ``journey_view(..., rollups=False)`` (every item of the period: the page before) against
  ``journey_view`` from the aspect cells + one bounded quote query, for the whole span (the page's default),
  the last 180 days and one location; p95 and median over ``--page-runs`` for the cells;
- personas: ``personas.personas`` over the whole span (what the page fitted on every view before) against
  ``personas.stored`` (what the page reads now), and the background refit (``personas.refresh``, once);
- topics: a store without store-wide topics gets them first (``add_topics``: 31 topics over four items in five,
  one of them only in the last two weeks), so /trends' emerging topics and /topics count real assignments;
- pages: ``GET`` of every Measure page but the dashboard (``PAGES``: /trends, /competitors, /journey, /personas,
  /topics, /business, /events) through the app as the admin and as an agent (wall and CPU).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import case, func, insert, literal, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dashboard import enrich
from bench_inbox import SECRET, build, login
from voxpop.measure import personas, rollups, topic_cells
from voxpop.measure.competitors import benchmark, competitor_benchmark, set_competitor
from voxpop.measure.journey import journey_view
from voxpop.measure.observations import load_observations
from voxpop.measure.trend_cells import span
from voxpop.measure.trends import trend_report
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item, Source
from voxpop.store.models.topics import ItemTopic, StoreTopic
from voxpop.store.types import utcnow

CACHE = Path(__file__).resolve().parent / ".cache" / "insight"


def cpu(run: Callable[[], object], runs: int) -> float:
    """Median CPU milliseconds of ``run`` (after one warm-up)."""
    return statistics.median(cpu_times(run, runs))


def cpu_times(run: Callable[[], object], runs: int, *, warm: bool = True) -> list[float]:
    """CPU milliseconds of each of ``runs`` runs of ``run`` (after one warm-up unless ``warm`` is off)."""
    if warm:
        run()
    times = []
    for _ in range(runs):
        started = time.process_time()
        run()
        times.append(1000 * (time.process_time() - started))
    return times


def p95(times: list[float]) -> float:
    """The 95th percentile, nearest rank (the largest of fewer than 20 runs)."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def both(times: list[float]) -> str:
    return f"{p95(times):,.0f} / {statistics.median(times):,.0f}"


def journey_cases(store: Store, runs: int, page_runs: int) -> None:
    print("\n| /journey (CPU ms, p95 / median) | from the items (before) | from the roll-ups (after) |")
    print("| --- | --- | --- |")
    with store.read() as s:
        first, last = span(s, None) or (None, None)
        assert first is not None, "no items"
        assert last is not None
        location = s.scalar(select(Item.location).where(Item.location.is_not(None)).limit(1))
        recent = last - timedelta(days=179)
        cases = [
            (f"whole span {first} – {last} (the default)", {}),
            (f"last 180 days ({recent} – {last})", {"start": recent, "end": last}),
            (f"whole span, location {location}", {"location": location}),
        ]
        for label, kwargs in cases:
            view = journey_view(s, None, **kwargs)  # type: ignore[arg-type]
            assert view.source == "rollups", "the cells cannot stand in: days are pending"
            after = cpu_times(lambda k=kwargs: journey_view(s, None, **k), page_runs)  # type: ignore[misc]
            old = journey_view(s, None, rollups=False, **kwargs)  # type: ignore[arg-type]
            cells = [(p.name, p.mentions, p.negative) for st in view.stages for p in st.touchpoints]
            items = [(p.name, p.mentions, p.negative) for st in old.stages for p in st.touchpoints]
            same = "the same" if cells == items else "DIFFERENT"
            before = cpu_times(lambda k=kwargs: journey_view(s, None, rollups=False, **k), runs, warm=False)  # type: ignore[misc]
            print(f"| {label}: {view.items:,} items, mentions/negatives {same} | {both(before)} | {both(after)} |")


# Every Measure page besides the dashboard (``bench_dashboard.py`` times that one), at its default period.
PAGES = ("/trends", "/competitors", "/journey", "/personas", "/topics", "/business", "/events")


def page_cases(
    store: Store, settings: Settings, page_runs: int, pages: tuple[str, ...] = PAGES, *, refit: bool = True
) -> None:
    """The Measure pages through the app (TestClient: routing, the lazy roll-up check, the template), as the admin
    and as the agent (one department): p95 / median of wall and this process's CPU ms."""
    from fastapi.testclient import TestClient

    from bench_dashboard import timed
    from voxpop.web.app import create_app

    if refit:
        refitted = personas.refresh_all(store)  # the agent's scope too (what voxpop serve does in the background)
        print(f"\npersonas refitted for: {[scope for scope, done in refitted if done] or 'none (unchanged)'}")
    app = create_app(settings, store)
    print("\n| page (through the app) | wall ms p95 / median | CPU ms p95 / median |\n| --- | --- | --- |")
    for who in ("admin", "agent"):
        with TestClient(app) as client:
            login(client, f"{who}@bench.example")
            for page in pages:
                if client.get(page).status_code == 403:  # e.g. /topics is not an agent's page
                    print(f"| {page} as {who} | not open to this role | |")
                    continue
                timed(client, page)
                runs = [timed(client, page) for _ in range(page_runs)]
                wall, cpu_ms = [r[0] for r in runs], [r[1] for r in runs]
                print(f"| {page} as {who} ({page_runs} views) | {both(wall)} | {both(cpu_ms)} |")


def personas_cases(store: Store, runs: int, page_runs: int) -> None:
    print("\n| /personas (CPU ms, p95 / median) | fitted on the view (before) | read the stored fit (after) |")
    print("| --- | --- | --- |")
    with store.read() as s:
        fitted: list[personas.PersonaResult] = []
        before = cpu_times(lambda: fitted.append(personas.personas(s, None)), runs, warm=False)
    started = time.process_time()
    found, _ = personas.refresh(store, force=True)
    refit = 1000 * (time.process_time() - started)
    assert found is not None
    with store.read() as s:
        after = cpu_times(lambda: personas.stored(s, None), page_runs)
    result = found.result
    print(
        f"| whole span ({fitted[-1].people:,} people) before; now the last {personas.PERIOD_DAYS} days with items "
        f"({found.start} – {found.end}, {result.people:,} people, k = {result.k}) | {both(before)} | {both(after)} |"
    )
    print(f"\nbackground refit (personas.refresh, once): {refit:,.0f} ms CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--page-runs", type=int, default=20)
    parser.add_argument("--cases", default="trends,competitors,journey,personas,pages")
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()
    cases = set(args.cases.split(","))
    CACHE.mkdir(parents=True, exist_ok=True)
    if args.db is not None:
        settings = Settings(home=args.db.parent, database_url=f"sqlite:///{args.db}", secret_key=SECRET)
        store = Store(settings)
        store.migrate()
    else:
        path = CACHE / f"insight-{args.items}.db"
        settings = Settings(home=CACHE, database_url=f"sqlite:///{path}", secret_key=SECRET)
        build(settings, args.items)
        store = Store(settings)
        enrich(store)
    with store.write() as s:  # a competitor case cut short leaves sources marked: ours again (days queued)
        for source_id in s.scalars(select(Source.id).where(Source.is_competitor.is_(True))):
            set_competitor(s, None, source_id, None)
    add_topics(store)
    started = time.process_time()
    if days := rollups.ensure_fresh(store, max_days=None):
        print(f"rolled up {days:,} days: {time.process_time() - started:,.1f} s CPU", file=sys.stderr)
    with store.read() as s:
        total = s.scalar(select(func.count(Item.id)))
    print(f"{total:,} items, CPU ms (median of {args.runs} unless said)")
    if "journey" in cases:
        journey_cases(store, args.runs, args.page_runs)
    if "personas" in cases:
        personas_cases(store, args.runs, args.page_runs)
    if "pages" in cases:
        page_cases(store, settings, args.page_runs)
    if "trends" in cases:
        trend_cases(store, args.runs)
    if "competitors" in cases:
        competitor_cases(store, settings, args.runs, args.page_runs)
    store.dispose()


TOPICS = 30


def add_topics(store: Store) -> None:
    """Store-wide topics, as ``voxpop topics rebuild`` leaves them, when the store has none: ``TOPICS``
    topics, four items in five in one of them (spread evenly), and one more topic that only the last 14 days'
    items are in (one in ten of them: it emerges). Then the roll-ups' topic cells, as ``store_topics`` writes
    them (timed)."""
    with store.write() as s:
        if s.scalar(select(StoreTopic.id).limit(1)) is not None:
            return
        now = utcnow()
        topics = [
            StoreTopic(name=f"theme {n}", key_phrases=[f"phrase {n}"], centroid=b"", threshold=0.5)
            for n in range(TOPICS)
        ]
        emerging = StoreTopic(name="new complaint", key_phrases=["new complaint"], centroid=b"", threshold=0.5)
        s.add_all([*topics, emerging])
        s.flush()
        last = s.scalar(select(func.max(Item.created_at)))
        assert last is not None
        recent = last - timedelta(days=13)
        topic = case(
            ((Item.created_at >= recent) & (Item.id % 10 == 7), emerging.id),
            (Item.id % 5 == 0, None),
            else_=topics[0].id + (Item.id * 7919) % TOPICS,
        )
        s.execute(
            insert(ItemTopic).from_select(["item_id", "topic_id", "assigned_at"], select(Item.id, topic, literal(now)))
        )
        started = time.process_time()
        cells = topic_cells.recompute_topic_cells(s)
        took = time.process_time() - started
    print(
        f"store-wide topics added: {TOPICS + 1}; topic cells written: {cells:,} in {took:,.1f} s CPU", file=sys.stderr
    )


def trend_cases(store: Store, runs: int) -> None:
    print("\n| case | from the items | from the roll-ups |\n| --- | --- | --- |")
    with store.read() as s:
        for metric in ("negative_share", "rating", "volume"):
            new = trend_report(s, None, metric)
            assert new.source == "rollups", "the cells cannot stand in: pending days or competitor sources"
            old = trend_report(s, None, metric, rollups=False)
            assert [c.day for c in new.changes] == [c.day for c in old.changes], metric
            assert new.emerging == old.emerging, metric  # the topic cells against the items
            items = cpu(lambda m=metric: trend_report(s, None, m, rollups=False), runs)  # type: ignore[misc]
            cells = cpu(lambda m=metric: trend_report(s, None, m), runs)  # type: ignore[misc]
            print(f"| /trends {metric}, {new.start} – {new.end} ({new.items:,} items) | {items:,.0f} | {cells:,.0f} |")


def competitor_cases(store: Store, settings: Settings, runs: int, page_runs: int) -> None:
    with store.write() as s:  # queues every day holding their items, as the page's form does
        marked = [source.id for source in s.query(Source).order_by(Source.id).limit(2)]
        for source_id in marked:
            set_competitor(s, None, source_id, f"Rival {source_id}")
    started = time.process_time()
    days = rollups.ensure_fresh(store, max_days=None)
    print(
        f"\nmarking two sources as a competitor's: {days:,} days recomputed (rollups.ensure_fresh) in "
        f"{time.process_time() - started:,.1f} s CPU"
    )
    with store.read() as s:
        before = cpu(lambda: benchmark(load_observations(s, None, competitors=True)), runs)
        after = cpu(lambda: competitor_benchmark(s, None), runs)
        new, old = competitor_benchmark(s, None), benchmark(load_observations(s, None, competitors=True))
    # Both paths leave spam out and count an aspect once per item: they should agree exactly.
    drift = max(abs(a.items - b.items) / max(b.items, 1) for a, b in zip(new.brands, old.brands, strict=True))
    aspects = max(
        abs(a.aspects[name].mentions - b.aspects[name].mentions) / max(b.aspects[name].mentions, 1)
        for a, b in zip(new.brands, old.brands, strict=True)
        for name in set(a.aspects) | set(b.aspects)
    )
    print("\n| case | from the items | from the roll-ups |\n| --- | --- | --- |")
    print(f"| /competitors, whole span | {before:,.0f} | {after:,.0f} |")
    print(f"\nbrands' item counts, roll-ups against items: at most {100 * drift:.1f} % apart")
    print(f"brands' aspect mentions, roll-ups against items: at most {100 * aspects:.1f} % apart")
    print("\nthe page with the two sources marked:")
    page_cases(store, settings, page_runs, ("/competitors",), refit=False)
    with store.write() as s:  # ours again: their days are queued, the next run recomputes them first
        for source_id in marked:
            set_competitor(s, None, source_id, None)


if __name__ == "__main__":
    main()
