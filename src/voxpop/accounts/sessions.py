"""Server-side browser sessions: the cookie holds a random token, the store only its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from voxpop.store.models import User, WebSession
from voxpop.store.types import utcnow


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session,
    user: User,
    *,
    max_age_hours: int,
    ip: str | None = None,
    user_agent: str | None = None,
) -> tuple[str, WebSession]:
    """A brand-new session (so a log-in never reuses a token an attacker planted); returns the cookie token."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    web_session = WebSession(
        token_hash=hash_token(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=max_age_hours),
        ip=(ip or "")[:64] or None,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(web_session)
    # Expired sessions of this user are of no use to anyone.
    session.execute(delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at < now))
    session.flush()
    return token, web_session


def load_session(session: Session, token: str | None) -> WebSession | None:
    """The live session for a cookie token, or None when unknown, expired or its user is disabled."""
    if not token:
        return None
    web_session = session.scalar(select(WebSession).where(WebSession.token_hash == hash_token(token)))
    if web_session is None or web_session.expires_at <= utcnow() or not web_session.user.is_active:
        return None
    return web_session


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == hash_token(token)))
