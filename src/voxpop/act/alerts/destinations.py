"""Alert destinations and their transports. Each kind is one function in ``TRANSPORTS``; a third
kind (Teams, PagerDuty…) is added by registering its function there, the way the built-ins are."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.accounts import audit
from voxpop.act.alerts.access import require_manager
from voxpop.errors import NotFoundError, NotUniqueError, ValidationError, VoxpopError
from voxpop.ingest.live.credentials import seal, unseal
from voxpop.notify.mail import Mail, MailError, send_mail
from voxpop.notify.slack import post_message
from voxpop.notify.urls import check_outbound_url
from voxpop.notify.webhook import PostError, post_json
from voxpop.settings import Settings
from voxpop.store.models import User
from voxpop.store.models.outreach import AlertDestination


class TransportError(VoxpopError):
    """A destination could not be reached; the deliveries stay queued and are retried."""


@dataclass(frozen=True)
class Outgoing:
    """One message for a destination, in every form a transport may need."""

    subject: str
    text: str  # plain text (e-mail)
    html: str  # escaped HTML (e-mail)
    slack: str  # Slack mrkdwn, stranger text escaped
    payload: dict[str, Any] = field(default_factory=dict)  # JSON for generic webhooks


def _send_email(settings: Settings, destination: AlertDestination, message: Outgoing) -> None:
    send_mail(settings, Mail(to=destination.target, subject=message.subject, text=message.text, html=message.html))


def _send_slack(settings: Settings, destination: AlertDestination, message: Outgoing) -> None:
    post_message(
        destination.target,
        message.slack,
        timeout=settings.alert_http_timeout_seconds,
        allow_private=settings.allow_private_urls,
    )


def _send_webhook(settings: Settings, destination: AlertDestination, message: Outgoing) -> None:
    post_json(
        destination.target,
        message.payload,
        timeout=settings.alert_http_timeout_seconds,
        allow_private=settings.allow_private_urls,
        secret=webhook_secret(settings, destination),
    )


Transport = Callable[[Settings, AlertDestination, Outgoing], None]
TRANSPORTS: dict[str, Transport] = {"email": _send_email, "slack": _send_slack, "webhook": _send_webhook}


def send(settings: Settings, destination: AlertDestination, message: Outgoing) -> None:
    """Hand ``message`` to the destination's transport; any failure becomes a ``TransportError``."""
    try:
        TRANSPORTS[destination.kind](settings, destination, message)
    except KeyError:
        raise TransportError(f"unknown destination kind '{destination.kind}'") from None
    except (MailError, PostError, ValidationError) as exc:
        raise TransportError(str(exc)) from exc


def check_target(kind: str, target: str, settings: Settings) -> str:
    target = target.strip()
    if kind not in TRANSPORTS:
        raise ValidationError(f"unknown destination kind '{kind}' (choose from {', '.join(TRANSPORTS)})")
    if kind == "email":
        address = parseaddr(target)[1]
        if not address or "@" not in address or any(c.isspace() or c in "\r\n" for c in target):
            raise ValidationError(f"'{target}' is not an e-mail address")
        return target
    return check_outbound_url(target, allow_private=settings.allow_private_urls)


def create_destination(
    session: Session,
    user: User,
    settings: Settings,
    *,
    name: str,
    kind: str,
    target: str,
    max_per_hour: int = 10,
    secret: str | None = None,
) -> AlertDestination:
    """A new destination; a webhook gets a random signing secret unless one is given."""
    require_manager(user)
    name = name.strip()
    if not name:
        raise ValidationError("a destination needs a name")
    if not 1 <= max_per_hour <= 1000:
        raise ValidationError("max_per_hour must be between 1 and 1000")
    if session.scalar(select(AlertDestination.id).where(AlertDestination.name == name)) is not None:
        raise NotUniqueError(f"a destination named '{name}' exists already")
    target = check_target(kind, target, settings)
    if kind == "webhook":
        secret = (secret or "").strip() or secrets.token_urlsafe(32)
        if not 16 <= len(secret) <= 200:
            raise ValidationError("a webhook secret needs 16 to 200 characters")
    destination = AlertDestination(
        name=name,
        kind=kind,
        target=target,
        max_per_hour=max_per_hour,
        secret=seal(settings, {"secret": secret}) if kind == "webhook" and secret else None,
    )
    session.add(destination)
    session.flush()
    audit.record(
        session,
        "alert_destination.create",
        user=user,
        object_type="alert_destination",
        object_id=destination.id,
        kind=kind,
    )
    return destination


def webhook_secret(settings: Settings, destination: AlertDestination) -> str | None:
    """The webhook's signing secret. It is kept sealed at rest (Fernet, keyed from the secret key, the
    same scheme as the sources' credentials), so a copy of the database does not let anyone forge posts."""
    if not destination.secret:
        return None
    value = unseal(settings, destination.secret).get("secret")
    return str(value) if value else None


def set_destination_enabled(session: Session, user: User, destination_id: int, enabled: bool) -> AlertDestination:
    require_manager(user)
    destination = get_destination(session, destination_id)
    destination.enabled = enabled
    audit.record(
        session,
        "alert_destination.update",
        user=user,
        object_type="alert_destination",
        object_id=destination.id,
        enabled=enabled,
    )
    return destination


def get_destination(session: Session, destination_id: int) -> AlertDestination:
    destination = session.get(AlertDestination, destination_id)
    if destination is None:
        raise NotFoundError(f"no alert destination {destination_id}")
    return destination


def get_destination_by_name(session: Session, name: str) -> AlertDestination:
    destination = session.scalar(select(AlertDestination).where(AlertDestination.name == name.strip()))
    if destination is None:
        raise NotFoundError(f"no alert destination named '{name}'")
    return destination


def list_destinations(session: Session) -> list[AlertDestination]:
    return list(session.scalars(select(AlertDestination).order_by(AlertDestination.name)))
