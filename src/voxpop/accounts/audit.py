"""The audit trail of account events: log-ins (and failures), log-outs, tokens created and revoked."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from voxpop.store.models import AuditEvent, User


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
