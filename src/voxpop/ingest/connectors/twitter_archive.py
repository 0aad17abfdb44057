"""X/Twitter account archive: ``data/tweets.js`` (``window.YTD.tweets.part0 = [{"tweet": {...}}]``).

As described in the archive's own ``Your archive.html`` / README and X's help page "How to download your
X archive" (https://help.x.com/en/managing-your-account/how-to-download-your-x-archive): each entry wraps
a tweet object with ``id_str``, ``full_text``, ``created_at`` ("Wed Oct 10 20:19:24 +0000 2018"),
``lang``, ``favorite_count`` and ``retweet_count`` (as strings). The JavaScript assignment before the array
is skipped; the array is then streamed like any JSON.
"""

from __future__ import annotations

import io
from typing import IO, Any, cast

from voxpop.ingest.connectors.base import JsonFormat, MappingError, section, text_at, time_or_none, whole, within
from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.records import ItemRecord, platform_key

PREAMBLE = "window.YTD."


class TwitterArchive(JsonFormat):
    name = "twitter_archive"
    label = "X/Twitter archive tweets.js"
    channel = "twitter"
    item_kind = "mention"
    required = (PREAMBLE, '"full_text"')
    hints = ('"id_str"', '"created_at"', '"favorite_count"', '"tweet"')
    filenames = ("tweets", "tweet")
    prefixes = ("item",)
    capabilities = Capabilities(
        reads=("posts",),
        history="the whole archive",
        terms="Your own account's archive.",
        docs_url="https://help.x.com/en/managing-your-account/how-to-download-your-x-archive",
    )

    def json_start(self, text: str) -> int | None:
        body = text.lstrip()
        return len(text) - len(body) if body.startswith(PREAMBLE) else None

    def skip_preamble(self, stream: IO[bytes]) -> IO[bytes]:
        head = stream.read(4096)
        at = head.find(b"=")
        if not head.lstrip().startswith(PREAMBLE.encode()) or at < 0:
            return cast(IO[bytes], io.BufferedReader(_Chain(head, stream)))
        return cast(IO[bytes], io.BufferedReader(_Chain(head[at + 1 :], stream)))

    def map(self, record: dict[str, Any]) -> ItemRecord | None:
        tweet = section(record, "tweet") if "tweet" in record else record
        with within("tweet"):
            tweet_id = text_at(tweet, "id_str") or text_at(tweet, "id")
            if not tweet_id:
                raise MappingError("id_str", "is missing")
            text = text_at(tweet, "full_text") or text_at(tweet, "text")
            if not text:
                raise MappingError("full_text", "is empty")
            created, language = time_or_none(tweet, "created_at"), text_at(tweet, "lang")
        return ItemRecord(
            text=text,
            created_at=created,
            external_id=tweet_id,
            platform_key=platform_key("twitter", tweet_id),
            kind=self.item_kind,
            channel=self.channel,
            url=f"https://x.com/i/web/status/{tweet_id}",
            language=language,
            reach_likes=whole(tweet.get("favorite_count")),
            reach_shares=whole(tweet.get("retweet_count")),
            raw=tweet,
        )


class _Chain(io.RawIOBase):
    """Bytes already read, then the rest of the stream."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
