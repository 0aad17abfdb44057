"""The idea board: public pages (``/ideas…``; browsing needs nothing, posting, voting and commenting need
an identity verified by e-mail) and the staff's moderation page (``/ideas-admin``: merge, status)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.errors import ValidationError
from voxpop.loop.ideas import (
    STATUSES,
    comment,
    comments,
    get_idea,
    has_voted,
    list_ideas,
    merge,
    post_idea,
    set_status,
    similar_ideas,
    vote,
    vote_counts,
)
from voxpop.loop.identity import COOKIE_MAX_AGE, cookie_value, from_cookie, magic_link_mail, start_identity, verify
from voxpop.notify.mail import Mail, MailError, send_all, send_mail
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models.loop import Identity
from voxpop.web.auth import PageUser, ReadDb, get_settings, get_store
from voxpop.web.loop_pages import require_manager
from voxpop.web.public_pages import _form, _page, analyze_later, message, too_many
from voxpop.web.templating import render

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
IDENTITY_COOKIE = "voxpop_idea_identity"


def _identity(request: Request, db: Session, settings: Settings) -> Identity | None:
    return from_cookie(db, settings, request.cookies.get(IDENTITY_COOKIE))


def _first(form: dict[str, list[str]] | Any, name: str) -> str:
    values = form.get(name) or [""]
    return str(values[0])


def _board(request: Request, db: Session, settings: Settings, *, error: str = "", status: int = 200) -> Response:
    identity = _identity(request, db, settings)
    context = {"ideas": list_ideas(db), "identity": identity, "statuses": STATUSES, "error": error}
    return _page(request, "public/ideas.html", context, status=status)


@router.get("/ideas")
def ideas_board(request: Request, db: ReadDb, settings: Annotated[Settings, Depends(get_settings)]) -> Response:
    return _board(request, db, settings)


@router.post("/ideas/identify")
async def ideas_identify(request: Request, store: Annotated[Store, Depends(get_store)]) -> Response:
    if (limited := too_many(request, "public")) is not None:
        return limited
    form = await _form(request)
    if _first(form, "website").strip():
        return message(request, "Check your mail", "We sent you a link to the idea board.")
    try:
        with store.write() as db:
            identity = start_identity(db, _first(form, "email"), _first(form, "name"))
            mail = magic_link_mail(store.settings, identity)
        send_mail(store.settings, mail)
    except ValidationError as exc:
        with store.read() as db:
            return _board(request, db, store.settings, error=str(exc), status=422)
    except MailError:
        log.exception("the idea board's magic link could not be mailed")
        return message(request, "Sorry", "We could not send the mail just now; please try again later.", status=503)
    return message(request, "Check your mail", f"We sent a link to {identity.email}: open it to take part.")


@router.get("/ideas/verify/{token}")
def ideas_verify(request: Request, token: str, store: Annotated[Store, Depends(get_store)]) -> Response:
    with store.write() as db:
        identity, next_path = verify(db, store.settings, token)
        value = cookie_value(store.settings, identity)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        IDENTITY_COOKIE,
        value,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=store.settings.cookie_secure,
        path="/ideas",
    )
    return response


@router.get("/ideas/similar")
def ideas_similar(
    request: Request,
    db: ReadDb,
    settings: Annotated[Settings, Depends(get_settings)],
    title: str = "",
    body: str = "",
) -> Response:
    """The htmx fragment of existing ideas like the one being typed."""
    if (limited := too_many(request, "public")) is not None:
        return limited
    found = similar_ideas(db, settings, f"{title[:200]}\n{body[:1000]}")
    return render(request, "public/_similar.html", {"similar": found})


@router.post("/ideas")
async def ideas_post(
    request: Request, background: BackgroundTasks, store: Annotated[Store, Depends(get_store)]
) -> Response:
    if (limited := too_many(request, "public")) is not None:
        return limited
    form = await _form(request)
    with store.write() as db:
        identity = _identity(request, db, store.settings)
        if identity is None:
            return _board(request, db, store.settings, error="Confirm your e-mail address first.", status=403)
        if _first(form, "website").strip():
            return RedirectResponse("/ideas", status_code=303)
        try:
            idea, item_id = post_idea(db, store.settings, identity, _first(form, "title"), _first(form, "body"))
        except ValidationError as exc:
            return _board(request, db, store.settings, error=str(exc), status=422)
        idea_id = idea.id
    analyze_later(background, store, [item_id])
    return RedirectResponse(f"/ideas/{idea_id}", status_code=303)


@router.get("/ideas/{idea_id}")
def idea_page(
    request: Request, idea_id: int, db: ReadDb, settings: Annotated[Settings, Depends(get_settings)]
) -> Response:
    idea = get_idea(db, idea_id)
    if idea.merged_into_id is not None:
        return RedirectResponse(f"/ideas/{idea.merged_into_id}", status_code=303)
    identity = _identity(request, db, settings)
    context = {
        "idea": idea,
        "votes": vote_counts(db, [idea.id]).get(idea.id, 0),
        "voted": has_voted(db, idea, identity),
        "comments": comments(db, idea),
        "identity": identity,
        "status_label": STATUSES.get(idea.status, idea.status),
    }
    return _page(request, "public/idea.html", context)


@router.post("/ideas/{idea_id}/vote")
async def idea_vote(request: Request, idea_id: int, store: Annotated[Store, Depends(get_store)]) -> Response:
    if (limited := too_many(request, "public")) is not None:
        return limited
    await _form(request)
    with store.write() as db:
        identity = _identity(request, db, store.settings)
        if identity is None:
            return message(request, "Confirm your e-mail", "Confirm your e-mail address to vote.", status=403)
        idea = get_idea(db, idea_id)
        vote(db, idea, identity)
        target = idea.merged_into_id or idea.id
    return RedirectResponse(f"/ideas/{target}", status_code=303)


@router.post("/ideas/{idea_id}/comments")
async def idea_comment(
    request: Request, idea_id: int, background: BackgroundTasks, store: Annotated[Store, Depends(get_store)]
) -> Response:
    if (limited := too_many(request, "public")) is not None:
        return limited
    form = await _form(request)
    item_ids: list[int] = []
    with store.write() as db:
        identity = _identity(request, db, store.settings)
        if identity is None:
            return message(request, "Confirm your e-mail", "Confirm your e-mail address to comment.", status=403)
        if not _first(form, "website").strip():
            item_ids.append(comment(db, get_idea(db, idea_id), identity, _first(form, "body"))[1])
    analyze_later(background, store, item_ids)
    return RedirectResponse(f"/ideas/{idea_id}", status_code=303)


# Staff moderation.


def _send_later(background: BackgroundTasks, settings: Settings, mails: list[Mail]) -> None:
    if mails:
        background.add_task(_send, settings, mails)


def _send(settings: Settings, mails: list[Mail]) -> None:
    try:
        send_all(settings, mails)
    except MailError:
        log.exception("%d idea-board status mails could not be sent", len(mails))


@router.get("/ideas-admin")
def ideas_admin(request: Request, user: PageUser, db: ReadDb, note: str = "") -> Response:
    context = {"active": "ideas", "ideas": list_ideas(db), "statuses": STATUSES, "note": note}
    return render(request, "loop/ideas_admin.html", context)


@router.post("/ideas-admin/{idea_id}/status")
def ideas_admin_status(
    idea_id: int,
    user: PageUser,
    background: BackgroundTasks,
    store: Annotated[Store, Depends(get_store)],
    status: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    require_manager(user)
    with store.write() as db:
        idea = get_idea(db, idea_id)
        mails = set_status(db, store.settings, idea, status, note, user)
        item_id = idea.item_id
        if mails:
            record(db, "idea_status_mailed", user=user, object_type="idea", object_id=idea_id, recipients=len(mails))
    _send_later(background, store.settings, mails)
    if item_id is not None:
        analyze_later(background, store, [item_id])
    return RedirectResponse(f"/ideas-admin?note={len(mails)}+people+told", status_code=303)


@router.post("/ideas-admin/{idea_id}/merge")
def ideas_admin_merge(
    idea_id: int,
    user: PageUser,
    store: Annotated[Store, Depends(get_store)],
    into: Annotated[int, Form()],
) -> Response:
    require_manager(user)
    with store.write() as db:
        moved = merge(db, get_idea(db, idea_id), get_idea(db, into), user)
    return RedirectResponse(f"/ideas-admin?note={moved}+votes+moved", status_code=303)
