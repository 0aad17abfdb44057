"""``voxpop worker``: run the pipeline's stages from the broker; ``voxpop status``: how the pipeline is
doing; ``voxpop failures``: the parked poison items, and sending them through again."""

from __future__ import annotations

import os
import sys

import typer
from rich.table import Table

from voxpop.cli import app
from voxpop.cli.common import console, err_console, load_settings, open_store, user_errors
from voxpop.workers.status import pipeline_status

failures_app = typer.Typer(help="Batches that failed every retry, parked with their error.", no_args_is_help=True)
app.add_typer(failures_app, name="failures")


@app.command("worker")
def worker(
    processes: int = typer.Option(1, "--processes", "-p", min=1, help="Worker processes."),
    threads: int = typer.Option(1, "--threads", "-t", min=1, help="Threads per process."),
) -> None:
    """Consume the pipeline's messages (needs VOXPOP_BROKER_URL); run one per machine, any number of machines."""
    settings = load_settings()
    if not settings.broker_url:
        err_console.print("[red]error:[/red] set VOXPOP_BROKER_URL (redis://host:6379/0) to run workers")
        raise typer.Exit(2)
    argv = [
        sys.executable,
        "-m",
        "dramatiq",
        "voxpop.workers.dramatiq_app",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--worker-shutdown-timeout",
        str(settings.task_time_limit_seconds * 1000),
    ]
    os.environ.update(thread_caps(settings.analysis_threads, processes, dict(os.environ)))
    sys.stdout.flush()
    os.execv(sys.executable, argv)  # noqa: S606 — replace this process, so signals reach Dramatiq directly


#: The native thread pools a worker process may start besides ONNX Runtime's: OpenBLAS (numpy, scipy),
#: OpenMP (scikit-learn) and MKL. Each sizes itself to the machine's cores by default, and their idle
#: threads spin: two single-thread workers on two cores then ran at 0.80x their solo speed each.
NATIVE_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def thread_caps(analysis_threads: int, processes: int, environ: dict[str, str]) -> dict[str, str]:
    """The environment that keeps ``processes`` worker processes within the machine's cores: each gets
    ``analysis_threads`` (or its share of the cores) for the model and for every native thread pool. A
    variable the operator set is left as it is."""
    threads = analysis_threads
    if not threads:
        # N processes on a machine share its cores instead of each spinning up one thread per core.
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        threads = max(1, cores // processes)
    caps = {"VOXPOP_ANALYSIS_THREADS": str(threads)}
    caps.update({name: str(threads) for name in NATIVE_THREAD_VARIABLES if name not in environ})
    return caps


@app.command("status")
def status() -> None:
    """Items, pending analysis, queue depth, live workers, per-stage throughput and parked failures."""
    with open_store() as store:
        s = pipeline_status(store)
    console.print(f"executor: {s.executor}")
    console.print(f"items: {s.items:,} — waiting for analysis: {s.pending_analysis:,}")
    if s.executor == "dramatiq":
        if s.broker_error:
            console.print(f"[red]broker unreachable:[/red] {s.broker_error}")
        else:
            alive = "unknown" if s.workers_alive is None else str(s.workers_alive)
            console.print(f"queued batches: {s.queue_depth} — live worker processes: {alive}")
    console.print(f"parked failures: {s.parked_failures}" + (" (voxpop failures list)" if s.parked_failures else ""))
    if s.stages:
        table = Table("stage", "batches", "items", "errors", "items/s of work")
        for stage, t in sorted(s.stages.items()):
            rate = t["items"] / t["seconds"] if t["seconds"] else 0.0
            table.add_row(stage, f"{t['batches']:,.0f}", f"{t['items']:,.0f}", f"{t['errors']:,.0f}", f"{rate:,.1f}")
        console.print(table)


@failures_app.command("list")
def failures_list(all_: bool = typer.Option(False, "--all", help="Include those already retried.")) -> None:
    """The parked batches, newest first."""
    from voxpop.workers.worker import parked

    with open_store() as store:
        rows = parked(store, include_retried=all_)
    if not rows:
        console.print("no parked failures")
        return
    table = Table("id", "stage", "items", "attempts", "when", "error")
    for f in rows:
        table.add_row(
            str(f.id), f.stage, ", ".join(map(str, f.ids)), str(f.attempts), f"{f.created_at:%Y-%m-%d %H:%M}", f.error
        )
    console.print(table)


@failures_app.command("retry")
def failures_retry(failure_id: int = typer.Argument(..., help="The failure's id (voxpop failures list).")) -> None:
    """Send a parked batch through its stage and the rest of the pipeline again."""
    from voxpop.workers.executor import get_executor
    from voxpop.workers.worker import retry

    with user_errors(), open_store() as store:
        failure = retry(store, get_executor(store), failure_id)
    console.print(f"sent items {', '.join(map(str, failure.ids))} through {failure.stage} again")
