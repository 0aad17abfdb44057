"""Reply pages: the replies panel on the item page, the reply editor with suggestions and the live tone
check, sending, the AI draft, and the template library (managers edit it)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from voxpop.accounts.permissions import can_write
from voxpop.act.inbox import get_item
from voxpop.act.replies import llm
from voxpop.act.replies.sandbox import VARIABLES
from voxpop.act.replies.send import ReplyInput, ToneCheckFailed, replies_for, send_reply
from voxpop.act.replies.service import human_duration, suggestions_for, tone_model_for, warm_tone_model
from voxpop.act.replies.templates import (
    PURPOSES,
    SENTIMENTS,
    TemplateInput,
    create_template,
    delete_template,
    ensure_library,
    get_template,
    list_templates,
    update_template,
)
from voxpop.act.replies.tone import ToneReport, check_tone
from voxpop.errors import ValidationError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import Role, User
from voxpop.web.auth import PageUser, ReadDb, get_settings, get_store
from voxpop.web.templating import render

router = APIRouter(include_in_schema=False)
StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
MAX_TONE_TEXT = 10_000


def _is_editor(user: User) -> bool:
    return user.role in (Role.admin.value, Role.manager.value)


def _users(db: Session, ids: set[int | None]) -> dict[int, User]:
    wanted = {i for i in ids if i is not None}
    return {u.id: u for u in (db.get(User, i) for i in wanted) if u is not None}


@router.get("/items/{item_id}/replies-panel")
def replies_panel(request: Request, item_id: int, user: PageUser, db: ReadDb) -> Response:
    """The replies sent for the item and the way to write one (loaded into the item page)."""
    item = get_item(db, user, item_id)
    replies = replies_for(db, user, item_id)
    context: dict[str, Any] = {
        "item": item,
        "replies": replies,
        "authors": _users(db, {r.user_id for r in replies}),
        "can_reply": can_write(user),
        "response_time": human_duration(replies[0].response_seconds) if replies else None,
        "human_duration": human_duration,
    }
    return render(request, "replies/_panel.html", context)


def _editor(
    request: Request,
    db: Session,
    user: User,
    settings: Settings,
    item_id: int,
    *,
    text: str = "",
    origin: str = "manual",
    template_id: str = "",
    report: ToneReport | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    item = get_item(db, user, item_id)
    context: dict[str, Any] = {
        "item": item,
        "text": text,
        "origin": origin,
        "template_id": template_id,
        "report": report,
        "error": error,
        "llm_enabled": llm.enabled(settings),
        "can_reply": can_write(user),
    }
    return render(request, "replies/editor.html", context, status_code=status_code)


@router.get("/items/{item_id}/reply")
def reply_page(request: Request, item_id: int, user: PageUser, db: ReadDb, settings: SettingsDep) -> Response:
    response = _editor(request, db, user, settings, item_id)
    warm_tone_model(settings)
    return response


@router.get("/items/{item_id}/suggestions")
def suggestions(request: Request, item_id: int, user: PageUser, store: StoreDep, settings: SettingsDep) -> Response:
    found = suggestions_for(store, settings, user, item_id)
    return render(request, "replies/_suggestions.html", {"suggestions": found, "item_id": item_id})


def _check(text: str, settings: Settings) -> ToneReport:
    """In the thread pool: the first call in a process loads the embedder and fits the tone model."""
    return check_tone(text, tone_model_for(settings))


def _send(store: Store, settings: Settings, user: User, item_id: int, data: ReplyInput) -> None:
    send_reply(store, user, item_id, data, model=tone_model_for(settings))


@router.post("/items/{item_id}/tone")
async def tone(request: Request, item_id: int, user: PageUser, db: ReadDb, settings: SettingsDep) -> Response:
    """The live tone check of the draft (htmx, as the agent types)."""
    get_item(db, user, item_id)
    form = await request.form()
    text = str(form.get("text") or "")[:MAX_TONE_TEXT]
    report = await run_in_threadpool(_check, text, settings) if text.strip() else None
    return render(request, "replies/_tone.html", {"report": report})


@router.post("/items/{item_id}/replies")
async def send(
    request: Request, item_id: int, user: PageUser, store: StoreDep, db: ReadDb, settings: SettingsDep
) -> Response:
    form = await request.form()
    text = str(form.get("text") or "")
    origin = str(form.get("origin") or "manual")
    template = str(form.get("template_id") or "")
    data = ReplyInput(
        text=text,
        send_anyway=form.get("send_anyway") == "1",
        template_id=int(template) if template.isdigit() else None,
        origin=origin,
    )
    try:
        await run_in_threadpool(_send, store, settings, user, item_id, data)
    except ToneCheckFailed as exc:
        return _editor(
            request,
            db,
            user,
            settings,
            item_id,
            text=text,
            origin=origin,
            template_id=template,
            report=exc.report,
            error=str(exc),
            status_code=422,
        )
    except ValidationError as exc:
        return _editor(
            request,
            db,
            user,
            settings,
            item_id,
            text=text,
            origin=origin,
            template_id=template,
            error=str(exc),
            status_code=422,
        )
    return RedirectResponse(f"/items/{item_id}?replied=1#replies", status_code=303)


@router.post("/items/{item_id}/draft")
def draft(request: Request, item_id: int, user: PageUser, store: StoreDep, settings: SettingsDep) -> Response:
    """An AI-drafted reply from the business's own language model: a draft only, never sent."""
    try:
        text = llm.draft_for_item(store, settings, user, item_id)
        error = ""
    except llm.LlmError as exc:
        text, error = "", str(exc)
    return render(request, "replies/_draft.html", {"draft": text, "error": error})


# --- the template library ---------------------------------------------------------------------------


@router.get("/replies/templates")
def templates_page(request: Request, user: PageUser, store: StoreDep) -> Response:
    with store.write() as session:
        ensure_library(session)
    with store.read() as session:
        templates = list_templates(session)
        context = {"templates": templates, "can_edit": _is_editor(user), "active": "replies"}
        return render(request, "replies/templates.html", context)


def _form_page(
    request: Request,
    user: User,
    *,
    template_id: int | None,
    data: TemplateInput | None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "template_id": template_id,
        "data": data or TemplateInput(name="", body=""),
        "error": error,
        "variables": VARIABLES,
        "sentiments": SENTIMENTS,
        "purposes": PURPOSES,
        "can_edit": _is_editor(user),
        "active": "replies",
    }
    return render(request, "replies/template_form.html", context, status_code=status_code)


def _input(form: Any) -> TemplateInput:
    return TemplateInput(
        name=str(form.get("name") or ""),
        body=str(form.get("body") or ""),
        language=str(form.get("language") or "en"),
        sentiment=str(form.get("sentiment") or "") or None,
        aspect=str(form.get("aspect") or "") or None,
        channel=str(form.get("channel") or "") or None,
        purpose=str(form.get("purpose") or "thanks"),
        vertical=str(form.get("vertical") or "") or None,
    )


@router.get("/replies/templates/new")
def new_template(request: Request, user: PageUser) -> Response:
    return _form_page(request, user, template_id=None, data=None)


@router.get("/replies/templates/{template_id}")
def edit_template(request: Request, template_id: int, user: PageUser, db: ReadDb) -> Response:
    t = get_template(db, template_id)
    data = TemplateInput(t.name, t.body, t.language, t.sentiment, t.aspect, t.channel, t.purpose, t.vertical)
    return _form_page(request, user, template_id=t.id, data=data)


@router.post("/replies/templates")
async def create(request: Request, user: PageUser, store: StoreDep) -> Response:
    data = _input(await request.form())
    try:
        with store.write() as session:
            made = create_template(session, user, data)
            made_id = made.id
    except ValidationError as exc:
        return _form_page(request, user, template_id=None, data=data, error=str(exc), status_code=422)
    return RedirectResponse(f"/replies/templates/{made_id}?saved=1", status_code=303)


@router.post("/replies/templates/{template_id}")
async def update(request: Request, template_id: int, user: PageUser, store: StoreDep) -> Response:
    data = _input(await request.form())
    try:
        with store.write() as session:
            update_template(session, user, template_id, data)
    except ValidationError as exc:
        return _form_page(request, user, template_id=template_id, data=data, error=str(exc), status_code=422)
    return RedirectResponse(f"/replies/templates/{template_id}?saved=1", status_code=303)


@router.post("/replies/templates/{template_id}/delete")
def delete(template_id: int, user: PageUser, store: StoreDep) -> Response:
    with store.write() as session:
        delete_template(session, user, template_id)
    return RedirectResponse("/replies/templates?deleted=1", status_code=303)
