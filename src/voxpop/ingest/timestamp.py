"""Parse the timestamps that exports actually contain into tz-aware UTC datetimes.

Accepted: ISO 8601 (``2015-02-24T11:35:52Z``, ``2015-02-24``), ISO with a spaced offset as in the
Twitter airline export (``2015-02-24 11:35:52 -0800``), RFC 2822 (``Tue, 24 Feb 2015 11:35:52 -0800``),
Twitter's API form (``Wed Feb 25 19:13:36 +0000 2015``) and epoch seconds or milliseconds. A time
without a zone is taken to be in the import's zone (``voxpop ingest --timezone``, set with
:func:`naive_times_in`), UTC by default.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FORMATS_HELP = "ISO 8601, '2015-02-24 11:35:52 -0800', RFC 2822 or epoch seconds/milliseconds"

_SPACED_OFFSET = re.compile(r"^(.*\d)\s+([+-]\d{2}:?\d{2}|Z|UTC|GMT)$")
_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")
_MS_THRESHOLD = 100_000_000_000  # 1e11 s is the year 5138, so anything larger is milliseconds


def parse_timestamp(value: str | float | datetime) -> datetime:
    """The instant ``value`` names, in UTC. Raises ``ValueError`` with the accepted forms."""
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _epoch(float(value))
    text = str(value).strip()
    if not text:
        raise ValueError("is empty")
    try:
        return _utc(datetime.fromisoformat(text))
    except ValueError:
        pass
    if _EPOCH.match(text):
        return _epoch(float(text))
    spaced = _SPACED_OFFSET.match(text)
    if spaced:
        zone = spaced.group(2)
        zone = "+00:00" if zone in ("Z", "UTC", "GMT") else zone
        try:
            return _utc(datetime.fromisoformat(spaced.group(1) + zone))
        except ValueError:
            pass
    try:
        return _utc(datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y"))
    except ValueError:
        pass
    try:
        return _utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        pass
    raise ValueError(f"{text[:40]!r} is not a time ({FORMATS_HELP})")


_NAIVE_ZONE: ContextVar[tzinfo] = ContextVar("naive_zone", default=UTC)


def zone(name: str) -> tzinfo:
    """The IANA zone ``name`` (``Europe/Madrid``), or ``ValueError`` naming what was given."""
    try:
        return UTC if name.upper() == "UTC" else ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not a time zone (an IANA name such as Europe/Madrid or UTC)") from exc


@contextmanager
def naive_times_in(zone_: tzinfo) -> Iterator[None]:
    """Within the block, times written without an offset are wall-clock times in ``zone_``."""
    token = _NAIVE_ZONE.set(zone_)
    try:
        yield
    finally:
        _NAIVE_ZONE.reset(token)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        naive_zone = _NAIVE_ZONE.get()
        return value.replace(tzinfo=UTC) if naive_zone is UTC else value.replace(tzinfo=naive_zone).astimezone(UTC)
    return value.astimezone(UTC)


def _epoch(seconds: float) -> datetime:
    if abs(seconds) >= _MS_THRESHOLD:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ValueError(f"{seconds:g} is out of range for an epoch time") from exc
