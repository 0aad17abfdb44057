"""Who is asking: the browser session behind a page, or the bearer token (or session) behind an API call."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from voxpop.accounts.permissions import require_scope, require_write
from voxpop.accounts.sessions import load_session
from voxpop.accounts.tokens import SCOPES, authenticate_token, mark_used
from voxpop.errors import AuthenticationError, PermissionDeniedError
from voxpop.settings import Settings
from voxpop.store import Store
from voxpop.store.models import ApiToken, User, WebSession
from voxpop.store.types import utcnow
from voxpop.web.errors import LoginRequired
from voxpop.web.security import CSRF_FIELD, CSRF_HEADER, SAFE_METHODS, tokens_match

COOKIE = "voxpop_session"
LOGIN_CSRF_COOKIE = "voxpop_login_csrf"


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def read_db(store: Annotated[Store, Depends(get_store)]) -> Iterator[Session]:
    session = store.read()
    try:
        yield session
    finally:
        session.close()


ReadDb = Annotated[Session, Depends(read_db)]


async def check_csrf(request: Request, expected: str) -> None:
    """Every state-changing request carries the session's CSRF token, in a form field or a header."""
    if request.method in SAFE_METHODS:
        return
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not tokens_match(expected, given):
        raise PermissionDeniedError("missing or wrong CSRF token (reload the page and try again)")


def page_session(request: Request, db: ReadDb) -> WebSession:
    """The live session of a page request, or a redirect to the log-in page."""
    web_session = load_session(db, request.cookies.get(COOKIE))
    if web_session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target if request.method == "GET" else "/inbox")
    request.state.user = web_session.user
    request.state.csrf_token = web_session.csrf_token
    return web_session


async def page_user(request: Request, web_session: Annotated[WebSession, Depends(page_session)]) -> User:
    await check_csrf(request, web_session.csrf_token)
    return web_session.user


PageUser = Annotated[User, Depends(page_user)]


@dataclass(frozen=True)
class Principal:
    """An API caller: the user and what this credential may do."""

    user: User
    scopes: frozenset[str]
    via_token: bool

    def require(self, scope: str) -> None:
        require_scope(self.scopes, scope)
        if scope.endswith(":write"):
            require_write(self.user)


def _note_use(request: Request, token: ApiToken) -> None:
    if token.last_used_at is None or utcnow() - token.last_used_at >= timedelta(minutes=5):
        with get_store(request).write() as session:
            mark_used(session, token)


def api_principal(request: Request, db: ReadDb) -> Principal:
    """A bearer token (its scopes), or a logged-in browser (every scope; CSRF header on writes).

    Sync on purpose: FastAPI runs it in the thread pool, so its database work stays off the event loop.
    """
    header = request.headers.get("Authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthenticationError("use 'Authorization: Bearer <token>'")
        token = authenticate_token(db, value.strip())
        _note_use(request, token)
        return Principal(user=token.user, scopes=frozenset(token.scopes), via_token=True)
    web_session = load_session(db, request.cookies.get(COOKIE))
    if web_session is None:
        raise AuthenticationError("log in or send an API token ('Authorization: Bearer <token>')")
    if request.method not in SAFE_METHODS and not tokens_match(
        web_session.csrf_token, request.headers.get(CSRF_HEADER)
    ):
        raise PermissionDeniedError("missing or wrong CSRF token")
    request.state.user = web_session.user
    return Principal(user=web_session.user, scopes=frozenset(SCOPES), via_token=False)


ApiCaller = Annotated[Principal, Depends(api_principal)]
