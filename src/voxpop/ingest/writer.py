"""Store batches of ``ItemRecord``s idempotently: each record once per source, whatever re-runs.

Every record gets a ``dedup_key`` — ``id:<external id>`` when the source has ids, else ``sha:<hash>`` of
its normalised content — and rows go in with ``ON CONFLICT (source_id, dedup_key) DO NOTHING`` on both
SQLite and PostgreSQL, so re-importing a file or re-polling a feed adds nothing. The caller owns the
transaction: one ``write_batch`` inside one ``store.write()`` is one atomic batch.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.errors import ValidationError
from voxpop.ingest.records import ItemRecord
from voxpop.store.models import ItemKind, ItemStatus, Source

DEFAULT_RATING_SCALE = (1.0, 5.0)
KINDS = frozenset(k.value for k in ItemKind)

# Display fields longer than the column are cut (the full value stays in ``raw``); identifiers and
# codes that do not fit are errors, since cutting them would change their meaning.
_CUT = {"title": 500, "author_name": 200, "author_handle": 200, "location": 200, "product": 200}
_LIMITS = {
    "external_id": 197,
    "url": 2000,
    "language": 8,
    "channel": 50,
    "author_email": 320,
    "platform_key": 200,
}
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
_JSON_LENIENT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=str)


class RecordError(ValidationError):
    """One record cannot be stored; ``field`` names the offending ItemRecord field."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"field '{field}': {message}")


@dataclass
class WriteResult:
    added_ids: list[int]
    duplicates: int
    updated_ids: list[int] = field(default_factory=list)  # known items changed on their platform


def get_or_create_source(session: Session, name: str, *, kind: str = "file", channel: str = "other") -> Source:
    """The source called ``name``, created with ``kind`` and ``channel`` the first time it is seen."""
    source = session.scalars(select(Source).where(Source.name == name)).one_or_none()
    if source is None:
        source = Source(name=name, kind=kind, channel=channel, config={})
        session.add(source)
        session.flush()
    return source


def write_batch(session: Session, source: Source, records: Sequence[ItemRecord]) -> WriteResult:
    """Validate and store ``records``; returns the ids actually added.

    Raises ``RecordError`` (a ``ValidationError`` naming the field) on the first bad record, before
    anything is written. Records already stored (for this source, or under the same platform key for any
    source) and repeats inside the batch count as duplicates — or, when their text, title or rating
    changed on the platform, update the stored item in place (``updated_ids``; see ``ingest.updates``).
    """
    from voxpop.ingest.updates import store_rows

    now = datetime.now(UTC)
    rows = [prepare_row(source, record, now=now) for record in records]
    stored = store_rows(session, rows)
    return WriteResult(added_ids=stored.added, duplicates=stored.duplicates, updated_ids=stored.updated)


def prepare_row(source: Source, record: ItemRecord, *, now: datetime) -> dict[str, Any]:
    """The ``items`` row for ``record`` (plus ``author_email`` for the customer link), validated."""
    text = record.text
    if not isinstance(text, str):
        raise RecordError("text", "is missing")
    if not text.strip() and record.rating is None:
        raise RecordError("text", "is empty (only a rating may come without text)")
    row: dict[str, Any] = {
        "source_id": source.id,
        "text": _clean("text", text),
        "external_id": _limited("external_id", record.external_id),
        "url": _limited("url", record.url),
        "language": _limited("language", record.language),
        "author_email": _email(record.author_email),
        "title": _cut("title", record.title),
        "author_name": _cut("author_name", record.author_name),
        "author_handle": _cut("author_handle", record.author_handle),
        "location": _cut("location", record.location),
        "product": _cut("product", record.product),
        "customer_id": None,
        "ingested_at": now,
        "status": ItemStatus.new.value,
        "priority": 0,
        "reach_followers": _count("reach_followers", record.reach_followers),
        "reach_likes": _count("reach_likes", record.reach_likes),
        "reach_shares": _count("reach_shares", record.reach_shares),
    }
    if record.kind not in KINDS:
        raise RecordError("kind", f"{record.kind!r} is not one of {', '.join(sorted(KINDS))}")
    row["kind"] = record.kind
    row["channel"] = _limited("channel", record.channel) or source.channel
    created = _utc("created_at", record.created_at)
    row["created_at"] = created or now
    row["platform_key"] = _limited("platform_key", record.platform_key)
    row["edited_at"] = _utc("edited_at", record.edited_at)
    reply = record.reply_text.strip() if isinstance(record.reply_text, str) else None
    row["reply_text"] = _clean("reply_text", reply) if reply else None
    row["responded_at"] = (_utc("replied_at", record.replied_at) or row["created_at"]) if reply else None
    row.update(_rating(record))
    row["raw"], row["raw_json"] = _raw(record.raw)
    row["dedup_key"] = dedup_key(record, created)
    return row


def dedup_key(record: ItemRecord, created_at: datetime | None) -> str:
    """``id:<external id>``, or ``sha:<sha256>`` of the normalised author, time, title, text and rating."""
    if record.external_id:
        return "id:" + record.external_id
    parts = (
        _norm(record.author_handle or record.author_name or ""),
        created_at.isoformat() if created_at else "",
        _norm(record.title or ""),
        _norm(record.text),
        "" if record.rating is None else repr(float(record.rating)),
    )
    return "sha:" + hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _utc(name: str, value: datetime | None) -> datetime | None:
    """A timestamp as an aware UTC instant (naive values are taken as UTC)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise RecordError(name, f"expected a datetime, got {type(value).__name__}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _rating(record: ItemRecord) -> dict[str, float | None]:
    if record.rating is None:
        return {"rating_raw": None, "rating_min": None, "rating_max": None, "rating": None}
    low = DEFAULT_RATING_SCALE[0] if record.rating_min is None else record.rating_min
    high = DEFAULT_RATING_SCALE[1] if record.rating_max is None else record.rating_max
    try:
        value, low, high = float(record.rating), float(low), float(high)
    except (TypeError, ValueError) as exc:
        raise RecordError("rating", f"{record.rating!r} is not a number") from exc
    if not all(math.isfinite(v) for v in (value, low, high)):
        raise RecordError("rating", f"{record.rating!r} is not a finite number")
    if not low < high:
        raise RecordError("rating_max", f"the scale {low:g}–{high:g} is empty")
    if not low <= value <= high:
        raise RecordError("rating", f"{value:g} is outside the scale {low:g}–{high:g}")
    return {"rating_raw": value, "rating_min": low, "rating_max": high, "rating": (value - low) / (high - low)}


def _clean(name: str, value: str) -> str:
    if "\x00" in value:
        raise RecordError(name, "contains a NUL character (binary data?)")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RecordError(name, "holds bytes that are not valid text in this encoding") from exc
    return value


def _limited(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(name, f"expected text, got {type(value).__name__}")
    value = _clean(name, value.strip())
    if len(value) > _LIMITS[name]:
        raise RecordError(name, f"is longer than {_LIMITS[name]} characters")
    return value or None


def _cut(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(name, f"expected text, got {type(value).__name__}")
    value = _clean(name, value.strip())
    return value[: _CUT[name]] or None


def _email(value: str | None) -> str | None:
    email = _limited("author_email", value)
    if email is None:
        return None
    if "@" not in email or any(c.isspace() for c in email):
        raise RecordError("author_email", f"{email!r} is not an e-mail address")
    return email.lower()


def _count(name: str, value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RecordError(name, f"expected a whole number, got {value!r}")
    if not 0 <= value < 2**31:
        raise RecordError(name, f"{value} is out of range")
    return value


def _raw(raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The source record as JSON-safe data, and its JSON text.

    Values JSON cannot hold (datetimes, …) become strings; NUL characters and lone surrogates, which
    PostgreSQL's JSONB refuses, reject the record.
    """
    if not raw:
        return raw, "{}"
    try:
        try:
            text = _JSON.encode(raw)
        except TypeError:
            text = _JSON_LENIENT.encode(raw)
            raw = json.loads(text)
    except ValueError as exc:
        raise RecordError("raw", f"cannot be stored as JSON: {exc}") from exc
    if "\\u0000" in text:
        raise RecordError("raw", "contains a NUL character (binary data?)")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RecordError("raw", "holds bytes that are not valid text in this encoding") from exc
    return raw, text


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()
