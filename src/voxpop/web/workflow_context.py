"""What the item and inbox pages need from routing and the workflow (kept here so ``pages`` stays small)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.accounts.permissions import can_write
from voxpop.act import workflow
from voxpop.act.departments import list_departments
from voxpop.act.notes import notes_of, unseen_count
from voxpop.act.sla import item_breached
from voxpop.act.views import get_view, list_views
from voxpop.errors import NotFoundError
from voxpop.store.models import AuditEvent, Item, Role, User
from voxpop.store.types import utcnow

BULK_STATUSES = ("assigned", "waiting", "responded", "resolved", "ignored", "spam", "new")


def describe(event: AuditEvent) -> str:
    """One line of the item's history, in words."""
    d = event.detail or {}
    if event.action == "item_routed":
        return str(d.get("text", "routed"))
    if event.action == "item_status":
        return f"status {d.get('from')} → {d.get('to')}"
    if event.action == "item_assigned":
        return f"assigned to {d.get('to_email')}" if d.get("to") else "unassigned"
    if event.action == "item_department":
        return f"moved to {d.get('to_name') or 'no department'}"
    if event.action == "item_priority":
        return f"priority {d.get('from')} → {d.get('to')}"
    if event.action == "item_tagged":
        return "tagged " + ", ".join(d.get("added", []))
    if event.action == "item_untagged":
        return "untagged " + ", ".join(d.get("removed", []))
    if event.action == "item_note":
        mentioned = d.get("mentioned") or []
        return "added a note" + (f" mentioning {', '.join(mentioned)}" if mentioned else "")
    if event.action == "item_corrected":
        return "corrected " + ", ".join(sorted((d.get("changes") or {}).keys()))
    return event.action.replace("_", " ")


def assignees(session: Session, item: Item) -> list[User]:
    """Who the item can be given to: active agents of its department, managers and admins."""
    users = session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name, User.email))
    return [
        u
        for u in users
        if u.role in (Role.admin.value, Role.manager.value)
        or (u.role == Role.agent.value and item.department_id in u.department_ids)
    ]


def item_context(session: Session, user: User, item: Item) -> dict[str, Any]:
    return {
        "wf": {
            "can_write": can_write(user),
            "breached": item_breached(item, utcnow()),
            "next_statuses": workflow.allowed_next(item.status),
            "departments": list_departments(session),
            "assignees": assignees(session, item),
            "notes": notes_of(session, item.id),
            "history": [(e, describe(e)) for e in workflow.history(session, item.id)],
        }
    }


def view_params(session: Session, user: User, params: Mapping[str, str]) -> Mapping[str, str]:
    """The query parameters of the inbox: a saved view's filters when ``?view=<id>`` is asked for."""
    view_id = params.get("view", "")
    if not view_id.isdigit():
        return params
    try:
        return get_view(session, user, int(view_id)).filters
    except NotFoundError:
        return params


def inbox_context(session: Session, user: User, view_id: str | None) -> dict[str, Any]:
    return {
        "views": list_views(session, user),
        "view_id": view_id or "",
        "bulk_statuses": BULK_STATUSES,
        "can_bulk": can_write(user),
        "can_share": user.role in (Role.admin.value, Role.manager.value),
        "unseen_mentions": unseen_count(session, user),
        "bulk_users": [
            u
            for u in session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name, User.email))
            if u.role != Role.viewer.value
        ],
        "now": utcnow(),
        "item_breached": item_breached,
    }
