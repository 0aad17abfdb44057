"""REST API v1 for alerts and outreach: the alert history and the outreach numbers (managers' tokens,
scope ``items:read``), and marking an outreach ask completed (scope ``items:write``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from voxpop.act.alerts.access import require_manager
from voxpop.act.outreach.tracking import mark_completed, status_numbers
from voxpop.store import Store
from voxpop.store.models.outreach import Alert, AlertDelivery, AlertDestination, AlertRule
from voxpop.web.auth import ApiCaller, ReadDb, get_store
from voxpop.web.schemas import ErrorOut

ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 422)}
router = APIRouter(prefix="/api/v1", tags=["v1"], responses=ERRORS)


class DeliveryOut(BaseModel):
    destination: str
    status: str
    attempts: int
    last_error: str | None
    sent_at: datetime | None


class AlertOut(BaseModel):
    id: int
    rule: str
    kind: str
    title: str
    item_id: int | None
    created_at: datetime
    detail: dict[str, Any]
    deliveries: list[DeliveryOut]


class OutreachNumbersOut(BaseModel):
    kind: str
    sent: int
    clicked: int
    completed: int
    failed: int


@router.get("/alerts", response_model=list[AlertOut])
def alerts(
    caller: ApiCaller,
    db: ReadDb,
    before_id: Annotated[int | None, Query(description="only alerts older than this id (paging)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[AlertOut]:
    """The newest alerts first, with where each went and how that went."""
    caller.require("items:read")
    require_manager(caller.user)
    query = select(Alert, AlertRule).join(AlertRule).order_by(Alert.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(Alert.id < before_id)
    rows = db.execute(query).all()
    deliveries: dict[int, list[DeliveryOut]] = {alert.id: [] for alert, _ in rows}
    if deliveries:
        found = db.execute(
            select(AlertDelivery, AlertDestination.name)
            .join(AlertDestination)
            .where(AlertDelivery.alert_id.in_(list(deliveries)))
            .order_by(AlertDelivery.id)
        )
        for d, name in found:
            deliveries[d.alert_id].append(
                DeliveryOut(
                    destination=name, status=d.status, attempts=d.attempts, last_error=d.last_error, sent_at=d.sent_at
                )
            )
    return [
        AlertOut(
            id=a.id,
            rule=r.name,
            kind=r.kind,
            title=a.title,
            item_id=a.item_id,
            created_at=a.created_at,
            detail=a.detail,
            deliveries=deliveries[a.id],
        )
        for a, r in rows
    ]


@router.get("/outreach/status", response_model=list[OutreachNumbersOut])
def outreach_status(
    caller: ApiCaller, db: ReadDb, days: Annotated[int, Query(ge=1, le=3650)] = 90
) -> list[OutreachNumbersOut]:
    """Promoter asks sent, clicked, completed and failed, by kind, over the last ``days``."""
    caller.require("items:read")
    require_manager(caller.user)
    return [
        OutreachNumbersOut(kind=n.kind, sent=n.sent, clicked=n.clicked, completed=n.completed, failed=n.failed)
        for n in status_numbers(db, days=days)
    ]


class CompletedIn(BaseModel):
    ref: str


class CompletedOut(BaseModel):
    kind: str
    completed_at: datetime


@router.post("/outreach/completed", response_model=CompletedOut)
def outreach_completed(
    caller: ApiCaller, store: Annotated[Store, Depends(get_store)], body: Annotated[CompletedIn, Body()]
) -> CompletedOut:
    """An ask was answered elsewhere — e.g. your survey tool's webhook, with the ``ref`` the survey link carried.
    Idempotent: the first completion time is kept."""
    caller.require("items:write")
    with store.write() as session:
        send = mark_completed(session, body.ref.strip())
        assert send.completed_at is not None
        return CompletedOut(kind=send.kind, completed_at=send.completed_at)
