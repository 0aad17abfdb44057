"""OAuth2 bearer calls with token refresh, shared by the API connectors (Trustpilot, Google Business Profile).

A call uses the stored access token while it is fresh; an expired or missing one is refreshed first, and a
401 refreshes once and retries once. A refresh the platform refuses (revoked or expired refresh token) is a
``SourceError`` telling the user to reconnect — the source goes unhealthy and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from voxpop.ingest.live.base import PollContext, expires_at, token_is_fresh
from voxpop.ingest.live.errors import AuthExpiredError, SourceError
from voxpop.ingest.live.http import Fetched

Refresher = Callable[[PollContext], Fetched]


def refresh(ctx: PollContext, label: str, send: Refresher) -> str:
    """Ask the platform for a new access token; keep it (and a rotated refresh token) in the credentials."""
    if not ctx.credentials.get("refresh_token"):
        raise SourceError(f"{label}: no refresh token is stored; connect the account again")
    try:
        answer = send(ctx)
    except SourceError as exc:
        raise SourceError(
            f"{label}: refreshing the access token failed ({exc}); connect the account again", status=exc.status
        ) from None
    data = answer.json()
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise SourceError(f"{label}: the token endpoint answered without an access_token")
    values: dict[str, Any] = {"access_token": token, "expires_at": expires_at(data.get("expires_in"), ctx.now)}
    if isinstance(data.get("refresh_token"), str) and data["refresh_token"]:
        values["refresh_token"] = data["refresh_token"]
    ctx.update_credentials(**values)
    return token


def call(ctx: PollContext, label: str, send_refresh: Refresher, request: Callable[[str], Fetched]) -> Fetched:
    """``request(access_token)`` with a fresh token, refreshing once on 401."""
    token = ctx.credentials["access_token"] if token_is_fresh(ctx.credentials, ctx.now) else None
    if token is None:
        token = refresh(ctx, label, send_refresh)
    try:
        return request(token)
    except AuthExpiredError:
        token = refresh(ctx, label, send_refresh)
        try:
            return request(token)
        except AuthExpiredError as exc:
            raise SourceError(f"{label}: the platform refuses even a fresh access token ({exc})", status=401) from None
