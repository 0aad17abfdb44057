"""Posting JSON to a generic webhook, signed with HMAC-SHA256 so the receiver can trust it.

The scheme (what a receiver checks):

* ``X-Voxpop-Timestamp``: the Unix time of the post, in seconds;
* ``X-Voxpop-Signature``: ``sha256=`` + hex HMAC-SHA256, keyed with the destination's secret, of
  ``<timestamp>.<raw request body>`` (the timestamp, a dot, then the body bytes exactly as received).

A receiver recomputes the HMAC over the raw body, compares it in constant time, and refuses a timestamp
more than five minutes away from its clock (so a captured post cannot be replayed later).
:func:`verify_signature` does exactly that and is what the tests use.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from voxpop.errors import VoxpopError
from voxpop.notify.urls import check_outbound_url, pinned_client

SIGNATURE_HEADER = "X-Voxpop-Signature"
TIMESTAMP_HEADER = "X-Voxpop-Timestamp"
TOLERANCE_SECONDS = 300


class PostError(VoxpopError):
    """A post to a webhook (generic or Slack) failed: refused, unreachable, timed out or not 2xx."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``sha256=<hex>`` of ``<timestamp>.<body>`` keyed with ``secret``."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    given: str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: a fresh timestamp and a matching signature (compared in constant time)."""
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - sent) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, sent, body), given)


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    timeout: float,
    allow_private: bool,
    headers: dict[str, str] | None = None,
    secret: str | None = None,
) -> None:
    """POST ``payload`` as JSON; signed when ``secret`` is given. Raises ``PostError`` unless 2xx.

    The URL is checked against the SSRF guard and the connection made to the address checked (no second
    DNS answer can re-point it); redirects are not followed (they could lead to an address never checked).
    """
    check_outbound_url(url, allow_private=True)  # the form of the URL; its address is checked on connecting
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    sent_headers = {"Content-Type": "application/json", "User-Agent": "voxpop-alerts/1", **(headers or {})}
    if secret:
        now = int(time.time())
        sent_headers[TIMESTAMP_HEADER] = str(now)
        sent_headers[SIGNATURE_HEADER] = signature(secret, now, body)
    try:
        with pinned_client(allow_private=allow_private, timeout=timeout, follow_redirects=False) as client:
            response = client.post(url, content=body, headers=sent_headers)
    except httpx.TimeoutException as exc:
        raise PostError(f"the post to {_host(url)} timed out after {timeout:g}s") from exc
    except httpx.HTTPError as exc:
        raise PostError(f"cannot post to {_host(url)}: {exc.__class__.__name__}") from exc
    if not 200 <= response.status_code < 300:
        raise PostError(f"{_host(url)} answered {response.status_code}: {response.text[:200]}")


def _host(url: str) -> str:
    """The host only: a webhook URL's path often is its secret (Slack's are), so it is never logged."""
    return httpx.URL(url).host or "the webhook"
