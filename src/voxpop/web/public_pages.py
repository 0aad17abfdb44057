"""Public pages, no log-in: surveys (``/s/…``) and the website widget's endpoints (``/w/…``).

Defences, since anyone may call these: forms carry a CSRF token that must match a cookie set with the
form (double submit), personal links and score buttons are signed and expire (``loop.signing``), posts
are rate-limited per client (``loop.ratelimit``), a honeypot field drops naive bots, and everything a
stranger wrote is escaped by the templates.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voxpop.errors import NotFoundError, PermissionDeniedError, ValidationError
from voxpop.loop.ratelimit import RateLimited, TokenBucket
from voxpop.loop.signing import sign, unsign
from voxpop.loop.survey_mail import recipient_from_token, recipient_token, score_from_token, unsubscribe
from voxpop.loop.surveys import (
    SCALES,
    check_score,
    get_recipient,
    get_survey_by_slug,
    is_open,
    parse_answers,
    response_of,
    save_response,
    shows_followup,
)
from voxpop.loop.widget import MAX_BODY_BYTES, get_site_by_key, origin_allowed, parse_post, store_post
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models.loop import Survey, SurveyResponse
from voxpop.web.auth import ReadDb, get_settings, get_store
from voxpop.web.security import tokens_match
from voxpop.web.templating import render
from voxpop.workers.executor import get_executor
from voxpop.workers.pipeline import run_pipeline

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
T = TypeVar("T")

PUBLIC_CSRF_COOKIE = "voxpop_public_csrf"
HONEYPOT = "website"
EDIT_MAX_AGE = 180 * 24 * 3600
ENDS = {
    "nps": ("Not at all likely", "Extremely likely"),
    "csat": ("Very unsatisfied", "Very satisfied"),
    "ces": ("Very difficult", "Very easy"),
    "rating": ("Poor", "Excellent"),
}


def analyze_later(background: BackgroundTasks, store: Store, ids: list[int]) -> None:
    """Send new or changed items through the pipeline after the response has gone out."""
    if store.settings.analyze_on_ingest and ids:
        background.add_task(_run_pipeline, store, ids)


def _run_pipeline(store: Store, ids: list[int]) -> None:
    try:
        run_pipeline(get_executor(store), ids)
    except Exception:
        log.exception("analysis of %d loop items failed; they stay pending for `voxpop reanalyze`", len(ids))


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limiter(request: Request, name: str) -> TokenBucket:
    """The app's bucket ``name`` ("public" or "widget"), made from the settings on first use."""
    settings: Settings = request.app.state.settings
    buckets: dict[str, TokenBucket] | None = getattr(request.app.state, "loop_buckets", None)
    if buckets is None:
        buckets = request.app.state.loop_buckets = {}
    if name not in buckets:
        if name == "widget":
            buckets[name] = TokenBucket(settings.widget_rate_burst, settings.widget_rate_per_minute)
        else:
            buckets[name] = TokenBucket(settings.public_rate_burst, settings.public_rate_per_minute)
    return buckets[name]


def _page(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> Response:
    settings: Settings = request.app.state.settings
    token = request.cookies.get(PUBLIC_CSRF_COOKIE) or secrets.token_urlsafe(32)
    context = {"business": settings.business_name, "csrf_token": token, **context}
    response = render(request, name, context, status_code=status)
    response.set_cookie(
        PUBLIC_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=settings.cookie_secure, path="/"
    )
    return response


def message(request: Request, heading: str, text: str, *, status: int = 200, **extra: Any) -> Response:
    return _page(request, "public/message.html", {"heading": heading, "message": text, **extra}, status=status)


async def _form(request: Request) -> Mapping[str, list[str]]:
    """The posted form, after the CSRF check."""
    form = await request.form()
    token = form.get("csrf_token")
    if not tokens_match(request.cookies.get(PUBLIC_CSRF_COOKIE), token if isinstance(token, str) else None):
        raise PermissionDeniedError("the form expired or was not sent from this site: reload it")
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    return values


def _survey_page(
    request: Request,
    survey: Survey,
    action: str,
    answers: Mapping[str, Any],
    *,
    error: str = "",
    status: int = 200,
    **flags: Any,
) -> Response:
    if not is_open(survey):
        return message(request, survey.title, "This survey is closed. Thank you for your interest.", status=410)
    context = {
        "survey": survey,
        "action": action,
        "answers": answers,
        "error": error,
        "scales": SCALES,
        "ends": ENDS,
        "shows_followup": shows_followup,
        **flags,
    }
    return _page(request, "public/survey.html", context, status=status)


def _thanks(survey: Survey) -> Response:
    return RedirectResponse(f"/s/{survey.slug}/thanks", status_code=303)


def _edit_cookie(survey: Survey) -> str:
    return f"voxpop_survey_{survey.id}"


def _own_response(request: Request, settings: Settings, db: Session, survey: Survey) -> SurveyResponse | None:
    """The response this browser sent through the public link (its signed cookie), to edit it."""
    token = request.cookies.get(_edit_cookie(survey))
    if not token:
        return None
    try:
        response_id = unsign(settings, "survey-edit", token, max_age_seconds=EDIT_MAX_AGE)
    except PermissionDeniedError:
        return None
    response = db.get(SurveyResponse, response_id) if isinstance(response_id, int) else None
    return response if response is not None and response.survey_id == survey.id else None


@router.get("/s/unsubscribe/{token}")
def unsubscribe_page(request: Request, token: str) -> Response:
    return message(
        request,
        "Unsubscribe",
        "Stop receiving surveys and requests from us?",
        action=f"/s/unsubscribe/{token}",
        action_label="Unsubscribe",
    )


@router.post("/s/unsubscribe/{token}")
def unsubscribe_post(request: Request, token: str, store: Annotated[Store, Depends(get_store)]) -> Response:
    # The signed token is the proof: no cookie or CSRF token is needed (mail clients post one-click).
    if (limited := too_many(request, "public")) is not None:
        return limited
    with store.write() as db:
        email = unsubscribe(db, store.settings, token)
    return message(request, "Unsubscribed", f"{email} will not receive surveys or requests from us any more.")


@router.get("/s/{slug}")
def survey_public(
    request: Request, slug: str, db: ReadDb, settings: Annotated[Settings, Depends(get_settings)]
) -> Response:
    survey = get_survey_by_slug(db, slug)
    own = _own_response(request, settings, db, survey)
    return _survey_page(request, survey, f"/s/{slug}", own.answers if own else {}, editing=own is not None)


@router.post("/s/{slug}")
async def survey_public_post(
    request: Request,
    slug: str,
    background: BackgroundTasks,
    store: Annotated[Store, Depends(get_store)],
) -> Response:
    if (limited := too_many(request, "public")) is not None:
        return limited
    form = await _form(request)
    with store.read() as db:
        survey = get_survey_by_slug(db, slug)
    if any(v.strip() for v in form.get(HONEYPOT, [])):
        return _thanks(survey)  # a bot: it sees success, nothing is stored
    try:
        answers = parse_answers(survey, form)
    except ValidationError as exc:
        return _survey_page(request, survey, f"/s/{slug}", {}, error=str(exc), status=422)
    if not answers:
        return _survey_page(request, survey, f"/s/{slug}", {}, error="Answer at least one question.", status=422)
    with store.write() as db:
        survey = get_survey_by_slug(db, slug)
        own = _own_response(request, store.settings, db, survey)
        response, item_id = save_response(db, survey, answers, response=own)
        response_id = response.id
    analyze_later(background, store, [item_id])
    redirect = _thanks(survey)
    redirect.set_cookie(
        _edit_cookie(survey),
        sign(store.settings, "survey-edit", response_id),
        httponly=True,
        samesite="lax",
        secure=store.settings.cookie_secure,
        max_age=EDIT_MAX_AGE,
        path=f"/s/{slug}",
    )
    return redirect


@router.get("/s/{slug}/thanks")
def survey_thanks(request: Request, slug: str, db: ReadDb) -> Response:
    survey = get_survey_by_slug(db, slug)
    return message(request, "Thank you", survey.thank_you or "Your answers are saved. Thank you for your time.")


@router.get("/s/{slug}/r/{token}")
def survey_personal(
    request: Request,
    slug: str,
    token: str,
    db: ReadDb,
    settings: Annotated[Settings, Depends(get_settings)],
    scored: int | None = None,
) -> Response:
    survey = get_survey_by_slug(db, slug)
    recipient = get_recipient(db, survey, recipient_from_token(settings, token))
    response = response_of(db, recipient)
    answers = response.answers if response else {}
    return _survey_page(
        request,
        survey,
        f"/s/{slug}/r/{token}",
        answers,
        scored=scored is not None,
        editing=response is not None and scored is None,
    )


@router.post("/s/{slug}/r/{token}")
async def survey_personal_post(
    request: Request,
    slug: str,
    token: str,
    background: BackgroundTasks,
    store: Annotated[Store, Depends(get_store)],
) -> Response:
    if (limited := too_many(request, "public")) is not None:
        return limited
    form = await _form(request)
    recipient_id = recipient_from_token(store.settings, token)
    with store.read() as db:
        survey = get_survey_by_slug(db, slug)
    if any(v.strip() for v in form.get(HONEYPOT, [])):
        return _thanks(survey)
    try:
        answers = parse_answers(survey, form)
    except ValidationError as exc:
        return _survey_page(request, survey, f"/s/{slug}/r/{token}", {}, error=str(exc), status=422)

    def save() -> int:
        with store.write() as db:
            current = get_survey_by_slug(db, slug)
            recipient = get_recipient(db, current, recipient_id)
            return save_response(db, current, answers, recipient=recipient)[1]

    item_id = once_more_on_conflict(save)
    analyze_later(background, store, [item_id])
    return _thanks(survey)


@router.get("/s/{slug}/score/{token}")
def survey_score(
    request: Request,
    slug: str,
    token: str,
    background: BackgroundTasks,
    store: Annotated[Store, Depends(get_store)],
) -> Response:
    """A score button in the mail: one click records the score, then the page asks the follow-up."""
    if (limited := too_many(request, "public")) is not None:
        return limited
    recipient_id, question_id, score = score_from_token(store.settings, token)

    def save() -> tuple[int, str] | Response:
        with store.write() as db:
            survey = get_survey_by_slug(db, slug)
            if not is_open(survey):
                return message(request, survey.title, "This survey is closed. Thank you for your interest.", status=410)
            question = next((q for q in survey.questions if q.id == question_id), None)
            if question is None or question.kind not in SCALES:
                raise NotFoundError("this score link is not valid")
            recipient = get_recipient(db, survey, recipient_id)
            value = check_score(question, score)
            existing = response_of(db, recipient)
            if existing is not None and not shows_followup(question, value):
                # A follow-up that no longer applies to the new score is dropped.
                existing.answers = {k: v for k, v in existing.answers.items() if k != f"{question.id}:followup"}
            answers: dict[str, Any] = {str(question.id): value}
            _, item_id = save_response(db, survey, answers, recipient=recipient, merge=True)
            return item_id, recipient_token(store.settings, recipient)

    saved = once_more_on_conflict(save)
    if isinstance(saved, Response):
        return saved
    item_id, personal = saved
    analyze_later(background, store, [item_id])
    return RedirectResponse(f"/s/{slug}/r/{personal}?scored={question_id}", status_code=303)


def once_more_on_conflict(save: Callable[[], T]) -> T:
    """Run ``save`` again if it lost a race: two clicks on a mail's button at the same moment may both
    try to create the recipient's one response; the loser's unique-constraint error means the other
    one stored it, and the second run updates that response instead of adding another."""
    try:
        return save()
    except IntegrityError:
        return save()


def too_many(request: Request, name: str) -> Response | None:
    """A 429 page (with Retry-After) when this client spent its bucket ``name``, else None."""
    try:
        limiter(request, name).take(client_key(request))
    except RateLimited as exc:
        response = message(request, "Slow down", str(exc), status=429)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return None


# The website widget's endpoint. CORS is answered here, per site: only an allowed origin gets the
# Access-Control-Allow-Origin header, and a post from any other origin (or none) is refused outright,
# since CORS alone would not stop a "simple" cross-site post from being stored.


def _cors(origin: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Content-Type",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }


def _json(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    from fastapi.responses import JSONResponse

    return JSONResponse(body, status_code=status, headers=headers)


@router.options("/w/{site_key}/feedback")
def widget_preflight(request: Request, site_key: str, db: ReadDb) -> Response:
    origin = request.headers.get("origin")
    try:
        site = get_site_by_key(db, site_key)
    except NotFoundError:
        return Response(status_code=404, headers={"Vary": "Origin"})
    if not origin_allowed(site, origin):
        return Response(status_code=403, headers={"Vary": "Origin"})
    return Response(status_code=204, headers=_cors(str(origin)))


@router.post("/w/{site_key}/feedback")
async def widget_post(
    request: Request,
    site_key: str,
    background: BackgroundTasks,
    store: Annotated[Store, Depends(get_store)],
) -> Response:
    origin = request.headers.get("origin")
    with store.read() as db:
        try:
            site = get_site_by_key(db, site_key)
        except NotFoundError:
            return _json(404, {"ok": False, "error": "unknown site key", "status": 404})
    if not origin_allowed(site, origin):
        return _json(403, {"ok": False, "error": "this origin may not post to this site", "status": 403})
    headers = _cors(str(origin))
    try:
        limiter(request, "widget").take(client_key(request))
    except RateLimited as exc:
        body = {"ok": False, "error": str(exc), "status": 429}
        return _json(429, body, {**headers, "Retry-After": str(exc.retry_after)})
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        return _json(413, {"ok": False, "error": "the message is too large", "status": 413}, headers)
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            return _json(413, {"ok": False, "error": "the message is too large", "status": 413}, headers)
    try:
        post = parse_post(json.loads(raw or b"null"), max_text=store.settings.widget_max_text)
    except (ValueError, ValidationError) as exc:
        message_text = str(exc) if isinstance(exc, ValidationError) else "the body is not JSON"
        return _json(422, {"ok": False, "error": message_text, "status": 422}, headers)
    if post.is_bot:
        return _json(202, {"ok": True}, headers)  # the honeypot was filled: looks accepted, is dropped
    with store.write() as db:
        item_id = store_post(db, get_site_by_key(db, site_key), post, origin=str(origin))
    if item_id is not None:
        analyze_later(background, store, [item_id])
    return _json(201, {"ok": True}, headers)
