"""Signed, expiring tokens for links that are handed to strangers (survey links, score buttons, forms).

A token is ``itsdangerous``'s URL-safe, timestamped signature of a small JSON payload, keyed by the
install's secret key and a *purpose* (the salt), so a token made for one purpose is refused for another.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from voxpop.errors import PermissionDeniedError
from voxpop.settings import Settings


def _serializer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret(), salt=f"voxpop.loop.{purpose}")


def sign(settings: Settings, purpose: str, payload: Any) -> str:
    token: str = _serializer(settings, purpose).dumps(payload)
    return token


def unsign(settings: Settings, purpose: str, token: str, *, max_age_seconds: int) -> Any:
    """The payload of a token made by :func:`sign` for ``purpose``; ``PermissionDeniedError`` when it is
    forged, made for something else, or older than ``max_age_seconds``."""
    try:
        return _serializer(settings, purpose).loads(token, max_age=max_age_seconds)
    except SignatureExpired as exc:
        raise PermissionDeniedError("this link has expired") from exc
    except BadSignature as exc:
        raise PermissionDeniedError("this link is not valid") from exc
