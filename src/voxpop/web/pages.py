"""The inbox and item pages."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record_view
from voxpop.accounts.permissions import can_write
from voxpop.act.corrections import CorrectionInput, correct_item
from voxpop.act.departments import list_departments
from voxpop.act.inbox import get_item, list_items
from voxpop.errors import ValidationError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import ItemKind, ItemStatus, Source, User
from voxpop.web.auth import PageUser, ReadDb, get_settings, get_store
from voxpop.web.filters import form_values, parse_filters, query_string
from voxpop.web.templating import render
from voxpop.web.workflow_context import inbox_context, item_context, view_params

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
    cursor = request.query_params.get("cursor") or None
    partial = request.headers.get("HX-Request") == "true" and request.query_params.get("partial") == "rows"
    params = view_params(db, user, request.query_params)  # a saved view (routing/workflow) or the query
    values = form_values(params)
    order = params.get("order") or "date"
    error = ""
    try:
        filters = parse_filters(params, stars=True)
        page = list_items(db, user, filters, cursor=cursor, limit=request.app.state.settings.page_size, order=order)
    except ValidationError as exc:
        error = str(exc)
        page = None
    context: dict[str, object] = {
        "page": page,
        "values": values,
        "error": error,
        "next_query": query_string({**values, "order": order if order != "date" else ""}, cursor=page.next_cursor)
        if page and page.next_cursor
        else "",
        "filtered": any(values.values()),
        "is_first_page": cursor is None,
        "order": order,
    }
    context.update(inbox_context(db, user, request.query_params.get("view")))
    if partial:
        return render(request, "_rows.html", context, status_code=422 if error else 200)
    context.update(_choices(db))
    return render(request, "inbox.html", context, status_code=422 if error else 200)


@lru_cache(maxsize=8)
def _aspect_names(taxonomy: str) -> tuple[str, ...]:
    from voxpop.analyze.taxonomy import load_taxonomy

    return tuple(load_taxonomy(taxonomy).names)


@router.get("/items/{item_id}")
def item_page(
    request: Request,
    item_id: int,
    user: PageUser,
    db: ReadDb,
    settings: Annotated[Settings, Depends(get_settings)],
    store: Annotated[Store, Depends(get_store)],
) -> Response:
    item = get_item(db, user, item_id)
    record_view(store, user, "item", item.id, via="page")
    assignee = db.get(User, item.assignee_id) if item.assignee_id else None
    context: dict[str, object] = {"item": item, "assignee": assignee, "can_correct": can_write(user)}
    if can_write(user):
        current = {str(a["name"]) for a in item.aspects or [] if a.get("name")}
        names = list(_aspect_names(settings.taxonomy))
        context.update(
            sentiments=SENTIMENTS,
            departments=list_departments(db),
            aspect_choices=names + sorted(n for n in current if n not in names),
            current_aspects=current,
            corrected=set((item.analysis or {}).get("corrected", [])),
        )
    context.update(item_context(db, user, item))  # routing and workflow panel
    return render(request, "item.html", context)


@router.post("/items/{item_id}/correct")
async def correct(
    request: Request,
    item_id: int,
    user: PageUser,
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Response:
    """An agent's correction of the analysis: sentiment, aspects, department (see act.corrections)."""
    form = await request.form()
    department = str(form.get("department_id") or "")
    if department and not department.isdigit():
        raise ValidationError("department_id must be a department's id")
    change = CorrectionInput(
        sentiment=str(form.get("sentiment") or "") or None,
        aspects=[str(a) for a in form.getlist("aspect")] if form.get("aspects_shown") else None,
        department_id=int(department) if department else None,
    )
    with store.write() as db:
        correct_item(db, user, item_id, change, aspect_names=_aspect_names(settings.taxonomy))
    return RedirectResponse(f"/items/{item_id}?corrected=1", status_code=303)
