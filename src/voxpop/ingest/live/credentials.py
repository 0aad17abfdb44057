"""Source credentials (API keys, OAuth tokens, mailbox passwords), encrypted at rest.

The key is derived from the settings' secret with HKDF-SHA256, so rotating ``VOXPOP_SECRET_KEY`` makes old
credentials unreadable (they must be entered again) rather than silently usable. Values are a JSON object
sealed with Fernet (AES-128-CBC + HMAC-SHA256, with a timestamp). Nothing here logs a value, and the only
thing ever shown back is ``mask()``: ``••••`` and the last four characters.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from voxpop.errors import ValidationError
from voxpop.settings import Settings

_INFO = b"voxpop source credentials v1"
_SALT = b"voxpop.ingest.live.credentials"
MASK = "••••"


class CredentialsError(ValidationError):
    """Stored credentials cannot be read (the secret key changed?) or given ones are not usable."""


def _fernet(settings: Settings) -> Fernet:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO)
    key = hkdf.derive(settings.secret().encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def seal(settings: Settings, values: dict[str, Any]) -> str:
    """Encrypt ``values`` (a JSON object of strings/numbers) into a token for the database."""
    if not isinstance(values, dict):
        raise CredentialsError("credentials must be a set of named values")
    return _fernet(settings).encrypt(json.dumps(values, sort_keys=True).encode("utf-8")).decode("ascii")


def unseal(settings: Settings, token: str | None) -> dict[str, Any]:
    """The credentials in ``token`` ({} when none are stored)."""
    if not token:
        return {}
    try:
        data = _fernet(settings).decrypt(token.encode("ascii"))
    except (InvalidToken, ValueError):
        raise CredentialsError(
            "the stored credentials cannot be decrypted (was the secret key changed?); enter them again"
        ) from None
    values = json.loads(data)
    if not isinstance(values, dict):
        raise CredentialsError("the stored credentials are damaged; enter them again")
    return values


def mask(value: str | None) -> str:
    """``••••`` plus the last four characters of a secret (only ``••••`` when it is short)."""
    if not value:
        return ""
    return MASK + value[-4:] if len(value) >= 12 else MASK


def hint(values: dict[str, Any]) -> str:
    """What the UI may show of a credentials set: each name with its masked value."""
    return ", ".join(f"{name} {mask(str(values[name]))}" for name in sorted(values) if values[name])
