"""Promoter outreach: the managers' page (candidates, sending, numbers) and the public pages behind
the mails' links (click, testimonial form, referral, unsubscribe), which need no log-in: the mail's
random token or the signed unsubscribe code is the key."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from voxpop.act.alerts.access import require_manager
from voxpop.act.outreach.eligibility import ASK_KINDS, find_candidates
from voxpop.act.outreach.links import customer_of, referral_url
from voxpop.act.outreach.sending import send_asks
from voxpop.act.outreach.tracking import (
    get_send,
    list_testimonials,
    recent_sends,
    record_click,
    status_numbers,
    submit_testimonial,
    unsubscribe,
    use_referral,
)
from voxpop.errors import ValidationError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.types import utcnow
from voxpop.web.auth import PageUser, ReadDb, get_settings, get_store
from voxpop.web.templating import render

router = APIRouter(include_in_schema=False)
StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


@router.get("/outreach")
def outreach_page(request: Request, user: PageUser, db: ReadDb, settings: SettingsDep) -> Response:
    require_manager(user)
    params = request.query_params
    context: dict[str, object] = {
        "active": "outreach",
        "candidates": find_candidates(db, settings, utcnow()),
        "numbers": status_numbers(db),
        "sends": recent_sends(db),
        "testimonials": list_testimonials(db),
        "kinds": ASK_KINDS,
        "survey_ready": bool(settings.outreach_survey_url),
        "result": {k: params.get(k) for k in ("sent", "skipped", "failed") if params.get(k) is not None},
        "min_days": settings.outreach_min_days_between_asks,
    }
    return render(request, "outreach.html", context)


@router.post("/outreach/send")
async def outreach_send(request: Request, user: PageUser, store: StoreDep) -> Response:
    require_manager(user)
    form = await request.form()
    raw_ids = [str(v) for v in form.getlist("item_id")]
    if not raw_ids or not all(v.isdigit() for v in raw_ids):
        raise ValidationError("choose at least one customer to ask")
    report = send_asks(store, user, [int(v) for v in raw_ids], str(form.get("kind") or "testimonial"))
    query = urlencode({"sent": len(report.sent), "skipped": sum(report.skipped.values()), "failed": len(report.failed)})
    return RedirectResponse(f"/outreach?{query}", status_code=303)


def _public(request: Request, mode: str, **context: object) -> Response:
    return render(request, "outreach_public.html", {"mode": mode, "user": None, "csrf_token": "", **context})


@router.get("/o/{token}")
def click(token: str, store: StoreDep, settings: SettingsDep) -> Response:
    with store.write() as session:
        target = record_click(session, settings, token)
    return RedirectResponse(target, status_code=303)


@router.get("/o/{token}/testimonial")
def testimonial_form(request: Request, token: str, db: ReadDb, settings: SettingsDep) -> Response:
    send = get_send(db, token)
    if send.kind != "testimonial":
        raise ValidationError("this link is not for a testimonial")
    return _public(request, "testimonial", token=token, business=settings.business_name, done=send.completed_at)


@router.post("/o/{token}/testimonial")
async def testimonial_submit(request: Request, token: str, store: StoreDep, settings: SettingsDep) -> Response:
    form = await request.form()
    try:
        with store.write() as session:
            submit_testimonial(session, token, str(form.get("text") or ""), public=form.get("public") == "yes")
    except ValidationError as exc:
        return _public(
            request,
            "testimonial",
            token=token,
            business=settings.business_name,
            error=str(exc),
            text=str(form.get("text") or ""),
        )
    return _public(request, "thanks", business=settings.business_name)


@router.get("/o/{token}/share")
def share(request: Request, token: str, db: ReadDb, settings: SettingsDep) -> Response:
    send = get_send(db, token)
    if send.kind != "referral":
        raise ValidationError("this link is not for a referral")
    return _public(request, "share", link=referral_url(settings, token), business=settings.business_name)


@router.get("/o/{token}/ref")
def referral(request: Request, token: str, store: StoreDep, settings: SettingsDep) -> Response:
    with store.write() as session:
        target = use_referral(session, settings, token)
    if target:
        return RedirectResponse(target, status_code=303)
    return _public(request, "welcome", business=settings.business_name)


@router.get("/o/unsubscribe/{code}")
def unsubscribe_form(request: Request, code: str, settings: SettingsDep) -> Response:
    customer_of(settings, code)  # a forged code is a 404 before anything is shown
    return _public(request, "unsubscribe", code=code, business=settings.business_name)


@router.post("/o/unsubscribe/{code}")
def unsubscribe_submit(request: Request, code: str, store: StoreDep, settings: SettingsDep) -> Response:
    """The confirmation form posts here, and so do mail programs' one-click unsubscribe (RFC 8058)."""
    with store.write() as session:
        unsubscribe(session, settings, code)
    return _public(request, "unsubscribed", business=settings.business_name)
