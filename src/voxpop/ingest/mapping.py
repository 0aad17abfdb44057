"""Which column feeds which item field, and turning one file row into an ``ItemRecord``.

``--map id=tweet_id,text=text`` names the columns; without it, columns named like a field (or an obvious
alias: ``review``/``body``/``content`` → text, ``date`` → created_at, ``stars``/``score`` → rating,
``name``/``user``/``username`` → author) are used. Columns that feed no field are kept in ``raw``.
Errors name the column, since that is what the user sees in the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from voxpop.errors import IngestError, ValidationError
from voxpop.ingest.reader import undecodable
from voxpop.ingest.records import ItemRecord
from voxpop.ingest.timestamp import parse_timestamp
from voxpop.ingest.writer import RecordError

# Map target → ItemRecord field.
TARGETS: dict[str, str] = {
    "id": "external_id",
    "text": "text",
    "title": "title",
    "created_at": "created_at",
    "author": "author_name",
    "author_handle": "author_handle",
    "author_email": "author_email",
    "rating": "rating",
    "url": "url",
    "location": "location",
    "product": "product",
    "language": "language",
    "kind": "kind",
    "channel": "channel",
    "followers": "reach_followers",
    "likes": "reach_likes",
    "shares": "reach_shares",
}
ALIASES: dict[str, str] = {
    "review": "text",
    "body": "text",
    "content": "text",
    "message": "text",
    "comment": "text",
    "review_text": "text",
    "date": "created_at",
    "created": "created_at",
    "timestamp": "created_at",
    "stars": "rating",
    "score": "rating",
    "name": "author",
    "user": "author",
    "username": "author",
    "author_name": "author",
    "email": "author_email",
    "handle": "author_handle",
    "screen_name": "author_handle",
    "link": "url",
    "lang": "language",
    "external_id": "id",
    "review_id": "id",
}
MAP_HELP = (
    "Comma-separated FIELD=COLUMN pairs (repeat --map as you like), e.g. "
    "--map id=tweet_id,text=text,created_at=tweet_created,author=name. "
    f"Fields: {', '.join(TARGETS)}. Nested JSON keys are named with dots (user.name). "
    "Without --map, columns named like a field are used (also review/body/content → text, date → created_at, "
    "stars/score → rating, name/user/username → author)."
)
_SCALE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|–|\.\.|to)\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_map(specs: Iterable[str]) -> dict[str, str]:
    """``["id=tweet_id,text=text"]`` → ``{"id": "tweet_id", "text": "text"}``."""
    mapping: dict[str, str] = {}
    for spec in specs:
        for pair in spec.split(","):
            if not pair.strip():
                continue
            target, sep, column = pair.partition("=")
            target, column = target.strip().lower(), column.strip()
            if not sep or not column:
                raise ValidationError(f"--map: {pair.strip()!r} is not FIELD=COLUMN")
            if target not in TARGETS:
                raise ValidationError(f"--map: unknown field {target!r}; fields are {', '.join(TARGETS)}")
            mapping[target] = column
    return mapping


def parse_scale(text: str) -> tuple[float, float]:
    """``"1-5"`` → ``(1.0, 5.0)``; also ``0..10``, ``0 to 100``."""
    match = _SCALE.match(text)
    if not match or not float(match.group(1)) < float(match.group(2)):
        raise ValidationError(f"--rating-scale: {text!r} is not LOW-HIGH, e.g. 1-5 or 0-10")
    return float(match.group(1)), float(match.group(2))


def resolve_mapping(path: str, columns: Sequence[str], explicit: dict[str, str] | None) -> dict[str, str]:
    """Target → column for this file, checked against its columns before anything is written."""
    present = set(columns)
    if explicit:
        for target, column in explicit.items():
            if columns and column not in present:
                raise IngestError(
                    path, f"--map {target}={column}: no such column; columns are {_listing(columns)}", field=column
                )
            if columns.count(column) > 1:
                raise IngestError(path, "the header names this column twice", field=column)
        mapping = dict(explicit)
    else:
        mapping = _automatic(columns)
    if "text" not in mapping and columns:
        raise IngestError(
            path,
            f"no column holds the item text; columns are {_listing(columns)}; name it with --map text=COLUMN",
            field="text",
        )
    return mapping


def _automatic(columns: Sequence[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    by_alias: dict[str, str] = {}
    for column in columns:
        key = column.strip().lower().replace(" ", "_").replace("-", "_")
        if key in TARGETS:
            mapping.setdefault(key, column)
        elif key in ALIASES:
            by_alias.setdefault(ALIASES[key], column)
    for target, column in by_alias.items():
        mapping.setdefault(target, column)
    return mapping


def _listing(columns: Sequence[str]) -> str:
    shown = ", ".join(repr(c) for c in columns[:30])
    return shown + (f" and {len(columns) - 30} more" if len(columns) > 30 else "")


class RowMapper:
    """Turns one row's values into an ``ItemRecord``; raises ``RecordError`` naming the column."""

    def __init__(
        self,
        mapping: dict[str, str],
        *,
        kind: str = "review",
        channel: str | None = None,
        rating_scale: tuple[float, float] | None = None,
        max_field_bytes: int = 1_000_000,
        encoding: str = "utf-8",
    ) -> None:
        self.mapping = mapping
        self.kind = kind
        self.channel = channel
        self.rating_scale = rating_scale
        self.max_field_bytes = max_field_bytes
        self.encoding = encoding
        self._mapped = frozenset(mapping.values())
        self._field_column = {TARGETS[target]: column for target, column in mapping.items()}
        self._steps: list[tuple[str, str, Callable[[Any], Any]]] = [
            (TARGETS[target], column, _CONVERTERS.get(target, _text)) for target, column in mapping.items()
        ]

    def column_for(self, field: str) -> str:
        """The column that fed ItemRecord ``field`` (the field itself when no column did)."""
        return self._field_column.get(field, field)

    def record(self, values: dict[str, Any]) -> ItemRecord:
        self._check_values(values)
        fields: dict[str, Any] = {"kind": self.kind, "channel": self.channel}
        for field, column, convert in self._steps:
            value = values.get(column)
            try:
                fields[field] = convert(value)
            except (TypeError, ValueError) as exc:
                raise RecordError(column, str(exc)) from exc
        if fields.get("kind") is None:
            fields["kind"] = self.kind
        if fields.get("channel") is None:
            fields["channel"] = self.channel
        if fields.get("text") is None:
            fields["text"] = ""
        if fields.get("rating") is not None and self.rating_scale is not None:
            fields["rating_min"], fields["rating_max"] = self.rating_scale
        fields["raw"] = {k: v for k, v in values.items() if k not in self._mapped}
        return ItemRecord(**fields)

    def _check_values(self, values: dict[str, Any]) -> None:
        """Undecodable bytes (a wrong --encoding) and over-long fields, named by column."""
        limit = self.max_field_bytes
        for column, value in values.items():
            if not isinstance(value, str):
                continue
            if value.isascii():
                if len(value) > limit:
                    raise RecordError(column, _too_long(len(value), limit))
                continue
            problem = undecodable(value, self.encoding)
            if problem is not None:
                raise RecordError(column, problem)
            size = len(value.encode("utf-8"))
            if size > limit:
                raise RecordError(column, _too_long(size, limit))


def _too_long(size: int, limit: int) -> str:
    return f"is {size:,} bytes, over the limit of {limit:,} (VOXPOP_INGEST_MAX_FIELD_BYTES)"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _time(value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_timestamp(value)


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise ValueError(f"{value!r} is not a number")
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if not text:
        return None
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # a decimal comma
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{text[:40]!r} is not a number") from None


def _count(value: Any) -> int | None:
    number = _number(value.replace(",", "") if isinstance(value, str) else value)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def _kind(value: Any) -> str | None:
    text = _text(value)
    return text.lower() if text else None


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "created_at": _time,
    "rating": _number,
    "followers": _count,
    "likes": _count,
    "shares": _count,
    "kind": _kind,
}
