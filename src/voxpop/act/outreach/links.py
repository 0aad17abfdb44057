"""The links in an outreach mail.

Clicks, the testimonial form and the referral link carry the mail's own random token (24 bytes from
``secrets``: unguessable, and it names no customer). The unsubscribe link carries the customer's id
signed with the secret key (HMAC, ``itsdangerous``), so it works for every mail the customer ever got
and cannot be forged for another customer.
"""

from __future__ import annotations

import secrets

from itsdangerous import BadSignature, URLSafeSerializer

from voxpop.errors import NotFoundError
from voxpop.settings import Settings

SALT = "voxpop.outreach.unsubscribe"


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret(), salt=SALT)


def unsubscribe_code(settings: Settings, customer_id: int) -> str:
    return str(_serializer(settings).dumps(customer_id))


def customer_of(settings: Settings, code: str) -> int:
    """The customer id a signed unsubscribe code names; NotFoundError when forged or damaged."""
    try:
        value = _serializer(settings).loads(code)
    except BadSignature:
        raise NotFoundError("this unsubscribe link is not valid") from None
    if not isinstance(value, int):
        raise NotFoundError("this unsubscribe link is not valid")
    return value


def base(settings: Settings) -> str:
    return settings.base_url.rstrip("/")


def click_url(settings: Settings, token: str) -> str:
    return f"{base(settings)}/o/{token}"


def referral_url(settings: Settings, token: str) -> str:
    return f"{base(settings)}/o/{token}/ref"


def unsubscribe_url(settings: Settings, customer_id: int) -> str:
    return f"{base(settings)}/o/unsubscribe/{unsubscribe_code(settings, customer_id)}"
