"""What each role may do. The service layer calls these; the web layer only maps the errors."""

from __future__ import annotations

from collections.abc import Collection

from voxpop.errors import PermissionDeniedError, ValidationError
from voxpop.store.models import Role, User

ROLES = tuple(r.value for r in Role)


def can_write(user: User) -> bool:
    """Everyone but a viewer may change items (within the items they can see)."""
    return user.is_active and user.role != Role.viewer.value


def require_write(user: User) -> None:
    if not can_write(user):
        raise PermissionDeniedError("your role is read-only")


def require_admin(user: User) -> None:
    if user.role != Role.admin.value:
        raise PermissionDeniedError("only an admin can do this")


def require_scope(scopes: Collection[str], scope: str) -> None:
    """API tokens carry scopes; a request needing ``scope`` fails without it."""
    if scope not in scopes:
        raise PermissionDeniedError(f"this token lacks the '{scope}' scope")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"unknown role '{role}' (choose from {', '.join(ROLES)})")
    return role
