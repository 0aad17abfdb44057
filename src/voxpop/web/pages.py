"""The inbox and item pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.act.departments import list_departments
from voxpop.act.inbox import get_item, list_items
from voxpop.errors import ValidationError
from voxpop.store.models import ItemKind, ItemStatus, Source, User
from voxpop.web.auth import PageUser, ReadDb
from voxpop.web.filters import form_values, parse_filters, query_string
from voxpop.web.templating import render

router = APIRouter(include_in_schema=False)
SENTIMENTS = ("negative", "neutral", "positive")


def _choices(db: Session) -> dict[str, object]:
    """The options of the filter form; they come from small tables, never from scanning items."""
    sources = list(db.scalars(select(Source).order_by(Source.name)))
    return {
        "sources": sources,
        "channels": sorted({s.channel for s in sources}),
        "departments": list_departments(db),
        "kinds": [k.value for k in ItemKind],
        "statuses": [s.value for s in ItemStatus],
        "sentiments": SENTIMENTS,
    }


@router.get("/")
def home(user: PageUser) -> Response:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/inbox")
def inbox(request: Request, user: PageUser, db: ReadDb) -> Response:
    params = request.query_params
    values = form_values(params)
    cursor = params.get("cursor") or None
    partial = request.headers.get("HX-Request") == "true" and params.get("partial") == "rows"
    error = ""
    try:
        filters = parse_filters(params, stars=True)
        page = list_items(db, user, filters, cursor=cursor, limit=request.app.state.settings.page_size)
    except ValidationError as exc:
        error = str(exc)
        page = None
    context: dict[str, object] = {
        "page": page,
        "values": values,
        "error": error,
        "next_query": query_string(values, cursor=page.next_cursor) if page and page.next_cursor else "",
        "filtered": any(values.values()),
        "is_first_page": cursor is None,
    }
    if partial:
        return render(request, "_rows.html", context, status_code=422 if error else 200)
    context.update(_choices(db))
    return render(request, "inbox.html", context, status_code=422 if error else 200)


@router.get("/items/{item_id}")
def item_page(request: Request, item_id: int, user: PageUser, db: ReadDb) -> Response:
    item = get_item(db, user, item_id)
    assignee = db.get(User, item.assignee_id) if item.assignee_id else None
    return render(request, "item.html", {"item": item, "assignee": assignee})
