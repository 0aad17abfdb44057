"""``voxpop reanalyze``: analyse the stored items that are not analysed yet (or all of them)."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from voxpop.cli import app
from voxpop.cli.common import console, open_store
from voxpop.store import Store
from voxpop.workers.analysis import pending_ids
from voxpop.workers.executor import get_executor
from voxpop.workers.pipeline import run_pipeline

CHUNK = 512


def analyze_with_progress(store: Store, ids: list[int]) -> None:
    """Analyse stored items chunk by chunk with a progress bar; an interruption keeps what is done."""
    executor = get_executor(store)
    columns = (TextColumn("analysing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        bar = progress.add_task("analyse", total=len(ids))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            run_pipeline(executor, chunk)
            progress.advance(bar, len(chunk))
    console.print(f"analysed {len(ids):,} items")


@app.command("reanalyze")
def reanalyze(
    everything: bool = typer.Option(False, "--all", help="Analyse every item again, e.g. after fitting a model."),
) -> None:
    """Analyse the stored items that need it: those an interrupted or --no-analyze import left, and those
    analysed under another taxonomy than the active one (VOXPOP_TAXONOMY, or its file since edited);
    with --all, every item."""
    with open_store() as store:
        ids = pending_ids(store, everything=everything, stale=True)
        if not ids:
            console.print("nothing to analyse")
            return
        analyze_with_progress(store, ids)
