"""The inbox workflow: status transitions, assignment, department moves and tags — each audited.

Statuses run new → assigned → waiting → responded → resolved, with ``ignored`` and ``spam`` to one side
(``TRANSITIONS`` lists what may follow what). Every function here takes an item the caller has already
loaded through ``act.inbox.get_item`` (so the department scoping has been applied) and the person acting
(``None`` for the system, e.g. routing). A person's department or assignee change marks the item's route
``manual``: routing never overrides it afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.accounts.permissions import require_write
from voxpop.errors import NotFoundError, ValidationError
from voxpop.store.models import Department, Item, ItemStatus, Role, User
from voxpop.store.types import utcnow

S = ItemStatus
TRANSITIONS: dict[str, frozenset[str]] = {
    S.new: frozenset({S.assigned, S.waiting, S.responded, S.resolved, S.ignored, S.spam}),
    S.assigned: frozenset({S.new, S.waiting, S.responded, S.resolved, S.ignored, S.spam}),
    S.waiting: frozenset({S.assigned, S.responded, S.resolved, S.ignored, S.spam}),
    S.responded: frozenset({S.assigned, S.waiting, S.resolved}),
    S.resolved: frozenset({S.new, S.assigned}),
    S.ignored: frozenset({S.new, S.assigned}),
    S.spam: frozenset({S.new}),
}
# While an item is in one of these, its SLA clock runs (a first response stops it).
OPEN_STATUSES: tuple[str, ...] = (S.new.value, S.assigned.value, S.waiting.value)
MAX_TAGS = 20
MAX_TAG_LENGTH = 50


def _audit(session: Session, item: Item, actor: User | None, action: str, **detail: Any) -> None:
    record(
        session, action, user=actor, actor=None if actor else "routing", object_type="item", object_id=item.id, **detail
    )


def check_status(status: str) -> str:
    if status not in TRANSITIONS:
        raise ValidationError(f"status: unknown status '{status}' (choose from {', '.join(TRANSITIONS)})")
    return status


def allowed_next(status: str) -> list[str]:
    """The statuses an item in ``status`` may move to, in the workflow's order."""
    return [s.value for s in ItemStatus if s.value in TRANSITIONS.get(status, frozenset())]


def set_status(session: Session, item: Item, status: str, actor: User | None) -> bool:
    """Move ``item`` to ``status`` if the workflow allows it; returns False when it was there already.

    ``responded`` stamps ``responded_at`` (the first response only), which stops the SLA clock.
    """
    if actor is not None:
        require_write(actor)
    check_status(status)
    if item.status == status:
        return False
    if status not in TRANSITIONS.get(item.status, frozenset()):
        raise ValidationError(f"status: an item cannot go from '{item.status}' to '{status}'")
    previous = item.status
    item.status = status
    if status == S.responded and item.responded_at is None:
        item.responded_at = utcnow()
    _audit(session, item, actor, "item_status", **{"from": previous, "to": status})
    return True


def _check_assignee(item: Item, assignee: User) -> None:
    if not assignee.is_active or assignee.role == Role.viewer.value:
        raise ValidationError(f"assignee: {assignee.email} cannot take items (inactive or read-only)")
    if assignee.role == Role.agent.value and item.department_id not in assignee.department_ids:
        where = item.department.name if item.department else "no department"
        raise ValidationError(f"assignee: {assignee.email} is not in this item's department ({where})")


def _mark_manual(item: Item, actor: User | None, text: str) -> None:
    if actor is None:
        return
    item.route = {**(item.route or {}), "manual": True, "by": "person", "text": text, "user": actor.email}


def assign(session: Session, item: Item, assignee: User | None, actor: User | None) -> bool:
    """Give ``item`` to ``assignee`` (a user of its department; ``None`` takes it back).

    A new item becomes ``assigned``; an assigned one that loses its assignee becomes ``new`` again.
    """
    if actor is not None:
        require_write(actor)
    new_id = assignee.id if assignee is not None else None
    if new_id == item.assignee_id:
        return False
    if assignee is not None:
        _check_assignee(item, assignee)
    previous = item.assignee_id
    item.assignee_id = new_id
    _audit(
        session,
        item,
        actor,
        "item_assigned",
        **{"from": previous, "to": new_id, "to_email": assignee.email if assignee else None},
    )
    who = (assignee.name or assignee.email) if assignee else "nobody"
    _mark_manual(item, actor, f"assigned to {who} by {actor.email if actor else 'routing'}")
    if assignee is not None and item.status == S.new:
        set_status(session, item, S.assigned, actor)
    elif assignee is None and item.status == S.assigned:
        set_status(session, item, S.new, actor)
    return True


def set_priority(session: Session, item: Item, priority: int, actor: User | None) -> bool:
    if actor is not None:
        require_write(actor)
    if not 0 <= priority <= 5:
        raise ValidationError("priority: between 0 and 5")
    if priority == item.priority:
        return False
    _audit(session, item, actor, "item_priority", **{"from": item.priority, "to": priority})
    item.priority = priority
    return True


def sla_due(item: Item, hours: int | None) -> datetime | None:
    """When the first response is due: ``hours`` after voxpop first saw the item."""
    if hours is None:
        return None
    return item.ingested_at + timedelta(hours=hours)


def set_department(session: Session, item: Item, department: Department | None, actor: User | None) -> bool:
    """Move ``item`` to ``department``. Its SLA follows the new department's default; an agent assignee
    outside the new department is taken off the item."""
    if actor is not None:
        require_write(actor)
    new_id = department.id if department is not None else None
    if new_id == item.department_id:
        return False
    previous = item.department_id
    item.department_id = new_id
    item.department = department
    _audit(
        session,
        item,
        actor,
        "item_department",
        **{"from": previous, "to": new_id, "to_name": department.name if department else None},
    )
    if department is not None and department.sla_hours and item.responded_at is None:
        item.due_at = sla_due(item, department.sla_hours)
    name = department.name if department else "no department"
    _mark_manual(item, actor, f"moved to {name} by {actor.email if actor else 'routing'}")
    if item.assignee_id is not None:
        current = session.get(User, item.assignee_id)
        if current is not None and current.role == Role.agent.value and new_id not in current.department_ids:
            assign(session, item, None, actor)
    return True


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags trimmed, lower-cased, de-duplicated; ValidationError for an over-long one or too many."""
    out = list(dict.fromkeys(t.strip().lower() for t in tags if t and t.strip()))
    long = [t for t in out if len(t) > MAX_TAG_LENGTH]
    if long:
        raise ValidationError(f"tags: '{long[0][:60]}' is longer than {MAX_TAG_LENGTH} characters")
    if len(out) > MAX_TAGS:
        raise ValidationError(f"tags: at most {MAX_TAGS} tags per item")
    return out


def add_tags(session: Session, item: Item, tags: Iterable[str], actor: User | None) -> list[str]:
    """Add ``tags`` to the item's; returns the ones that were new."""
    if actor is not None:
        require_write(actor)
    current = list(item.tags or [])
    added = [t for t in clean_tags(tags) if t not in current]
    if added:
        item.tags = clean_tags([*current, *added])
        _audit(session, item, actor, "item_tagged", added=added)
    return added


def remove_tags(session: Session, item: Item, tags: Iterable[str], actor: User | None) -> list[str]:
    if actor is not None:
        require_write(actor)
    drop = set(clean_tags(tags))
    removed = [t for t in item.tags or [] if t in drop]
    if removed:
        item.tags = [t for t in item.tags or [] if t not in drop]
        _audit(session, item, actor, "item_untagged", removed=removed)
    return removed


def user_by_id(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user {user_id}")
    return user


def department_by_id(session: Session, department_id: int) -> Department:
    department = session.get(Department, department_id)
    if department is None:
        raise NotFoundError(f"no department {department_id}")
    return department


def history(session: Session, item_id: int) -> list[Any]:
    """The item's timeline: every audited change to it (workflow, routing, corrections, notes), oldest first."""
    from voxpop.store.models import AuditEvent

    query = (
        select(AuditEvent)
        .where(AuditEvent.object_type == "item", AuditEvent.object_id == str(item_id))
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return list(session.scalars(query))


BULK_ACTIONS = ("assign", "status", "department", "tag")
MAX_BULK = 500


def bulk_apply(session: Session, viewer: User, ids: Iterable[int], action: str, value: str) -> dict[str, Any]:
    """Apply one action to many items; returns ``{"changed": [...], "unchanged": [...], "skipped": {id: why}}``.

    Each item is checked on its own: one the viewer cannot see is skipped as "not found" (as a single
    request would say), one the action does not fit (a transition the workflow forbids, an assignee from
    another department) is skipped with the reason, and the rest are changed.
    """
    from voxpop.act.inbox import get_item

    require_write(viewer)
    if action not in BULK_ACTIONS:
        raise ValidationError(f"action: choose one of {', '.join(BULK_ACTIONS)}")
    unique = list(dict.fromkeys(int(i) for i in ids))
    if not unique:
        raise ValidationError("ids: select at least one item")
    if len(unique) > MAX_BULK:
        raise ValidationError(f"ids: at most {MAX_BULK} items at once")
    target: Any = None
    value = value.strip()
    if action in ("assign", "department") and value and not value.isdigit():
        raise ValidationError(f"value: '{value[:40]}' is not a {'user' if action == 'assign' else 'department'} id")
    if action == "assign":
        target = user_by_id(session, int(value)) if value else None
    elif action == "department":
        target = department_by_id(session, int(value)) if value else None
    elif action == "status":
        target = check_status(value)
    elif action == "tag":
        target = clean_tags(value.split(","))
        if not target:
            raise ValidationError("value: give a tag")
    result: dict[str, Any] = {"changed": [], "unchanged": [], "skipped": {}}
    for item_id in unique:
        try:
            item = get_item(session, viewer, item_id)
            with session.begin_nested():
                if action == "assign":
                    changed = assign(session, item, target, viewer)
                elif action == "department":
                    changed = set_department(session, item, target, viewer)
                elif action == "status":
                    changed = set_status(session, item, target, viewer)
                else:
                    changed = bool(add_tags(session, item, target, viewer))
        except (ValidationError, NotFoundError) as exc:
            result["skipped"][item_id] = str(exc)
            continue
        result["changed" if changed else "unchanged"].append(item_id)
    return result
