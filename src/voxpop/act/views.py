"""Saved views: a user's named inbox filters (and order), optionally shared with everyone.

A view stores the inbox's query parameters as the form sends them, so opening one is a link to
``/inbox?<its filters>`` and the filters are validated the same way as typed ones. A shared view shows
everyone the same filters — the department scoping still applies to what each person sees.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.errors import NotFoundError, NotUniqueError, PermissionDeniedError, ValidationError
from voxpop.store.models import Role, User
from voxpop.store.models.routing import SavedView

MAX_VIEWS = 100


def clean_filters(params: Mapping[str, str], allowed: tuple[str, ...]) -> dict[str, str]:
    """Keep only the known, non-empty filter fields (``allowed``)."""
    return {k: str(v).strip()[:500] for k, v in params.items() if k in allowed and str(v).strip()}


def list_views(session: Session, user: User) -> list[SavedView]:
    """The user's own views and the shared ones, by name."""
    query = (
        select(SavedView)
        .where(or_(SavedView.user_id == user.id, SavedView.shared.is_(True)))
        .order_by(SavedView.name, SavedView.id)
    )
    return list(session.scalars(query))


def get_view(session: Session, user: User, view_id: int) -> SavedView:
    view = session.get(SavedView, view_id)
    if view is None or (view.user_id != user.id and not view.shared):
        raise NotFoundError(f"no saved view {view_id}")
    return view


def save_view(session: Session, user: User, name: str, filters: dict[str, str], *, shared: bool = False) -> SavedView:
    """Save (or overwrite the user's view of the same name)."""
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationError("name: a view needs a name of at most 120 characters")
    if shared and user.role not in (Role.admin.value, Role.manager.value):
        raise PermissionDeniedError("only managers and admins can share a view")
    view = session.scalar(select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name))
    if view is None:
        count = len([v for v in list_views(session, user) if v.user_id == user.id])
        if count >= MAX_VIEWS:
            raise NotUniqueError(f"at most {MAX_VIEWS} saved views per user")
        view = SavedView(user_id=user.id, name=name)
        session.add(view)
    view.filters = filters
    view.shared = shared
    session.flush()
    record(session, "view_saved", user=user, object_type="saved_view", object_id=view.id, name=name, shared=shared)
    return view


def delete_view(session: Session, user: User, view_id: int) -> None:
    view = get_view(session, user, view_id)
    if view.user_id != user.id and user.role != Role.admin.value:
        raise PermissionDeniedError("only its owner (or an admin) can delete a saved view")
    record(session, "view_deleted", user=user, object_type="saved_view", object_id=view.id, name=view.name)
    session.delete(view)
