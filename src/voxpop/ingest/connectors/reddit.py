"""Reddit listing JSON (a subreddit, search or comments page saved as ``.json``).

Per Reddit's API documentation (https://www.reddit.com/dev/api/ — "listings" and the ``t1`` comment /
``t3`` link things): ``{"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {name, title,
selftext, author, created_utc, permalink, score, subreddit_name_prefixed}}]}}``; a comments page is an
array of two listings. The identity is the thing's fullname (``t3_…``), as the live Reddit source uses.
"""

from __future__ import annotations

from typing import Any

from voxpop.ingest.connectors.base import JsonFormat, MappingError, section, text_at, time_or_none, whole
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key


class RedditListing(JsonFormat):
    name = "reddit"
    label = "Reddit listing (JSON)"
    channel = "reddit"
    item_kind = "mention"
    required = ('"Listing"', '"children"')
    hints = ('"subreddit"', '"permalink"', '"created_utc"', '"t3"')
    filenames = ("reddit",)
    prefixes = ("data.children.item", "item.data.children.item")
    capabilities = Capabilities(
        reads=("posts", "comments"),
        history="the listing saved (up to 100 things per page)",
        max_items=100,
        terms="Reddit Data API terms apply.",
        docs_url="https://www.reddit.com/dev/api/",
    )

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        if record.get("kind") not in ("t1", "t3"):
            return None
        post = section(record, "data")
        name = text_at(record, "data", "name")
        if not name:
            raise MappingError("data.name", "is missing")
        created = time_or_none(record, "data", "created_utc")
        if created is None:
            raise MappingError("data.created_utc", "is missing")
        title = text_at(record, "data", "title")
        text = text_at(record, "data", "selftext") or text_at(record, "data", "body") or title
        if not text or text in ("[deleted]", "[removed]"):
            return None
        author = text_at(record, "data", "author")
        author = None if author in ("[deleted]", "[removed]") else author
        permalink = text_at(record, "data", "permalink")
        score = whole(post.get("score"))
        return ItemRecord(
            text=text,
            title=title if text != title else None,
            created_at=created,
            external_id=name,
            platform_key=platform_key("reddit", name),
            kind=self.item_kind,
            channel=self.channel,
            url=f"https://www.reddit.com{permalink}" if permalink else text_at(record, "data", "url"),
            author_name=author,
            author_handle=f"u/{author}" if author else None,
            location=text_at(record, "data", "subreddit_name_prefixed"),
            reach_likes=score if score is not None and score >= 0 else None,
            raw=post,
        )
