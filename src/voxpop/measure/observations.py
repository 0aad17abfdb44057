"""The items an insight is computed from, as light rows: one ``Observation`` per item.

Change detection, events, the journey map, competitors and personas all read the same few columns
of ``items`` over a period. They come through here so the department scoping (``act.inbox.visible_to``)
is applied in one place, and so the arithmetic downstream works on plain values that a test or a
benchmark can also build without a database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from voxpop.act.inbox import visible_to
from voxpop.store.models import Item, Source, User
from voxpop.store.models.topics import ItemTopic, StoreTopic

NEGATIVE = "negative"
POSITIVE = "positive"


@dataclass(frozen=True)
class Mention:
    """An aspect found in an item, with the sentiment of its own clause."""

    name: str
    sentiment: str | None = None
    score: float | None = None
    clause: str = ""


@dataclass(frozen=True)
class Observation:
    """What the insight modules need to know about one item."""

    id: int
    created_at: datetime
    sentiment: str | None = None
    score: float | None = None
    rating: float | None = None  # normalised 0–1
    location: str | None = None
    channel: str | None = None
    source_id: int | None = None
    brand: str | None = None  # the competitor's name for a competitor's source; None for our own
    customer_id: int | None = None
    author: str | None = None
    topics: tuple[str, ...] = ()
    mentions: tuple[Mention, ...] = field(default_factory=tuple)

    @property
    def day(self) -> date:
        return self.created_at.astimezone(UTC).date()

    @property
    def aspects(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.name for m in self.mentions))

    @property
    def is_negative(self) -> bool:
        return self.sentiment == NEGATIVE


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def ours(*where: ColumnElement[bool]) -> tuple[ColumnElement[bool], ...]:
    """``where`` plus what makes an item count in Measure, as the roll-ups count it: not spam, not a
    competitor's (the query must join ``Source``)."""
    return (*where, Item.status != "spam", Source.is_competitor.is_(False))


def between(first: date, last: date) -> tuple[ColumnElement[bool], ...]:
    """Items created on the days ``[first, last]`` (UTC)."""
    return (Item.created_at >= day_start(first), Item.created_at < day_start(last) + timedelta(days=1))


def _mentions(raw: Iterable[dict[str, object]] | None) -> tuple[Mention, ...]:
    found: list[Mention] = []
    for hit in raw or []:
        name = hit.get("name")
        if not name:
            continue
        score = hit.get("score")
        sentiment = hit.get("sentiment")
        found.append(
            Mention(
                name=str(name),
                sentiment=str(sentiment) if sentiment else None,
                score=float(score) if isinstance(score, int | float) else None,
                clause=str(hit.get("clause") or ""),
            )
        )
    return tuple(found)


def load_observations(
    session: Session,
    viewer: User | None,
    *,
    start: date | None = None,
    end: date | None = None,
    competitors: bool = False,
    location: str | None = None,
    channel: str | None = None,
) -> list[Observation]:
    """The items of ``[start, end]`` (whole days, UTC) the viewer may see, oldest first.

    Our own items only unless ``competitors`` is set (then both, with ``brand`` telling them apart).
    ``viewer=None`` is the system itself (CLI, workers): no department scoping.
    """
    query = (
        select(
            Item.id,
            Item.created_at,
            Item.sentiment,
            Item.sentiment_score,
            Item.rating,
            Item.location,
            Item.channel,
            Item.source_id,
            Item.customer_id,
            Item.author_handle,
            Item.author_name,
            Item.topics,
            Item.aspects,
            Source.is_competitor,
            Source.competitor,
            Source.name,
            StoreTopic.name.label("store_topic"),
        )
        .join(Source, Source.id == Item.source_id)
        .outerjoin(ItemTopic, ItemTopic.item_id == Item.id)
        .outerjoin(StoreTopic, StoreTopic.id == ItemTopic.topic_id)
        .where(Item.status != "spam")
        .order_by(Item.created_at, Item.id)
    )
    if viewer is not None:
        scope = visible_to(viewer)
        if scope is not None:
            query = query.where(scope)
    if start is not None:
        query = query.where(Item.created_at >= day_start(start))
    if end is not None:
        query = query.where(Item.created_at < day_start(end) + timedelta(days=1))
    if not competitors:
        query = query.where(Source.is_competitor.is_(False))
    if location:
        query = query.where(Item.location == location)
    if channel:
        query = query.where(Item.channel == channel)
    # Once the store-wide topics are built (``voxpop topics rebuild``), their stable names are the topics;
    # before that, the names found per analysis batch.
    store_wide = session.scalar(select(StoreTopic.id).limit(1)) is not None
    rows: list[Observation] = []
    for row in session.execute(query):
        brand = (row.competitor or row.name) if row.is_competitor else None
        rows.append(
            Observation(
                id=row.id,
                created_at=row.created_at,
                sentiment=row.sentiment,
                score=row.sentiment_score,
                rating=row.rating,
                location=row.location,
                channel=row.channel,
                source_id=row.source_id,
                brand=brand,
                customer_id=row.customer_id,
                author=row.author_handle or row.author_name,
                topics=((row.store_topic,) if row.store_topic else ())
                if store_wide
                else tuple(str(t) for t in row.topics or ()),
                mentions=_mentions(row.aspects),
            )
        )
    return rows


def by_id(rows: Sequence[Observation]) -> dict[int, Observation]:
    return {row.id: row for row in rows}


@dataclass
class TopicWindowCounts:
    """Per topic, the items naming it in a recent stretch and in the baseline before it; and the items of
    each stretch, with or without a topic (what ``emerging.emerging_from_counts`` tests)."""

    recent: dict[str, int] = field(default_factory=dict)
    baseline: dict[str, int] = field(default_factory=dict)
    recent_total: int = 0
    baseline_total: int = 0


def topic_window_counts(
    session: Session,
    viewer: User | None,
    start: date,
    since: date,
    end: date,
    *,
    location: str | None = None,
    channel: str | None = None,
) -> TopicWindowCounts:
    """:class:`TopicWindowCounts` of the items :func:`load_observations` gives for ``[start, end]`` (our own,
    no spam, the viewer's scope, the location and channel), the recent stretch from ``since`` on (whole
    days, UTC). Each item counts once per topic: its store-wide topic when those exist, else the names of
    its ``topics`` array.

    One grouped query reads the items once: the items per stretch and per store-wide topic, or per
    distinct ``topics`` array (few: an item names a handful of topics), decoded here once per group."""
    recent = case((Item.created_at >= day_start(since), 1), else_=0).label("recent")
    store_wide = session.scalar(select(StoreTopic.id).limit(1)) is not None
    topic: Any = StoreTopic.name if store_wide else Item.topics
    query = (
        select(recent, topic, func.count())
        .select_from(Item)
        .join(Source, Source.id == Item.source_id)
        .where(*ours(*between(start, end)))
    )
    if store_wide:
        # ``item_topics`` holds one row per item: the outer joins keep one row per item.
        query = query.outerjoin(ItemTopic, ItemTopic.item_id == Item.id).outerjoin(
            StoreTopic, StoreTopic.id == ItemTopic.topic_id
        )
    if viewer is not None and (scope := visible_to(viewer)) is not None:
        query = query.where(scope)
    if location:
        query = query.where(Item.location == location)
    if channel:
        query = query.where(Item.channel == channel)
    found = TopicWindowCounts()
    for is_recent, raw, n in session.execute(query.group_by(recent, topic)):
        if is_recent:
            found.recent_total += n
            side = found.recent
        else:
            found.baseline_total += n
            side = found.baseline
        # As ``load_observations`` names an item's topics, each name once per item.
        names = ((raw,) if raw else ()) if store_wide else tuple(str(t) for t in raw or ())
        for name in set(names):
            side[name] = side.get(name, 0) + n
    return found
