"""The one HTTP client every live source uses: timeouts, conditional GET, the SSRF guard on every hop,
and platform refusals (429 with ``Retry-After``, 5xx, 401) turned into ``SourceError``s.

It does not retry inside a poll: a failed poll is recorded and the scheduler backs off
(``backoff_delay``: exponential with jitter, never sooner than the platform's ``Retry-After``), so one bad
platform never holds the poller.
"""

from __future__ import annotations

import email.utils
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import httpx

from voxpop import __version__
from voxpop.ingest.live.errors import AuthExpiredError, SourceError
from voxpop.notify.urls import pinned_client
from voxpop.settings import Settings

USER_AGENT = f"voxpop/{__version__} (self-hosted feedback platform; +https://github.com/voxpop)"
MAX_REDIRECTS = 5
MAX_BYTES = 20_000_000


@dataclass
class Fetched:
    status: int
    body: bytes
    headers: httpx.Headers
    url: str

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def json(self) -> Any:
        from json import JSONDecodeError, loads

        from voxpop.ingest.live.errors import PayloadError

        try:
            return loads(self.body)
        except (JSONDecodeError, UnicodeDecodeError) as exc:
            raise PayloadError(f"{self.url} did not answer JSON: {exc}", status=self.status) from None


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(
    failures: int,
    *,
    base: float = 60.0,
    cap: float = 6 * 3600.0,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after ``failures`` consecutive failures: ``base·2^(n-1)`` capped, with "equal
    jitter" (between half and all of it) so many sources failing together do not return together, and never
    less than ``retry_after``."""
    exp = min(cap, base * 2 ** max(0, failures - 1))
    delay = exp / 2 + (rng or random).random() * exp / 2
    if retry_after is not None:
        delay = max(delay, min(retry_after, 7 * 24 * 3600.0))
    return delay


class LiveClient:
    """An httpx client bound to the settings' SSRF rule; close it (or use ``with``)."""

    def __init__(self, settings: Settings, *, timeout: float = 20.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._client = pinned_client(  # each hop checked, and connected to the address checked
            allow_private=settings.allow_private_urls,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT},
        )

    def __enter__(self) -> LiveClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        ok_statuses: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> Fetched:
        """Send the request, following redirects (each hop checked), and return a 2xx or 304 answer.

        Raises ``SourceError`` naming the URL on a timeout, a refused connection, 429, 5xx and other
        errors; ``AuthExpiredError`` on 401.
        """
        send_headers = dict(headers or {})
        if etag:
            send_headers["If-None-Match"] = etag
        if last_modified:
            send_headers["If-Modified-Since"] = last_modified
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = self._client.request(method, current, headers=send_headers, **kwargs)
            except httpx.TimeoutException:
                raise SourceError(f"{_short(current)} did not answer within {self.timeout:g} s (timeout)") from None
            except httpx.HTTPError as exc:
                raise SourceError(f"cannot reach {_short(current)}: {exc.__class__.__name__}: {exc}") from None
            if response.has_redirect_location and method in ("GET", "HEAD"):
                location = response.headers.get("Location", "")
                current = urljoin(current, location)
                continue
            return self._answer(response, current, ok_statuses)
        raise SourceError(f"{_short(url)} redirected more than {MAX_REDIRECTS} times")

    def get(self, url: str, **kwargs: Any) -> Fetched:
        return self.request("GET", url, **kwargs)

    def _answer(self, response: httpx.Response, url: str, ok_statuses: tuple[int, ...]) -> Fetched:
        status = response.status_code
        body = response.content
        if len(body) > MAX_BYTES:
            raise SourceError(f"{_short(url)} answered more than {MAX_BYTES // 1_000_000} MB", status=status)
        fetched = Fetched(status, body, response.headers, url)
        if status == 304 or 200 <= status < 300 or status in ok_statuses:
            return fetched
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        detail = _detail(body)
        if status == 401:
            raise AuthExpiredError(f"{_short(url)} refused the credentials (HTTP 401){detail}", status=status)
        if status == 429:
            after = f"; it asks to wait {wait:g} s (Retry-After)" if wait is not None else ""
            raise SourceError(f"{_short(url)} is rate-limiting voxpop (HTTP 429){after}", status=429, retry_after=wait)
        if status >= 500:
            message = f"{_short(url)} failed on its side (HTTP {status}){detail}"
            raise SourceError(message, status=status, retry_after=wait)
        raise SourceError(f"{_short(url)} refused the request (HTTP {status}){detail}", status=status)


def _short(url: str) -> str:
    """The URL without its query string (which may carry keys) for messages."""
    return url.split("?", 1)[0]


def _detail(body: bytes) -> str:
    text = body[:300].decode("utf-8", "replace").strip()
    return f": {' '.join(text.split())[:200]}" if text else ""
