"""Reading inbox filters from a query string, for the pages and the API alike."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from urllib.parse import urlencode

from voxpop.act.inbox import InboxFilters
from voxpop.errors import ValidationError

TEXT_FIELDS = ("channel", "kind", "status", "sentiment", "q", "location", "aspect", "product")
# Yes/no filters ("1" or "0"): questions, and drill-downs from the dashboard (measure/).
BOOL_FIELDS = ("question", "responded", "breached")
INT_FIELDS = ("source_id", "department_id")
DATE_FIELDS = ("date_from", "date_to")
# Pages filter on whole stars (1–5); the API on the normalised 0–1 rating.
STAR_FIELDS = {"stars_min": "rating_min", "stars_max": "rating_max"}
RATING_FIELDS = ("rating_min", "rating_max")
FORM_FIELDS = (*TEXT_FIELDS, *INT_FIELDS, *DATE_FIELDS, *STAR_FIELDS, *BOOL_FIELDS)


def _text(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name, "").strip()
    return value or None


def _int(params: Mapping[str, str], name: str) -> int | None:
    value = _text(params, name)
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError as exc:
        raise ValidationError(f"{name}: '{value}' is not a whole number") from exc
    if not -(2**63) <= number < 2**63:
        raise ValidationError(f"{name}: {value[:40]} is out of range")
    return number


def _float(params: Mapping[str, str], name: str, low: float, high: float) -> float | None:
    value = _text(params, name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError as exc:
        raise ValidationError(f"{name}: '{value}' is not a number") from exc
    if not low <= number <= high:
        raise ValidationError(f"{name}: {value} is outside {low:g}–{high:g}")
    return number


def _date(params: Mapping[str, str], name: str) -> date | None:
    value = _text(params, name)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationError(f"{name}: '{value}' is not a date (YYYY-MM-DD)") from exc


def _bool(params: Mapping[str, str], name: str) -> bool | None:
    value = _text(params, name)
    if value is None:
        return None
    if value.lower() in ("1", "true", "yes"):
        return True
    if value.lower() in ("0", "false", "no"):
        return False
    raise ValidationError(f"{name}: '{value}' is not yes (1) or no (0)")


def parse_filters(params: Mapping[str, str], *, stars: bool) -> InboxFilters:
    """Filters from query parameters; ValidationError names the bad parameter."""
    filters = InboxFilters()
    for name in TEXT_FIELDS:
        setattr(filters, name, _text(params, name))
    for name in INT_FIELDS:
        setattr(filters, name, _int(params, name))
    for name in DATE_FIELDS:
        setattr(filters, name, _date(params, name))
    for name in BOOL_FIELDS:
        setattr(filters, name, _bool(params, name))
    if stars:
        for star_name, field in STAR_FIELDS.items():
            value = _float(params, star_name, 1, 5)
            setattr(filters, field, None if value is None else (value - 1) / 4)
    else:
        for field in RATING_FIELDS:
            setattr(filters, field, _float(params, field, 0, 1))
    return filters


def form_values(params: Mapping[str, str]) -> dict[str, str]:
    """The filter form's fields as the user sent them, so the form keeps its values."""
    return {name: params.get(name, "").strip() for name in FORM_FIELDS}


def query_string(values: Mapping[str, str], **extra: str) -> str:
    merged = {k: v for k, v in {**values, **extra}.items() if v}
    return urlencode(merged)
