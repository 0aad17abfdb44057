"""The website feedback widget: sites with a public key and an allow-list of origins, and posts as items.

A post is a rating (1–5, optional), a message, an optional e-mail and the page it was sent from; it is
stored as an item of kind ``feedback`` on the channel ``widget``. The web layer checks the origin, the
rate limit and the body size before this module sees a post; this module validates every field.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxpop.errors import NotFoundError, NotUniqueError, ValidationError
from voxpop.ingest.records import ItemRecord
from voxpop.loop.items import add_item, source_for
from voxpop.store.models import ItemKind
from voxpop.store.models.loop import WidgetSite

CHANNEL = "widget"
MAX_BODY_BYTES = 32_000
HONEYPOT = "website"


def normalise_origin(value: str) -> str:
    """``scheme://host[:port]`` of an http(s) origin, lower-cased; a path, query or other scheme is refused."""
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query or parts.fragment:
        raise ValidationError(f"field 'origins': {value!r} is not an origin like https://www.example.com")
    if parts.username or parts.password:
        raise ValidationError(f"field 'origins': {value!r} holds credentials")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def create_site(session: Session, name: str, origins: list[str], *, location: str | None = None) -> WidgetSite:
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError("field 'name': give the site a name (1–200 characters)")
    checked = sorted({normalise_origin(o) for o in origins if o.strip()})
    if not checked:
        raise ValidationError("field 'origins': give at least one origin the widget may post from")
    if session.scalars(select(WidgetSite).where(WidgetSite.name == name)).first() is not None:
        raise NotUniqueError(f"a site called {name!r} exists already")
    site = WidgetSite(
        name=name,
        site_key="wk_" + secrets.token_urlsafe(18),
        origins=checked,
        location=(location or "").strip() or None,
        enabled=True,
    )
    session.add(site)
    session.flush()
    return site


def list_sites(session: Session) -> list[WidgetSite]:
    return list(session.scalars(select(WidgetSite).order_by(WidgetSite.name)))


def get_site_by_key(session: Session, key: str) -> WidgetSite:
    site = session.scalars(select(WidgetSite).where(WidgetSite.site_key == key)).one_or_none()
    if site is None or not site.enabled:
        raise NotFoundError("unknown or disabled site key")
    return site


def origin_allowed(site: WidgetSite, origin: str | None) -> bool:
    if not origin:
        return False
    try:
        return normalise_origin(origin) in site.origins
    except ValidationError:
        return False


@dataclass(frozen=True)
class WidgetPost:
    text: str
    rating: int | None
    email: str | None
    page_url: str | None
    is_bot: bool


def _str(data: Mapping[str, Any], name: str, limit: int) -> str:
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"field '{name}': expected text")
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(f"field '{name}': at most {limit} characters")
    if "\x00" in value:
        raise ValidationError(f"field '{name}': holds a NUL character")
    return value


def parse_post(data: Any, *, max_text: int) -> WidgetPost:
    """A widget post from its JSON body, every field checked (errors name the field)."""
    if not isinstance(data, Mapping):
        raise ValidationError("the body must be a JSON object")
    is_bot = bool(_str(data, HONEYPOT, 2000))
    text = _str(data, "text", max_text)
    rating_value = data.get("rating")
    rating: int | None = None
    if rating_value not in (None, ""):
        if isinstance(rating_value, bool) or not isinstance(rating_value, int | str):
            raise ValidationError("field 'rating': give a whole number from 1 to 5")
        try:
            rating = int(rating_value)
        except ValueError:
            raise ValidationError("field 'rating': give a whole number from 1 to 5") from None
        if not 1 <= rating <= 5:
            raise ValidationError("field 'rating': give a whole number from 1 to 5")
    if not text and rating is None:
        raise ValidationError("field 'text': write a message or choose a rating")
    email = _str(data, "email", 320) or None
    if email and ("@" not in email or any(c.isspace() for c in email)):
        raise ValidationError("field 'email': not an e-mail address")
    page_url = _str(data, "page_url", 2000) or None
    if page_url and urlsplit(page_url).scheme not in ("http", "https"):
        page_url = None  # only http(s) pages are kept as links
    return WidgetPost(text=text, rating=rating, email=email, page_url=page_url, is_bot=is_bot)


def store_post(session: Session, site: WidgetSite, post: WidgetPost, *, origin: str) -> int | None:
    """Store a (non-bot) post as a feedback item; returns its id (None when it was a duplicate)."""
    if post.is_bot:
        raise ValueError("bot posts are dropped, never stored")
    text = post.text or f"Rated {post.rating} of 5 (no comment)."
    record = ItemRecord(
        text=text,
        kind=ItemKind.feedback.value,
        channel=CHANNEL,
        url=post.page_url,
        author_email=post.email,
        rating=None if post.rating is None else float(post.rating),
        rating_min=1.0,
        rating_max=5.0,
        location=site.location,
        raw={"site": site.name, "origin": origin, "page_url": post.page_url, "score_only": not post.text},
    )
    source = source_for(session, f"Widget: {site.name}", kind="widget", channel=CHANNEL)
    return add_item(session, source, record)
