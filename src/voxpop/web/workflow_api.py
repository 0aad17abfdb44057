"""REST API v1 for the inbox workflow and routing: change an item (status, assignee, department, tags,
priority), its notes and history, bulk actions, the caller's mentions, SLA breaches and routing rules.

Items go through ``act.inbox.get_item``: another department's item is a 404, exactly as on the pages.
Reading needs ``items:read``; changing needs ``items:write``; rules can be changed by managers and admins.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from voxpop.act import workflow
from voxpop.act.inbox import get_item, visible_to
from voxpop.act.notes import add_note, mark_seen, mentions_of, notes_of, send_mention_mails
from voxpop.act.routing import rules as routing_rules
from voxpop.act.sla import breached_query, item_breached
from voxpop.errors import PermissionDeniedError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Item, Role, User
from voxpop.store.types import utcnow
from voxpop.web.auth import ApiCaller, Principal, ReadDb, get_settings, get_store
from voxpop.web.schemas import ErrorOut

ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422)}
router = APIRouter(prefix="/api/v1", tags=["workflow"], responses=ERRORS)
StoreDep = Annotated[Store, Depends(get_store)]


def _me(session: Session, caller: Principal) -> User:
    """The caller, loaded in the write session."""
    return workflow.user_by_id(session, caller.user.id)


class WorkflowOut(BaseModel):
    """An item's workflow state and how it was routed."""

    id: int
    status: str
    department_id: int | None
    assignee_id: int | None
    priority: int
    due_at: datetime | None
    responded_at: datetime | None
    sla_breached: bool
    tags: list[str]
    route: dict[str, Any] | None
    next_statuses: list[str]

    @classmethod
    def of(cls, item: Item) -> WorkflowOut:
        return cls(
            id=item.id,
            status=item.status,
            department_id=item.department_id,
            assignee_id=item.assignee_id,
            priority=item.priority,
            due_at=item.due_at,
            responded_at=item.responded_at,
            sla_breached=item_breached(item, utcnow()),
            tags=list(item.tags or []),
            route=item.route,
            next_statuses=workflow.allowed_next(item.status),
        )


class ItemPatch(BaseModel):
    """What to change; a field left out stays. ``assignee_id``/``department_id`` null clears it."""

    model_config = ConfigDict(extra="forbid")

    status: str | None = None
    assignee_id: int | None = None
    department_id: int | None = None
    priority: int | None = Field(default=None, ge=0, le=5)
    add_tags: list[str] = Field(default_factory=list)
    remove_tags: list[str] = Field(default_factory=list)


@router.get("/items/{item_id}/workflow", response_model=WorkflowOut)
def item_workflow(item_id: int, caller: ApiCaller, db: ReadDb) -> WorkflowOut:
    caller.require("items:read")
    return WorkflowOut.of(get_item(db, caller.user, item_id))


@router.patch("/items/{item_id}", response_model=WorkflowOut)
def patch_item(item_id: int, caller: ApiCaller, store: StoreDep, body: Annotated[ItemPatch, Body()]) -> WorkflowOut:
    """Change the item's workflow. Department first (it decides who may be assigned), then assignee,
    then status; each change is audited and shows on the item's history."""
    caller.require("items:write")
    with store.write() as session:
        user = _me(session, caller)
        item = get_item(session, user, item_id)
        if "department_id" in body.model_fields_set:
            department = workflow.department_by_id(session, body.department_id) if body.department_id else None
            workflow.set_department(session, item, department, user)
        if "assignee_id" in body.model_fields_set:
            assignee = workflow.user_by_id(session, body.assignee_id) if body.assignee_id else None
            workflow.assign(session, item, assignee, user)
        if body.status is not None:
            workflow.set_status(session, item, body.status, user)
        if body.priority is not None and body.priority != item.priority:
            workflow.set_priority(session, item, body.priority, user)
        if body.add_tags:
            workflow.add_tags(session, item, body.add_tags, user)
        if body.remove_tags:
            workflow.remove_tags(session, item, body.remove_tags, user)
        session.flush()
        return WorkflowOut.of(item)


class BulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ids: list[int] = Field(min_length=1, max_length=workflow.MAX_BULK)
    action: str = Field(description=f"One of {', '.join(workflow.BULK_ACTIONS)}.")
    value: str = Field(default="", max_length=500, description="A user id, a status, a department id or tags.")


class BulkOut(BaseModel):
    changed: list[int]
    unchanged: list[int]
    skipped: dict[int, str]


@router.post("/items/bulk", response_model=BulkOut)
def bulk(caller: ApiCaller, store: StoreDep, body: Annotated[BulkIn, Body()]) -> BulkOut:
    """One action on many items; items the caller cannot see or the action does not fit are skipped."""
    caller.require("items:write")
    with store.write() as session:
        user = _me(session, caller)
        return BulkOut(**workflow.bulk_apply(session, user, body.ids, body.action, body.value))


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=10_000)


class NoteOut(BaseModel):
    id: int
    item_id: int
    author: str | None
    text: str
    created_at: datetime
    mentioned: list[str] = Field(default_factory=list)
    unknown_mentions: list[str] = Field(default_factory=list)


@router.get("/items/{item_id}/notes", response_model=list[NoteOut])
def list_notes(item_id: int, caller: ApiCaller, db: ReadDb) -> list[NoteOut]:
    caller.require("items:read")
    get_item(db, caller.user, item_id)
    return [
        NoteOut(id=n.id, item_id=n.item_id, author=u.email if u else None, text=n.text, created_at=n.created_at)
        for n, u in notes_of(db, item_id)
    ]


@router.post("/items/{item_id}/notes", response_model=NoteOut, status_code=201)
def create_note(
    item_id: int,
    caller: ApiCaller,
    store: StoreDep,
    settings: Annotated[Settings, Depends(get_settings)],
    background: BackgroundTasks,
    body: Annotated[NoteIn, Body()],
) -> NoteOut:
    """An internal note; ``@email`` or ``@name`` mentions notify those users (and e-mail them when mail is
    configured)."""
    caller.require("items:write")
    with store.write() as session:
        user = _me(session, caller)
        item = get_item(session, user, item_id)
        made = add_note(session, user, item, body.text)
        out = NoteOut(
            id=made.note.id,
            item_id=item.id,
            author=user.email,
            text=made.note.text,
            created_at=made.note.created_at,
            mentioned=[u.email for u in made.mentioned],
            unknown_mentions=made.unknown,
        )
    if out.mentioned:
        background.add_task(send_mention_mails, store, out.id, settings)
    return out


class HistoryOut(BaseModel):
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]


@router.get("/items/{item_id}/history", response_model=list[HistoryOut])
def item_history(item_id: int, caller: ApiCaller, db: ReadDb) -> list[HistoryOut]:
    """Every audited change to the item, oldest first."""
    caller.require("items:read")
    get_item(db, caller.user, item_id)
    return [HistoryOut(at=e.at, actor=e.actor, action=e.action, detail=e.detail) for e in workflow.history(db, item_id)]


class MentionOut(BaseModel):
    id: int
    item_id: int
    note_id: int
    created_at: datetime
    seen: bool


@router.get("/mentions", response_model=list[MentionOut])
def my_mentions(caller: ApiCaller, db: ReadDb, unseen: bool = False) -> list[MentionOut]:
    """The caller's @mentions, newest first."""
    caller.require("items:read")
    return [
        MentionOut(id=m.id, item_id=m.item_id, note_id=m.note_id, created_at=m.created_at, seen=m.seen_at is not None)
        for m in mentions_of(db, caller.user, unseen_only=unseen)
    ]


@router.post("/mentions/seen", status_code=204)
def mentions_seen(caller: ApiCaller, store: StoreDep, item_id: int | None = None) -> Response:
    caller.require("items:read")
    with store.write() as session:
        mark_seen(session, caller.user, item_id=item_id)
    return Response(status_code=204)


@router.get("/sla/breached", response_model=list[WorkflowOut])
def sla_breached(caller: ApiCaller, db: ReadDb, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[WorkflowOut]:
    """Open items past their SLA deadline that the caller may see, most overdue first."""
    caller.require("items:read")
    query = breached_query(utcnow()).limit(limit)
    scope = visible_to(caller.user)
    if scope is not None:
        query = query.where(scope)
    return [WorkflowOut.of(i) for i in db.scalars(query).unique()]


# --- routing rules ---------------------------------------------------------------------------------------


class RuleOut(BaseModel):
    id: int
    position: int
    rule: dict[str, Any]


def _rule_out(rule: Any) -> RuleOut:
    return RuleOut(id=rule.id, position=rule.position, rule=routing_rules.spec_document(routing_rules.spec_of(rule)))


def _require_rules_reader(caller: ApiCaller) -> None:
    caller.require("items:read")
    if caller.user.role == Role.agent.value:
        raise PermissionDeniedError("only managers, admins and viewers can read the routing rules")


@router.get("/rules", response_model=list[RuleOut])
def rules_list(caller: ApiCaller, db: ReadDb) -> list[RuleOut]:
    """The routing rules in evaluation order (see the rule format in ``voxpop.act.routing.rules``)."""
    _require_rules_reader(caller)
    return [_rule_out(r) for r in routing_rules.list_rules(db)]


@router.get("/rules/{rule_id}", response_model=RuleOut)
def rule_get(rule_id: int, caller: ApiCaller, db: ReadDb) -> RuleOut:
    _require_rules_reader(caller)
    return _rule_out(routing_rules.get_rule(db, rule_id))


@router.post("/rules", response_model=RuleOut, status_code=201)
def rule_create(
    caller: ApiCaller,
    store: StoreDep,
    body: Annotated[dict[str, Any], Body(description="name, enabled, continue, default, when, then")],
    position: Annotated[int | None, Query(ge=0, description="0-based place; default: last")] = None,
) -> RuleOut:
    caller.require("items:write")
    spec = routing_rules.parse_spec(body)
    with store.write() as session:
        user = _me(session, caller)
        return _rule_out(routing_rules.create_rule(session, user, spec, position=position))


@router.put("/rules/{rule_id}", response_model=RuleOut)
def rule_update(rule_id: int, caller: ApiCaller, store: StoreDep, body: Annotated[dict[str, Any], Body()]) -> RuleOut:
    caller.require("items:write")
    spec = routing_rules.parse_spec(body)
    with store.write() as session:
        user = _me(session, caller)
        return _rule_out(routing_rules.update_rule(session, user, rule_id, spec))


@router.delete("/rules/{rule_id}", status_code=204)
def rule_delete(rule_id: int, caller: ApiCaller, store: StoreDep) -> Response:
    caller.require("items:write")
    with store.write() as session:
        routing_rules.delete_rule(session, _me(session, caller), rule_id)
    return Response(status_code=204)


class OrderIn(BaseModel):
    ids: list[int] = Field(min_length=1)


@router.put("/rules-order", response_model=list[RuleOut])
def rules_order(caller: ApiCaller, store: StoreDep, body: Annotated[OrderIn, Body()]) -> list[RuleOut]:
    """Reorder the rules: ``ids`` lists every rule once, in the new order."""
    caller.require("items:write")
    with store.write() as session:
        user = _me(session, caller)
        return [_rule_out(r) for r in routing_rules.reorder_rules(session, user, body.ids)]
