"""CPU per item of each pipeline stage on PostgreSQL — the worker's own (``time.process_time``) and its
PostgreSQL backend's (``/proc`` ticks) — with the stages run inline on one thread, as one single-thread
``voxpop worker`` runs them: analyse, route and alert on every 512-item batch, a roll-up run every fifth.
CPU time holds better than wall time on a shared machine; run two versions back to back to compare them.

    .venv/bin/python benchmarks/bench_stage_cpu.py                      # 5,000 airline tweets
    .venv/bin/python benchmarks/bench_stage_cpu.py --items 3000 --profile /tmp/stages.prof

``--profile`` writes a cProfile of the stages (CPU clock; the profiler roughly triples the figures).
Needs the local PostgreSQL and the models ``bench_scale.py`` uses.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import sys
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_scale

BATCH = 512
bench_scale.PG_DB = "voxpop_bench_stage_cpu"


def postgres_seconds() -> float:
    """CPU seconds used so far by the backends of the benchmark's database."""
    return bench_scale.postgres_ticks() / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--profile", type=Path, help="write a cProfile (CPU clock) of the stages here")
    args = parser.parse_args()
    env = bench_scale.ingested_pg("stage-cpu", args.items)
    # One thread for the model and every native pool, as `voxpop worker --threads 1` gives each process.
    os.environ.update(env, VOXPOP_ANALYSIS_THREADS="1")
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")

    from voxpop.settings import Settings
    from voxpop.store import Store
    from voxpop.workers.executor import load_builtin_tasks
    from voxpop.workers.stats import run_stage

    load_builtin_tasks()
    store = Store(Settings())
    with store.read() as session:
        ids = list(session.scalars(text("SELECT id FROM items ORDER BY id")))
    warm, ids = ids[:16], ids[16:]
    run_stage(store, "analyze", warm)  # loads the models
    run_stage(store, "route", warm)
    client: dict[str, float] = {}
    postgres: dict[str, float] = {}
    profile = cProfile.Profile(time.process_time) if args.profile else None
    if profile is not None:
        profile.enable()
    for n, start in enumerate(range(0, len(ids), BATCH)):
        batch = ids[start : start + BATCH]
        for stage in ["analyze", "route", "alert"] + (["rollup"] if n % 5 == 4 else []):
            server, cpu = postgres_seconds(), time.process_time()
            run_stage(store, stage, batch)
            client[stage] = client.get(stage, 0.0) + time.process_time() - cpu
            postgres[stage] = postgres.get(stage, 0.0) + postgres_seconds() - server
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
    store.engine.dispose()

    def per_item(seconds: dict[str, float]) -> dict[str, float]:
        return {stage: round(1000 * s / len(ids), 3) for stage, s in seconds.items()}

    print(
        json.dumps(
            {
                "items": len(ids),
                "load": os.getloadavg()[0],
                "cpu_ms_per_item": {"worker": per_item(client), "postgres": per_item(postgres)},
                "worker_total": round(1000 * sum(client.values()) / len(ids), 3),
                "postgres_total": round(1000 * sum(postgres.values()) / len(ids), 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
