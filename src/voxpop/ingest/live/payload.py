"""Reading one record of a platform's JSON answer when the platform may send a damaged or unexpected shape.

``Entry(value, where)`` wraps a record (``where`` names the answer and the record: ``…/reviews:
reviews[3] (id abc)``); its lookups return the documented type — a nested object, text, a number, a time —
or raise a ``PayloadError`` naming the record and the field's path (``reviewReply.updateTime``), instead of
an AttributeError or TypeError on the first lookup inside a string where an object was expected. Missing
and null fields are ``None`` (an empty ``Entry`` for objects) unless ``required``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from voxpop.ingest.connectors.base import show_value
from voxpop.ingest.live.errors import PayloadError
from voxpop.ingest.timestamp import parse_timestamp


class Entry:
    """One object of a platform's answer; every lookup names ``where`` and the field when the shape is wrong."""

    def __init__(self, value: Any, where: str, path: str = "") -> None:
        if not isinstance(value, dict):
            what = f"field '{path}'" if path else "the entry"
            raise PayloadError(f"{where}: {what} is {show_value(value)}, not an object")
        self.data: dict[str, Any] = value
        self.where = where
        self.path = path

    @classmethod
    def at(cls, value: Any, url: str, position: str, id_key: str | None = None) -> Entry:
        """The record at ``position`` (``reviews[3]``) of the answer from ``url``, named by its id when it has one."""
        where = f"{url}: {position}"
        if id_key is not None and isinstance(value, dict):
            ident = value.get(id_key)
            if isinstance(ident, str | int) and not isinstance(ident, bool) and str(ident).strip():
                where += f" (id {str(ident).strip()[:80]})"
        return cls(value, where)

    def error(self, key: str, reason: str) -> PayloadError:
        return PayloadError(f"{self.where}, field '{self._field(key)}': {reason}")

    def section(self, key: str) -> Entry:
        """The nested object under ``key`` (empty when missing or null)."""
        value = self.data.get(key)
        if value is None or value == "":
            return Entry({}, self.where, self._field(key))
        if not isinstance(value, dict):
            raise self.error(key, f"{show_value(value)} is not an object")
        return Entry(value, self.where, self._field(key))

    def entries(self, key: str) -> list[Any]:
        """The list under ``key`` (empty when missing or null); its items are checked by the caller."""
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"{show_value(value)} is not a list")
        return value

    def text(self, key: str, *, required: bool = False) -> str | None:
        """Text (a number is taken as its digits); blank is ``None``."""
        value = self.data.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if value is not None and not isinstance(value, str):
            raise self.error(key, f"{show_value(value)} is not text")
        value = value.strip() if value else None
        if required and not value:
            raise self.error(key, "is missing")
        return value or None

    def number(self, key: str, *, required: bool = False) -> float | None:
        """A finite number (a numeric string too)."""
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise self.error(key, "is missing")
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.error(key, f"{show_value(value)} is not a number")
        try:
            number = float(value)
        except (ValueError, OverflowError):
            raise self.error(key, f"{show_value(value)} is not a number") from None
        if not math.isfinite(number):
            raise self.error(key, f"{show_value(value)} is not a finite number")
        return number

    def time(self, key: str, *, required: bool = False) -> datetime | None:
        """A time given as text (RFC 3339, as the platforms document); blank is ``None``."""
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise self.error(key, "is missing")
            return None
        if not isinstance(value, str):
            raise self.error(key, f"{show_value(value)} is not a time")
        try:
            return parse_timestamp(value)
        except ValueError as exc:
            raise self.error(key, str(exc)) from None

    def _field(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key
