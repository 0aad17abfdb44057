"""The demo data set: about 3,000 items over the six months before the day it is made.

``generate(now)`` is deterministic for a given ``now`` (the RNG is seeded with the seed and the date),
so two people running the demo on the same day see the same customers say the same things.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from voxpop.demo import business as biz
from voxpop.demo.bank import Filler, load
from voxpop.demo.channels import Builders, engagement
from voxpop.demo.item import DemoItem
from voxpop.demo.people import make_people
from voxpop.demo.timeline import Timeline
from voxpop.demo.voice import Plan
from voxpop.ingest.records import ItemRecord

DEFAULT_ITEMS = 3000
DEFAULT_SEED = 2026


def channel_counts(total: int) -> dict[str, int]:
    """``total`` split over the channels by their shares (largest remainder, so the sum is exact)."""
    shares = {c.key: c.share / sum(ch.share for ch in biz.CHANNELS) * total for c in biz.CHANNELS}
    counts = {k: int(v) for k, v in shares.items()}
    for key in sorted(shares, key=lambda k: shares[k] - counts[k], reverse=True)[: total - sum(counts.values())]:
        counts[key] += 1
    return counts


def generate(now: datetime | None = None, *, items: int = DEFAULT_ITEMS, seed: int = DEFAULT_SEED) -> list[DemoItem]:
    """The demo's items, oldest first. ``items`` below about 300 leave out the set pieces."""
    if items < 1:
        raise ValueError("the demo needs at least one item")
    now = (now or datetime.now(UTC)).astimezone(UTC)
    rng = random.Random(f"voxpop-demo:{seed}:{now.date().isoformat()}")
    timeline = Timeline(rng, now)
    builders = Builders(rng, timeline, make_people(rng, max(60, items // 3), biz.LOCATIONS))
    counts = channel_counts(items)

    out: list[DemoItem] = []
    if items >= 300:
        out += _set_pieces(rng, timeline, builders, counts)
    makers: dict[str, Callable[[], DemoItem]] = {
        "google": lambda: builders.review("google"),
        "yelp": lambda: builders.review("yelp"),
        "tripadvisor": lambda: builders.review("tripadvisor"),
        "twitter": lambda: builders.mention("twitter"),
        "instagram": lambda: builders.mention("instagram"),
        "survey": builders.survey,
        "email": builders.ticket,
        "website": builders.feedback,
        "staff": builders.note,
    }
    for channel, count in counts.items():
        out += [makers[channel]() for _ in range(max(0, count))]
    out.sort(key=lambda item: item.created_at)
    _number(out)
    return out


def _number(items: list[DemoItem]) -> None:
    """External ids in time order, per channel: ``gbp-00001``… (stable, so re-runs add nothing)."""
    seen: dict[str, int] = {}
    for item in items:
        channel = biz.CHANNEL_BY_KEY[item.record.channel or ""]
        seen[channel.key] = seen.get(channel.key, 0) + 1
        item.record.external_id = f"{channel.prefix}-{seen[channel.key]:05d}"


def _set_pieces(rng: random.Random, timeline: Timeline, builders: Builders, counts: dict[str, int]) -> list[DemoItem]:
    """The fake-review bursts and the two viral complaints (with the pile-on), taken out of ``counts``."""
    out: list[DemoItem] = []
    for channel, location, days_ago, count in biz.FAKE_BURSTS:
        out += fake_burst(rng, timeline, channel, location, days_ago, count)
        counts[channel] -= count
    stories = load("stories")
    for spec, days_ago in zip(stories["viral"], biz.VIRAL_DAYS_AGO, strict=True):
        at = timeline.moment("mention", days_ago)
        filler = Filler(rng, stories=timeline.stories(at, spec["location"]))
        filled = filler.fill(spec["text"], courier=biz.COURIER)
        record = ItemRecord(
            text=filled.text,
            created_at=at,
            author_name=spec["author"],
            author_handle="@" + spec["handle"],
            reach_followers=spec["followers"],
            reach_likes=spec["likes"],
            reach_shares=spec["shares"],
            product=filled.product,
            raw={
                "user": {"screen_name": spec["handle"], "followers_count": spec["followers"], "verified": True},
                "favorite_count": spec["likes"],
                "retweet_count": spec["shares"],
            },
        )
        out.append(_mention(builders, record, spec["location"], [(spec["aspect"], "neg")], "viral"))
        counts["twitter"] -= 1
    first = next(i for i in out if i.story == "viral")
    for text in stories["pile_on"]:
        who = builders.person()
        at = min(first.created_at + timedelta(minutes=rng.uniform(20, 36 * 60)), timeline.now - timedelta(minutes=5))
        likes, shares = engagement(rng, who.followers, "neg", "twitter")
        record = ItemRecord(
            text=text,
            created_at=at,
            author_name=who.full_name,
            author_handle="@" + who.handle,
            reach_followers=who.followers,
            reach_likes=likes,
            reach_shares=shares,
            raw={
                "user": {"screen_name": who.handle, "followers_count": who.followers},
                "in_reply_to_screen_name": first.record.author_handle,
            },
        )
        out.append(_mention(builders, record, "Northgate", [("food", "neg")], "pile_on"))
        counts["twitter"] -= 1
    return out


def _mention(
    builders: Builders, record: ItemRecord, location: str, aspects: list[tuple[str, str]], story: str
) -> DemoItem:
    return builders.item("twitter", record, Plan("neg", aspects), location, story=story)


def fake_burst(
    rng: random.Random, timeline: Timeline, channel: str, location: str, days_ago: int, count: int
) -> list[DemoItem]:
    """``count`` near-identical 5-star reviews from one-review accounts, posted within about three hours."""
    stories = load("stories")
    start = timeline.midnight - timedelta(days=days_ago) + timedelta(hours=21, minutes=rng.randrange(30))
    people = make_people(random.Random(rng.random()), count, {location: 1.0})
    out = []
    for n, who in enumerate(people):
        text = stories["fake_base"].format(city=biz.CITY, business=biz.BUSINESS, location=location)
        for old, new in rng.sample(stories["fake_swaps"], rng.randint(1, 3)):
            text = text.replace(old, new, 1)
        at = start + timedelta(minutes=n * rng.uniform(6, 16))
        name = f"{who.first} {who.last[0]}."
        if channel == "google":
            raw = {
                "reviewer": {"displayName": name, "isAnonymous": False, "totalReviewCount": 1},
                "starRating": "FIVE",
                "comment": text,
                "createTime": at.isoformat(),
            }
        else:
            raw = {
                "user": {"name": name, "review_count": 1},
                "rating": 5,
                "text": text,
                "time_created": at.strftime("%Y-%m-%d %H:%M:%S"),
            }
        record = ItemRecord(
            text=text,
            created_at=at,
            author_name=name,
            rating=5,
            rating_min=1,
            rating_max=5,
            raw=raw,
            kind="review",
            channel=channel,
            location=location,
        )
        out.append(
            DemoItem(
                biz.CHANNEL_BY_KEY[channel].source,
                record,
                "positive",
                (("food", "pos"), ("coffee", "pos"), ("service", "pos")),
                None,
                story="fake_burst",
            )
        )
    return out
