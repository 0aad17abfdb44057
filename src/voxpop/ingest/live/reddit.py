"""Reddit search: posts that mention the business, from Reddit's search listing JSON.

``GET /search.json?q=…&sort=new&limit=100`` (or ``/r/{subreddit}/search.json?…&restrict_sr=1``) answers a
``Listing`` whose ``data.children`` are ``t3`` (post) things with ``id``, ``name``, ``title``,
``selftext``, ``author``, ``created_utc``, ``permalink``, ``subreddit`` and ``score``. With a registered
app's client id and secret, voxpop uses app-only OAuth ("Application Only OAuth" in Reddit's OAuth2 wiki:
``POST /api/v1/access_token`` with ``grant_type=client_credentials``) against ``oauth.reddit.com``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from voxpop.ingest.connectors.registry import Capabilities
from voxpop.ingest.live.base import Field, LiveConnector, PollContext, PollResult, expires_at, token_is_fresh
from voxpop.ingest.live.errors import AuthExpiredError, PayloadError, SourceError
from voxpop.ingest.live.http import Fetched
from voxpop.ingest.live.payload import Entry
from voxpop.ingest.records import ItemRecord, platform_key

OAUTH_BASE = "https://oauth.reddit.com"
TOKEN_URL = "https://www.reddit.com/api/v1/access_token"  # noqa: S105 (a URL, not a secret)


class RedditSearch(LiveConnector):
    name = "reddit_search"
    label = "Reddit search"
    channel = "reddit"
    item_kind = "mention"
    default_interval = 3600
    fields = (
        Field("query", "Search terms", help='Reddit search syntax, e.g. "acme coffee" OR acmecoffee.'),
        Field("subreddit", "Only this subreddit", required=False),
        Field("base_url", "API host", required=False, default="https://www.reddit.com", url=True),
        Field("oauth_base", "OAuth API host", required=False, default=OAUTH_BASE, url=True),
        Field("token_url", "Token endpoint", required=False, default=TOKEN_URL, url=True),
        Field("client_id", "App client id (optional: app-only OAuth)", required=False, secret=True),
        Field("client_secret", "App secret", required=False, secret=True),
    )
    capabilities = Capabilities(
        reads=("posts", "titles", "authors", "scores"),
        history="Reddit search returns at most ~1000 results (100 per request); voxpop reads the newest 100 each poll",
        max_items=100,
        can_reply=False,
        needs_credentials=False,
        terms="Reddit's Data API terms ask for a registered app (give its client id and secret: voxpop then "
        "uses app-only OAuth) and a descriptive User-Agent; commercial use needs an agreement with Reddit. "
        "Replying is not automated.",
        docs_url="https://www.reddit.com/dev/api/#GET_search",
    )

    def poll(self, ctx: PollContext) -> PollResult:
        oauth = bool(ctx.credentials.get("client_id") and ctx.credentials.get("client_secret"))
        base = ctx.url("oauth_base", OAUTH_BASE) if oauth else ctx.url("base_url", "https://www.reddit.com")
        params: dict[str, str] = {"q": str(ctx.config["query"]), "sort": "new", "limit": "100", "raw_json": "1"}
        sub = str(ctx.config.get("subreddit") or "").strip().removeprefix("r/")
        path = "/search.json"
        if sub:
            path, params["restrict_sr"] = f"/r/{sub}/search.json", "1"
        url = f"{base}{path}?{urlencode(params)}"
        data = (_oauth_get(ctx, url) if oauth else ctx.http.get(url)).json()
        listing = data.get("data") if isinstance(data, dict) and data.get("kind") == "Listing" else None
        if not isinstance(listing, dict) or not isinstance(listing.get("children"), list):
            raise PayloadError(f"{base}{path}: not a Reddit Listing (no data.children)")
        records = [_record(child, base, i) for i, child in enumerate(listing["children"])]
        return PollResult([r for r in records if r is not None], ctx.cursor)


def _oauth_get(ctx: PollContext, url: str) -> Fetched:
    """A GET with an app-only token (client-credentials grant), fetched again once if refused."""
    for attempt in (1, 2):
        fresh = attempt == 1 and token_is_fresh(ctx.credentials, ctx.now)
        token = ctx.credentials["access_token"] if fresh else _app_token(ctx)
        try:
            return ctx.http.get(url, headers={"Authorization": f"bearer {token}"})
        except AuthExpiredError:
            if attempt == 2:
                raise SourceError("Reddit refuses even a new app token; check the app's client id and secret") from None
    raise AssertionError("unreachable")


def _app_token(ctx: PollContext) -> str:
    creds = ctx.credentials
    try:
        answer = ctx.http.request(
            "POST",
            ctx.url("token_url", TOKEN_URL),
            auth=(str(creds["client_id"]), str(creds["client_secret"])),
            data={"grant_type": "client_credentials"},
        )
    except SourceError as exc:
        raise SourceError(f"Reddit: getting an app token failed ({exc}); check the client id and secret") from None
    data = answer.json()
    token = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        raise SourceError("Reddit: the token endpoint answered without an access_token")
    ctx.update_credentials(access_token=token, expires_at=expires_at(data.get("expires_in"), ctx.now))
    return token


def _record(child: Any, base: str, index: int) -> ItemRecord | None:
    if not isinstance(child, dict) or child.get("kind") not in ("t3", "t1"):
        return None
    post = Entry.at(child, base, f"data.children[{index}]").section("data")
    name = post.text("name")
    if not name or "created_utc" not in post.data:
        raise PayloadError(f"{base}: data.children[{index}]: a listing entry without name or created_utc")
    post = Entry(post.data, f"{base}: data.children[{index}] ({name[:80]})", "data")
    title = post.text("title")
    text = post.text("selftext") or post.text("body") or title
    if not text:
        return None
    seconds = post.number("created_utc", required=True)
    try:
        created = datetime.fromtimestamp(seconds or 0.0, UTC)
    except (OverflowError, OSError, ValueError):
        raise post.error("created_utc", f"{seconds:g} is not a time") from None
    score = post.data.get("score")
    author = post.text("author")
    permalink = post.text("permalink")
    return ItemRecord(
        text=text,
        created_at=created,
        external_id=name,
        kind="mention",
        title=title,
        url=f"https://www.reddit.com{permalink}" if permalink else post.text("url"),
        author_name=author,
        author_handle=f"u/{author}" if author else None,
        location=post.text("subreddit_name_prefixed"),
        reach_likes=score if isinstance(score, int) and not isinstance(score, bool) and 0 <= score < 2**31 else None,
        platform_key=platform_key("reddit", name),
        raw={"data": post.data},
    )
