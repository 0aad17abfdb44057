"""The topics page (``/topics``) and a topic's items (``/topics/{id}``), for managers and admins.

The store-wide topics (``voxpop topics rebuild``, refreshed by ``voxpop serve``) with their key phrases,
size, weekly volume as a sparkline and the growing flag; each topic drills down to its items.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from voxpop.errors import NotFoundError, PermissionDeniedError
from voxpop.measure.topic_trends import topic_items, topics_view
from voxpop.store.models import Role, User
from voxpop.store.types import utcnow
from voxpop.web.auth import PageUser, ReadDb
from voxpop.web.templating import render

router = APIRouter(include_in_schema=False)


def _require_manager(user: User) -> None:
    if user.role not in (Role.admin.value, Role.manager.value):
        raise PermissionDeniedError("only a manager or an admin can see the topics")


def sparkline(values: Sequence[int], *, width: int = 160, height: int = 32) -> Markup:
    """Weekly volume as a small SVG line (numbers only: nothing to escape)."""
    top = max(values, default=0) or 1
    step = width / max(1, len(values) - 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (height - 4) * v / top:.1f}" for i, v in enumerate(values))
    return Markup(  # noqa: S704 (built from numbers only)
        f'<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="items per week, peak {top}">'
        f'<polyline points="{points}" fill="none" stroke="currentColor" stroke-width="1.5"/></svg>'
    )


@router.get("/topics")
def topics_page(request: Request, user: PageUser, db: ReadDb) -> Response:
    _require_manager(user)
    retired = request.query_params.get("retired") == "1"
    view = topics_view(db, utcnow().date(), retired=retired)
    return render(
        request,
        "insight/topics.html",
        {"active": "topics", "view": view, "retired": retired, "sparkline": sparkline},
    )


@router.get("/topics/{topic_id}")
def topic_page(request: Request, topic_id: int, user: PageUser, db: ReadDb, page: int = 1) -> Response:
    _require_manager(user)
    found = topic_items(db, topic_id, page=page)
    if found is None:
        raise NotFoundError(f"no topic {topic_id}")
    return render(request, "insight/topic.html", {"active": "topics", "found": found})
