"""What a worker does with one message: run the stage, then pass the ids on to the next stage; when the
stage keeps failing, split the batch, and park a single failing item with its error.

Kept apart from Dramatiq's import-time set-up (``voxpop.workers.dramatiq_app``) so the logic is tested
directly on real databases, and the same parking serves every executor.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import select

from voxpop.errors import NotFoundError
from voxpop.store import Store
from voxpop.store.models.ops import TaskFailure
from voxpop.store.types import utcnow
from voxpop.workers.stats import run_stage

log = logging.getLogger(__name__)


class ChainSender(Protocol):
    def submit_chain(self, stages: Sequence[str], ids: Sequence[int], *, block: bool = True) -> None: ...


def process(
    store: Store,
    sender: ChainSender,
    stage: str,
    ids: Sequence[int],
    rest: Sequence[str],
    *,
    retries: int,
    max_retries: int,
) -> None:
    """Run ``stage`` on ``ids``, then send ``rest``. Raises while retries are left (the broker retries
    with back-off); after the last one, splits the batch or parks the single item."""
    try:
        run_stage(store, stage, ids)
    except Exception as exc:
        if retries < max_retries:
            raise
        if len(ids) > 1:
            middle = len(ids) // 2
            log.warning(
                "stage %s failed %d times on %d items: retrying them in two halves", stage, retries + 1, len(ids)
            )
            sender.submit_chain([stage, *rest], ids[:middle], block=False)
            sender.submit_chain([stage, *rest], ids[middle:], block=False)
            return
        park(store, stage, ids, rest, exc, attempts=retries + 1)
        return
    if rest:
        sender.submit_chain(list(rest), ids, block=False)


def park(
    store: Store, stage: str, ids: Sequence[int], rest: Sequence[str], exc: BaseException, *, attempts: int
) -> int:
    """Keep a batch that failed every retry, with its error; returns the failure's id."""
    error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    log.error("stage %s parked items %s after %d attempts: %s", stage, list(ids), attempts, error)
    with store.write() as session:
        failure = TaskFailure(stage=stage, ids=list(ids), rest=list(rest), error=error[:4000], attempts=attempts)
        session.add(failure)
        session.flush()
        return failure.id


def parked(store: Store, *, include_retried: bool = False) -> list[TaskFailure]:
    query = select(TaskFailure).order_by(TaskFailure.id.desc())
    if not include_retried:
        query = query.where(TaskFailure.retried_at.is_(None))
    with store.read() as session:
        return list(session.scalars(query))


def retry(store: Store, sender: ChainSender, failure_id: int) -> TaskFailure:
    """Send a parked batch through its stage and the rest of the pipeline again."""
    with store.write() as session:
        failure = session.get(TaskFailure, failure_id)
        if failure is None:
            raise NotFoundError(f"no parked failure {failure_id}")
        failure.retried_at = utcnow()
        stages, ids = [failure.stage, *failure.rest], list(failure.ids)
    sender.submit_chain(stages, ids)
    return failure
