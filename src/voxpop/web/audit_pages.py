"""The audit log for admins: who viewed, changed, sent or exported what, newest first, filtered by who,
what action, which object and when, a page at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Select, select

from voxpop.accounts.permissions import require_admin
from voxpop.errors import ValidationError
from voxpop.store.models import AuditEvent
from voxpop.web.auth import PageUser, ReadDb
from voxpop.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = 100
FIELDS = ("actor", "action", "object_type", "object_id", "date_from", "date_to")


def _day(name: str, value: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    except ValueError as exc:
        raise ValidationError(f"field '{name}': {value!r} is not a date (YYYY-MM-DD)") from exc


def audit_query(values: dict[str, str], before: int | None = None) -> Select[AuditEvent]:
    """The events matching the filters: actor and action by prefix (``item.`` finds every item event),
    object type and id exactly, and the days from and to (both included, UTC)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PAGE + 1)
    if values["actor"]:
        query = query.where(AuditEvent.actor.startswith(values["actor"], autoescape=True))
    if values["action"]:
        query = query.where(AuditEvent.action.startswith(values["action"], autoescape=True))
    if values["object_type"]:
        query = query.where(AuditEvent.object_type == values["object_type"])
    if values["object_id"]:
        query = query.where(AuditEvent.object_id == values["object_id"])
    start, end = _day("date_from", values["date_from"]), _day("date_to", values["date_to"])
    if start is not None:
        query = query.where(AuditEvent.at >= start)
    if end is not None:
        query = query.where(AuditEvent.at < end + timedelta(days=1))
    if before is not None:
        query = query.where(AuditEvent.id < before)
    return query


@router.get("/audit")
def audit_page(request: Request, user: PageUser, db: ReadDb, before: int | None = None) -> Response:
    require_admin(user)
    values = {name: request.query_params.get(name, "").strip()[:200] for name in FIELDS}
    events = list(db.scalars(audit_query(values, before)))
    more = len(events) > PAGE
    events = events[:PAGE]
    context: dict[str, Any] = {
        "values": values,
        "events": events,
        "older": events[-1].id if more and events else None,
        "active": "audit",
    }
    return render(request, "audit.html", context)
