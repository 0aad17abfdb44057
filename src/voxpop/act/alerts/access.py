"""Who may manage alert rules, destinations and outreach: managers and admins."""

from __future__ import annotations

from voxpop.errors import PermissionDeniedError
from voxpop.store.models import Role, User

MANAGING_ROLES = frozenset({Role.admin.value, Role.manager.value})


def is_manager(user: User) -> bool:
    return user.is_active and user.role in MANAGING_ROLES


def require_manager(user: User) -> None:
    if not is_manager(user):
        raise PermissionDeniedError("only a manager or an admin can do this")
