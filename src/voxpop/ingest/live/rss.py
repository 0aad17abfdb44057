"""RSS and Atom feeds (``feedparser``), fetched with conditional GET: an unchanged feed costs one 304.

Each entry becomes a *mention*: its id (or link) is the external id, so re-polling stores nothing twice.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from typing import Any

import feedparser  # type: ignore[import-untyped]

from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.live.base import Field, LiveConnector, PollContext, PollResult
from voxpop.ingest.live.errors import PayloadError
from voxpop.ingest.live.text import html_to_text
from voxpop.ingest.records import ItemRecord


class RssFeed(LiveConnector):
    name = "rss"
    label = "RSS / Atom feed"
    channel = "web"
    item_kind = "mention"
    default_interval = 1800
    fields = (Field("url", "Feed URL", url=True, help="An RSS 2.0, RSS 1.0 or Atom feed."),)
    capabilities = Capabilities(
        reads=("posts", "titles", "authors", "links"),
        history="what the feed currently lists (usually the latest 10–50 entries); older entries are gone",
        can_reply=False,
        needs_credentials=False,
        terms="Public feeds are published to be read by feed readers; poll politely (voxpop sends "
        "If-None-Match/If-Modified-Since and honours Retry-After).",
        docs_url="https://www.rssboard.org/rss-specification",
    )

    def poll(self, ctx: PollContext) -> PollResult:
        url = ctx.url("url")
        fetched = ctx.http.get(url, etag=ctx.etag, last_modified=ctx.last_modified)
        etag = fetched.headers.get("ETag") or ctx.etag
        modified = fetched.headers.get("Last-Modified") or ctx.last_modified
        if fetched.not_modified:
            return PollResult([], ctx.cursor, etag, modified, not_modified=True, note="not modified (304)")
        parsed = feedparser.parse(fetched.body)
        if parsed.get("bozo") and not parsed.entries and not parsed.feed.get("title"):
            reason = parsed.get("bozo_exception")
            raise PayloadError(f"{url} is not an RSS or Atom feed ({reason})", status=fetched.status)
        records = [r for r in (_record(entry, url) for entry in parsed.entries) if r is not None]
        return PollResult(records, ctx.cursor, etag, modified)


def _record(entry: Any, feed_url: str) -> ItemRecord | None:
    content = entry.get("content") or []
    body = content[0].get("value") if content else entry.get("summary")
    text = html_to_text(body) or html_to_text(entry.get("title"))
    if not text:
        return None
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    created = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None
    external = entry.get("id") or entry.get("link")
    raw = {k: entry.get(k) for k in ("id", "link", "title", "author", "published", "updated") if entry.get(k)}
    raw["feed"] = feed_url
    return ItemRecord(
        text=text,
        created_at=created,
        external_id=str(external)[:197] if external else None,
        kind="mention",
        title=html_to_text(entry.get("title")) or None,
        url=entry.get("link"),
        author_name=entry.get("author"),
        raw=raw,
    )
