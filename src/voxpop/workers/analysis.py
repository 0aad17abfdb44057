"""The ``analyze`` task: run the analysis pipeline over stored items and write the results.

Models are heavy to load, so each process keeps one ``Analyzer`` per (models folder, taxonomy content)
and reuses it for every batch. Each analysis records the fingerprint of the taxonomy it used, so a
changed taxonomy — another file, or the same file edited — makes the items it analysed *stale*, and
``voxpop reanalyze`` (or ``voxpop serve`` on start) analyses them again.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import ColumnElement, or_, select

from voxpop.analyze.pipeline import Analyzer, analyze_items
from voxpop.analyze.taxonomy import taxonomy_fingerprint
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.workers.tasks import task

_lock = threading.Lock()
_analyzers: dict[tuple[str, str], Analyzer] = {}


def shared_analyzer(settings: Settings) -> tuple[Analyzer, str]:
    """This process's analyzer for the settings' taxonomy as it is on disk now, and its fingerprint."""
    fingerprint = taxonomy_fingerprint(settings.taxonomy)
    key = (str(settings.models_path), fingerprint)
    with _lock:
        analyzer = _analyzers.get(key)
        if analyzer is None:
            analyzer = _analyzers[key] = Analyzer(settings, settings.taxonomy)
        return analyzer, fingerprint


@task("analyze")
def analyze(store: Store, ids: Sequence[int]) -> None:
    analyzer, fingerprint = shared_analyzer(store.settings)
    analyze_items(store, ids, analyzer, stamp={"taxonomy": fingerprint})


def pending_ids(store: Store, *, everything: bool = False, stale: bool = False) -> list[int]:
    """Ids of the items to analyse: never analysed; with ``stale`` also those analysed under another
    taxonomy than the settings' one; with ``everything``, every item."""
    query = select(Item.id).order_by(Item.id)
    if not everything:
        condition: ColumnElement[bool] = Item.analyzed_at.is_(None)
        if stale:
            used = Item.analysis["taxonomy"].as_string()
            current = taxonomy_fingerprint(store.settings.taxonomy)
            condition = or_(condition, used.is_(None), used != current)
        query = query.where(condition)
    with store.read() as session:
        return list(session.scalars(query))


def catch_up(store: Store, *, chunk: int = 512) -> int:
    """Send every pending or stale item through the pipeline, chunk by chunk; returns how many."""
    from voxpop.workers.executor import get_executor
    from voxpop.workers.pipeline import run_pipeline

    executor = get_executor(store)
    ids = pending_ids(store, stale=True)
    for start in range(0, len(ids), chunk):
        run_pipeline(executor, ids[start : start + chunk])
    return len(ids)
