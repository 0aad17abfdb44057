"""Apple App Store customer reviews, from Apple's public RSS feed in its JSON form, per country and paged.

``https://itunes.apple.com/{country}/rss/customerreviews/page={n}/id={app id}/sortby=mostrecent/json`` —
50 reviews a page, at most 10 pages: about the latest 500 reviews per country. Each ``feed.entry`` holds
``id``, ``author.name``, ``im:rating``, ``im:version``, ``title``, ``content`` and ``updated`` as
``{"label": …}`` objects. Paging stops at the last page, at an empty page, or at a review already seen.
(Apple's App Store Connect API gives all reviews and replies to the app's owner; that is the export format.)
"""

from __future__ import annotations

from typing import Any

from voxpop.errors import ValidationError
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.live.base import Field, LiveConnector, PollContext, PollResult
from voxpop.ingest.live.errors import PayloadError
from voxpop.ingest.live.payload import Entry
from voxpop.ingest.records import ItemRecord, platform_key
from voxpop.settings import Settings

MAX_PAGES = 10


class AppStoreFeed(LiveConnector):
    name = "app_store_feed"
    label = "Apple App Store reviews (public feed)"
    channel = "app_store"
    item_kind = "review"
    default_interval = 6 * 3600
    fields = (
        Field("app_id", "App id", help="The number in the app's App Store URL (…/id284882215)."),
        Field("countries", "Countries", default="us", help="Two-letter store codes, comma-separated."),
        Field("base_url", "Feed host", required=False, default="https://itunes.apple.com", url=True),
    )
    capabilities = Capabilities(
        reads=("reviews", "ratings", "titles", "app versions"),
        history="the latest ~500 reviews per country (10 pages of 50); older ones only via App Store Connect",
        max_items=500,
        can_reply=False,
        needs_credentials=False,
        terms="Apple publishes this feed for anyone to read; replies need the App Store Connect API "
        "(owner credentials) and are not posted from this feed.",
        docs_url="https://developer.apple.com/documentation/appstoreconnectapi/customer-reviews",
    )

    def check_config(self, settings: Settings, config: dict[str, Any], secrets: dict[str, Any]) -> dict[str, Any]:
        clean = super().check_config(settings, config, secrets)
        if not str(clean["app_id"]).removeprefix("id").isdigit():
            raise ValidationError(f"{self.label}: the app id is a number, not {clean['app_id']!r}")
        clean["app_id"] = str(clean["app_id"]).removeprefix("id")
        countries = [c.strip().lower() for c in str(clean["countries"]).split(",") if c.strip()]
        if not countries or any(len(c) != 2 or not c.isalpha() for c in countries):
            raise ValidationError(f"{self.label}: countries are two-letter codes like 'us, gb, de'")
        clean["countries"] = ",".join(countries)
        return clean

    def poll(self, ctx: PollContext) -> PollResult:
        base = ctx.url("base_url", "https://itunes.apple.com")
        app_id = str(ctx.config["app_id"])
        seen: dict[str, str] = dict(ctx.cursor.get("newest", {}))
        records: list[ItemRecord] = []
        for country in str(ctx.config.get("countries") or "us").split(","):
            newest: str | None = None
            for page in range(1, MAX_PAGES + 1):
                url = f"{base}/{country}/rss/customerreviews/page={page}/id={app_id}/sortby=mostrecent/json"
                data = ctx.http.get(url).json()
                entries, last_page = _entries(data, url)
                fresh = [r for r in (_record(e, country, app_id) for e in entries) if r is not None]
                if newest is None and fresh:
                    newest = fresh[0].external_id
                known = seen.get(country)
                stop = known is not None and any(r.external_id == known for r in fresh)
                if stop:
                    fresh = fresh[: [r.external_id for r in fresh].index(known)]
                records.extend(fresh)
                if stop or not entries or page >= last_page:
                    break
            if newest:
                seen[country] = newest
        return PollResult(records, {"newest": seen})


def _entries(data: Any, url: str) -> tuple[list[Entry], int]:
    feed = data.get("feed") if isinstance(data, dict) else None
    if not isinstance(feed, dict):
        raise PayloadError(f"{url}: no 'feed' object — not Apple's customer-reviews JSON")
    entries = feed.get("entry", [])
    if isinstance(entries, dict):  # a single review comes as an object, not a list
        entries = [entries]
    if not isinstance(entries, list):
        raise PayloadError(f"{url}: 'feed.entry' is neither a list nor an object")
    last = MAX_PAGES
    for link in feed.get("link", []) if isinstance(feed.get("link"), list) else []:
        attrs = link.get("attributes") if isinstance(link, dict) else None
        href = attrs.get("href") if isinstance(attrs, dict) else None
        if isinstance(attrs, dict) and attrs.get("rel") == "last" and isinstance(href, str) and "page=" in href:
            number = href.split("page=", 1)[1].split("/", 1)[0].split("?", 1)[0]
            last = int(number) if number.isdigit() else last
    return [Entry.at(e, url, f"feed.entry[{i}]") for i, e in enumerate(entries)], min(last, MAX_PAGES)


def _label(entry: Entry, *path: str) -> str | None:
    """The text of a ``{"label": …}`` node (``author.name.label``); a missing node is ``None``."""
    node = entry
    for key in path:
        node = node.section(key)
    return node.text("label")


def _record(entry: Entry, country: str, app_id: str) -> ItemRecord | None:
    rating = entry.section("im:rating").number("label")
    if rating is None:  # the first entry of older feeds describes the app itself
        return None
    review_id = _label(entry, "id")
    if not review_id:
        raise entry.error("id.label", "is missing")
    entry = Entry(entry.data, f"{entry.where} (id {review_id[:80]})")
    text = _label(entry, "content")
    if not text:
        raise entry.error("content.label", "is empty")
    version = _label(entry, "im:version")
    return ItemRecord(
        text=text,
        created_at=entry.section("updated").time("label"),
        external_id=review_id,
        kind="review",
        title=_label(entry, "title"),
        author_name=_label(entry, "author", "name"),
        rating=rating,
        rating_min=1,
        rating_max=5,
        location=country.upper(),
        product=f"app {app_id}" + (f" v{version}" if version else ""),
        url=_label(entry, "author", "uri"),
        platform_key=platform_key("app_store", review_id),
        raw={"country": country, "entry": entry.data},
    )
