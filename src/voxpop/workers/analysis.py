"""The ``analyze`` task: run the analysis pipeline over stored items and write the results.

Models are heavy to load, so each process keeps one ``Analyzer`` per (models folder, taxonomy content)
and reuses it for every batch. Each analysis records the fingerprint of the taxonomy it used, so a
changed taxonomy — another file, or the same file edited — makes the items it analysed *stale*, and
``voxpop reanalyze`` (or ``voxpop serve`` on start) analyses them again.

One item that makes an enricher fail does not stop its batch: the batch is analysed again item by item,
and the item that fails alone is marked — its ``analysis`` JSON holds the error (shown on its page) and it
counts as analysed, so it is not retried on every start; ``voxpop reanalyze --all`` tries it again. A
database error is not an item's fault: it fails the task, which is retried whole.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import SQLAlchemyError

from voxpop.analyze.pipeline import Analyzer, analyze_items
from voxpop.analyze.taxonomy import taxonomy_fingerprint
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item
from voxpop.store.types import utcnow
from voxpop.workers.tasks import task

log = logging.getLogger(__name__)

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
    analyze_resiliently(store, ids, analyzer, stamp={"taxonomy": fingerprint})


def analyze_resiliently(store: Store, ids: Sequence[int], analyzer: Analyzer, *, stamp: dict[str, Any]) -> list[int]:
    """Analyse ``ids``; an item an enricher fails on is marked and the others are analysed. Returns the
    ids of the items marked failed."""
    try:
        analyze_items(store, ids, analyzer, stamp=stamp)
        return []
    except SQLAlchemyError:
        raise
    except Exception:
        log.warning("analysis of %d items failed; analysing them one by one", len(ids), exc_info=True)
    failed = []
    for item_id in ids:
        try:
            analyze_items(store, [item_id], analyzer, stamp=stamp)
        except SQLAlchemyError:
            raise
        except Exception as exc:
            log.warning("analysis failed on item %s", item_id, exc_info=True)
            mark_failed(store, item_id, f"{type(exc).__name__}: {exc}"[:500], stamp)
            failed.append(item_id)
    return failed


def mark_failed(store: Store, item_id: int, error: str, stamp: dict[str, Any]) -> None:
    """Keep why the analysis failed on the item (and what a person corrected on it before)."""
    with store.write() as session:
        item = session.get(Item, item_id)
        if item is not None:
            kept = {k: v for k, v in (item.analysis or {}).items() if k == "corrected"}
            item.analysis = {**kept, **stamp, "error": error}
            item.analyzed_at = utcnow()


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
