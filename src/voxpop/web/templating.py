"""Jinja2 (autoescape on) and the filters the pages use to show an item."""

from __future__ import annotations

import json
from datetime import datetime
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from voxpop.store.models import Item
from voxpop.web.evidence import authenticity_lines, sentiment_note, suspected, transcript_note, urgency_parts
from voxpop.web.navigation import menu_for

_env = Environment(
    loader=FileSystemLoader(str(files("voxpop.web") / "templates")),
    autoescape=select_autoescape(["html"], default_for_string=True, default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def stars(item: Item) -> int | None:
    """The rating as 1–5 stars (from the normalised 0–1 rating)."""
    if item.rating is None:
        return None
    return max(1, min(5, 1 + round(item.rating * 4)))


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def web_url(value: str | None) -> str | None:
    """A link target only when it is http(s); anything else (javascript:, data:) is shown as text."""
    if value and urlsplit(value.strip()).scheme.lower() in {"http", "https"}:
        return value.strip()
    return None


_env.filters.update(stars=stars, when=when, pretty_json=pretty_json, web_url=web_url)
_env.globals.update(
    menu_for=menu_for,
    authenticity_lines=authenticity_lines,
    sentiment_note=sentiment_note,
    transcript_note=transcript_note,
    urgency_parts=urgency_parts,
    suspected=suspected,
)
templates = Jinja2Templates(env=_env)


def render(request: Request, name: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    context.setdefault("user", getattr(request.state, "user", None))
    context.setdefault("csrf_token", getattr(request.state, "csrf_token", ""))
    return templates.TemplateResponse(request, name, context, status_code=status_code)
