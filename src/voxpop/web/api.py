"""REST API v1: items (read, list with filters and cursor, create) and the caller's identity."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Query, Request
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record_view
from voxpop.act.inbox import get_item, list_items
from voxpop.errors import ValidationError
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.writer import RecordError, get_or_create_source, prepare_row, write_batch
from voxpop.store import Store
from voxpop.store.models import Source
from voxpop.web.auth import ApiCaller, ReadDb, get_store
from voxpop.web.filters import parse_filters
from voxpop.web.schemas import CreatedOut, ErrorOut, ItemDetailOut, ItemIn, ItemOut, ItemPageOut, MeOut
from voxpop.workers.executor import get_executor
from voxpop.workers.pipeline import run_pipeline

log = logging.getLogger(__name__)

ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422)}
router = APIRouter(prefix="/api/v1", tags=["v1"], responses=ERRORS)


@router.get("/me", response_model=MeOut)
def me(caller: ApiCaller) -> MeOut:
    """Who the credential belongs to, and what it may do."""
    return MeOut.of(caller.user, caller.scopes)


@router.get("/items", response_model=ItemPageOut)
def items(
    request: Request,
    caller: ApiCaller,
    db: ReadDb,
    channel: str | None = None,
    source_id: int | None = None,
    kind: str | None = None,
    status: str | None = None,
    department_id: int | None = None,
    rating_min: Annotated[float | None, Query(ge=0, le=1, description="normalised 0–1")] = None,
    rating_max: Annotated[float | None, Query(ge=0, le=1, description="normalised 0–1")] = None,
    sentiment: str | None = None,
    date_from: Annotated[str | None, Query(description="YYYY-MM-DD, inclusive")] = None,
    date_to: Annotated[str | None, Query(description="YYYY-MM-DD, inclusive")] = None,
    q: Annotated[str | None, Query(description="full-text search")] = None,
    location: str | None = None,
    question: Annotated[bool | None, Query(description="only questions to the business (true) or none (false)")] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ItemPageOut:
    """Items the caller may see, newest first; follow ``next_cursor`` for the next page."""
    caller.require("items:read")
    filters = parse_filters(request.query_params, stars=False)
    page = list_items(db, caller.user, filters, cursor=cursor, limit=limit)
    return ItemPageOut(items=[ItemOut.of(i) for i in page.items], next_cursor=page.next_cursor)


@router.get("/items/{item_id}", response_model=ItemDetailOut)
def item(item_id: int, caller: ApiCaller, db: ReadDb, store: Annotated[Store, Depends(get_store)]) -> ItemDetailOut:
    caller.require("items:read")
    found = get_item(db, caller.user, item_id)
    record_view(store, caller.user, "item", found.id, via="api")
    return ItemDetailOut.of(found)


def _record(item: ItemIn) -> ItemRecord:
    return ItemRecord(**item.model_dump(mode="python") | {"kind": item.kind.value})


def _write(session: Session, source: Source, records: list[ItemRecord]) -> CreatedOut:
    try:
        result = write_batch(session, source, records)
    except RecordError as exc:
        # Say which item of the list was bad, as well as which field.
        now = datetime.now(UTC)
        for index, record in enumerate(records):
            try:
                prepare_row(source, record, now=now)
            except RecordError as bad:
                raise ValidationError(f"item {index}, field '{bad.field}': {bad.reason}") from exc
        raise
    return CreatedOut(
        source_id=source.id, added=result.added_ids, duplicates=result.duplicates, updated=result.updated_ids
    )


@router.post("/items", response_model=CreatedOut, status_code=201)
def create_items(
    caller: ApiCaller,
    background: BackgroundTasks,
    store: Annotated[Store, Depends(get_store)],
    body: Annotated[ItemIn | list[ItemIn], Body()],
    source: Annotated[str, Query(min_length=1, max_length=200, description="source name")] = "api",
    channel: Annotated[str, Query(max_length=50, description="channel of a new source")] = "api",
) -> CreatedOut:
    """Add one item or a list; items already stored for the source are counted as duplicates."""
    caller.require("items:write")
    batch = body if isinstance(body, list) else [body]
    if not batch:
        raise ValidationError("send at least one item")
    with store.write() as session:
        target = get_or_create_source(session, source, kind="api", channel=channel)
        created = _write(session, target, [_record(i) for i in batch])
    if store.settings.analyze_on_ingest and (created.added or created.updated):
        # After the response: the caller does not wait for the models. ``voxpop reanalyze`` finishes
        # anything this misses (a crash, a restart). Edited items are analysed again too.
        background.add_task(_analyze, store, created.added + created.updated)
    return created


def _analyze(store: Store, ids: list[int]) -> None:
    try:
        run_pipeline(get_executor(store), ids)
    except Exception:
        log.exception("analysis of %d new items failed; they stay pending for `voxpop reanalyze`", len(ids))
