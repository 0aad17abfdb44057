"""Log-in and log-out pages."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from voxpop.accounts.audit import record
from voxpop.accounts.sessions import end_session, load_session, start_session
from voxpop.accounts.users import authenticate
from voxpop.errors import AuthenticationError, PermissionDeniedError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.web.auth import COOKIE, LOGIN_CSRF_COOKIE, PageUser, ReadDb, get_settings, get_store
from voxpop.web.security import safe_next, tokens_match
from voxpop.web.templating import render

router = APIRouter()


def _login_page(request: Request, next_path: str, *, error: str = "", email: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {"next": safe_next(next_path), "error": error, "email": email, "csrf_token": token},
        status_code=status,
    )
    settings: Settings = request.app.state.settings
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=settings.cookie_secure,
        max_age=3600,
        path="/login",
    )
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request, db: ReadDb, next: str = "/inbox") -> Response:
    if load_session(db, request.cookies.get(COOKIE)) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next)


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/inbox",
) -> Response:
    # Log-in CSRF: the form's token must match the cookie set with the form (double submit).
    if not tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        raise PermissionDeniedError("the log-in form expired or was not sent from this site: reload it")
    failure: AuthenticationError | None = None
    token = ""
    with store.write() as db:
        # A failed attempt is counted on the user, so this unit of work commits either way.
        client = request.client.host if request.client else None
        try:
            user = authenticate(db, email, password, settings=settings)
        except AuthenticationError as exc:
            failure = exc
            record(db, "login_failed", actor=email.strip().lower() or "(empty)", ip=client, reason=str(exc))
        else:
            record(db, "login", user=user, ip=client)
            end_session(db, request.cookies.get(COOKIE))
            token, _ = start_session(
                db,
                user,
                max_age_hours=settings.session_max_age_hours,
                ip=client,
                user_agent=request.headers.get("user-agent"),
            )
    if failure is not None:
        return _login_page(request, next, error=str(failure), email=email, status=401)
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        max_age=settings.session_max_age_hours * 3600,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(
    request: Request,
    user: PageUser,
    store: Annotated[Store, Depends(get_store)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> Response:
    with store.write() as db:
        end_session(db, request.cookies.get(COOKIE))
        record(db, "logout", user=user)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", secure=settings.cookie_secure, httponly=True, samesite="lax")
    return response
