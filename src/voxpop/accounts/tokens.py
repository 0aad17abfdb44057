"""Bearer tokens for the REST API, with scopes. The plaintext is shown once; only its SHA-256 is kept."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from voxpop.accounts.audit import record
from voxpop.accounts.sessions import hash_token
from voxpop.errors import AuthenticationError, NotFoundError, ValidationError
from voxpop.store.models import ApiToken, User
from voxpop.store.types import utcnow

#: ``metrics:read`` opens the CX metrics API (``/api/v1/metrics``: business data); ``ops:read`` the
#: Prometheus endpoint ``/metrics`` (operations: queues, stage rates, failures). Before migration 0021
#: ``metrics:read`` opened both; the migration gave every such token ``ops:read`` as well.
SCOPES = ("items:read", "items:write", "metrics:read", "ops:read")
PREFIX = "vxp_"


def check_scopes(scopes: Sequence[str]) -> list[str]:
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValidationError(f"unknown scope '{unknown[0]}' (choose from {', '.join(SCOPES)})")
    if not scopes:
        raise ValidationError(f"a token needs at least one scope ({', '.join(SCOPES)})")
    return sorted(set(scopes))


def create_token(session: Session, user: User, *, name: str, scopes: Sequence[str]) -> str:
    """Create a token for ``user`` and return its plaintext (the only time it is available)."""
    if not name.strip():
        raise ValidationError("a token needs a name")
    token = PREFIX + secrets.token_urlsafe(32)
    api_token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        prefix=token[:12],
        token_hash=hash_token(token),
        scopes=check_scopes(scopes),
    )
    session.add(api_token)
    session.flush()
    record(
        session, "token_created", user=user, object_type="api_token", object_id=api_token.id, scopes=api_token.scopes
    )
    return token


def authenticate_token(session: Session, token: str) -> ApiToken:
    """The live token for a bearer value; AuthenticationError when unknown, revoked or expired."""
    api_token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    now = utcnow()
    if api_token is None or not api_token.user.is_active:
        raise AuthenticationError("invalid API token")
    if api_token.revoked_at is not None:
        raise AuthenticationError("this API token has been revoked")
    if api_token.expires_at is not None and api_token.expires_at <= now:
        raise AuthenticationError("this API token has expired")
    return api_token


def mark_used(session: Session, api_token: ApiToken, *, every: timedelta = timedelta(minutes=5)) -> bool:
    """Note when a token was last used, at most once per ``every`` (so reads stay reads)."""
    now = utcnow()
    if api_token.last_used_at is not None and now - api_token.last_used_at < every:
        return False
    session.execute(update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now))
    return True


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int) -> ApiToken:
    api_token = session.get(ApiToken, token_id)
    if api_token is None:
        raise NotFoundError(f"no API token with id {token_id}")
    if api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
        record(session, "token_revoked", user=api_token.user, object_type="api_token", object_id=api_token.id)
        session.flush()
    return api_token
