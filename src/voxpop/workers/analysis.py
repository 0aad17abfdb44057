"""The ``analyze`` task: run the analysis pipeline over stored items and write the results.

Models are heavy to load, so each process keeps one ``Analyzer`` per (data folder, taxonomy) and reuses
it for every batch.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import select

from voxpop.analyze.pipeline import Analyzer, analyze_items
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.workers.tasks import task

_lock = threading.Lock()
_analyzers: dict[tuple[str, str], Analyzer] = {}


def shared_analyzer(settings: Settings) -> Analyzer:
    key = (str(settings.models_path), settings.taxonomy)
    with _lock:
        analyzer = _analyzers.get(key)
        if analyzer is None:
            analyzer = _analyzers[key] = Analyzer(settings, settings.taxonomy)
        return analyzer


@task("analyze")
def analyze(store: Store, ids: Sequence[int]) -> None:
    analyze_items(store, ids, shared_analyzer(store.settings))


def pending_ids(store: Store, *, everything: bool = False) -> list[int]:
    """Ids of the items still to analyse (never analysed), or of every item."""
    query = select(Item.id).order_by(Item.id)
    if not everything:
        query = query.where(Item.analyzed_at.is_(None))
    with store.read() as session:
        return list(session.scalars(query))
