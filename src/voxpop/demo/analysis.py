"""Analysing the stored demo items, so the inbox opens with sentiment, urgency and fake-review risk filled.

Only items not analysed yet (or analysed under another taxonomy) are picked up, so an interrupted run
carries on where it stopped; the analysis records its taxonomy like the worker's, so ``voxpop serve``
finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from voxpop.analyze.taxonomy import taxonomy_fingerprint
from voxpop.store import Store
from voxpop.workers import analysis

if TYPE_CHECKING:
    from voxpop.analyze.pipeline import Analyzer

BATCH = 256


def pending_ids(store: Store) -> list[int]:
    """The ids of the items to analyse, oldest first: never analysed, or under another taxonomy."""
    return analysis.pending_ids(store, stale=True)


def analyze_pending(
    store: Store, analyzer: Analyzer, *, on_progress: Callable[[int], None] | None = None, batch_size: int = BATCH
) -> int:
    """Run ``analyzer`` over every unanalysed item, one batch (and one short write) at a time, then the
    pipeline's later stages (routing, alerts, roll-ups) over the batch."""
    from voxpop.analyze.pipeline import analyze_items
    from voxpop.workers.executor import get_executor
    from voxpop.workers.pipeline import run_pipeline

    executor = get_executor(store)

    ids = pending_ids(store)
    stamp = {"taxonomy": taxonomy_fingerprint(store.settings.taxonomy)}
    done = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        done += analyze_items(store, chunk, analyzer, batch_size=batch_size, stamp=stamp)
        run_pipeline(executor, chunk, start="route")
        if on_progress is not None:
            on_progress(len(chunk))
    return done
