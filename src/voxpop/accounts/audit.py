"""The audit trail: who viewed, changed, sent or exported what — log-ins (and failures), log-outs, tokens
created and revoked, item views, replies sent, exports, dumps, backups, erasures, settings and credential
changes. ``record`` adds an event to the caller's unit of work, so it commits (or not) with the change it
describes; a read has no unit of work of its own, so ``record_view`` writes one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from voxpop.store.models import AuditEvent, User

if TYPE_CHECKING:
    from voxpop.store import Store


def record(
    session: Session,
    action: str,
    *,
    user: User | None = None,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    **detail: Any,
) -> AuditEvent:
    """Add one event to the audit log in ``session``'s unit of work."""
    event = AuditEvent(
        user_id=user.id if user is not None else None,
        actor=(actor or (user.email if user is not None else "system"))[:200],
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail=detail,
    )
    session.add(event)
    return event


def record_view(store: Store, user: User, object_type: str, object_id: str | int, **detail: Any) -> None:
    """Audit that ``user`` viewed one object (``<object_type>.view``), in a short write of its own."""
    with store.write() as session:
        record(session, f"{object_type}.view", user=user, object_type=object_type, object_id=object_id, **detail)
