"""The idea board's lightweight identity: an e-mail address proved by a magic link, then a signed cookie.

No password and no account: a customer gives an address, receives a signed link (valid for a day),
and the click marks the address verified and leaves a signed cookie naming the identity. Posting,
voting and commenting need a verified identity, which is what makes "one vote per person" mean
something.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.errors import PermissionDeniedError, ValidationError
from voxpop.loop.mailtext import render_mail
from voxpop.loop.signing import sign, unsign
from voxpop.loop.survey_mail import normalise_email
from voxpop.notify.mail import Mail
from voxpop.settings import Settings
from voxpop.store.models.loop import Identity

MAGIC_LINK_MAX_AGE = 24 * 3600
COOKIE_MAX_AGE = 180 * 24 * 3600


def start_identity(session: Session, email: str, name: str = "") -> Identity:
    """The identity for ``email`` (created unverified the first time)."""
    address = normalise_email(email, "field 'email'")
    identity = session.scalars(select(Identity).where(Identity.email == address)).one_or_none()
    if identity is None:
        identity = Identity(email=address, name=name.strip()[:200] or None)
        session.add(identity)
        session.flush()
    elif name.strip() and not identity.name:
        identity.name = name.strip()[:200]
    return identity


def magic_link_mail(settings: Settings, identity: Identity, *, next_path: str = "/ideas") -> Mail:
    token = sign(settings, "idea-magic-link", [identity.id, next_path])
    link = f"{settings.base_url.rstrip('/')}/ideas/verify/{token}"
    text, html = render_mail("idea_magic_link", link=link, business=settings.business_name or "our")
    return Mail(to=identity.email, to_name=identity.name, subject="Your link to the idea board", text=text, html=html)


def verify(session: Session, settings: Settings, token: str) -> tuple[Identity, str]:
    """Mark the identity of a magic link verified; returns it and the page to go back to."""
    value = unsign(settings, "idea-magic-link", token, max_age_seconds=MAGIC_LINK_MAX_AGE)
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int) and isinstance(value[1], str)):
        raise ValidationError("this link is not valid")
    identity = session.get(Identity, value[0])
    if identity is None:
        raise PermissionDeniedError("this link is not valid")
    if identity.verified_at is None:
        identity.verified_at = datetime.now(UTC)
    next_path = value[1] if value[1].startswith("/ideas") and not value[1].startswith("//") else "/ideas"
    return identity, next_path


def cookie_value(settings: Settings, identity: Identity) -> str:
    return sign(settings, "idea-identity", identity.id)


def from_cookie(session: Session, settings: Settings, value: str | None) -> Identity | None:
    """The verified identity a cookie names, or None (no cookie, forged, expired, or not verified)."""
    if not value:
        return None
    try:
        identity_id = unsign(settings, "idea-identity", value, max_age_seconds=COOKIE_MAX_AGE)
    except PermissionDeniedError:
        return None
    identity = session.get(Identity, identity_id) if isinstance(identity_id, int) else None
    return identity if identity is not None and identity.verified_at is not None else None
