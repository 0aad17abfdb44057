"""The store-wide topics (``analyze.store_topics``) over time: weekly volume, and which ones are growing.

A topic is *growing* (emerging) by the rule of ``measure.emerging``: its share of the items of the last
``RECENT_DAYS`` is at least ``MIN_RATIO`` times its share in the ``BASELINE_DAYS`` before, with at least
``MIN_RECENT`` items, and Fisher's exact test (one-sided) puts that below ``ALPHA``. Here the counts come
from SQL (per topic, per window) instead of every item of the period as observations, so the page costs
a few grouped counts and one scan of the weeks shown, not a load of the items.

Spam and competitors' items are left out, as the roll-ups leave them out (the counts come from the
topics' day cells, ``topic_cells.TOPIC_ID``, unless a day waits for recomputation). The topics page is for
managers, who see every department, so nothing here is scoped to a viewer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, timedelta

from scipy.stats import fisher_exact
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from voxpop.measure.cell_dimensions import SUMMED
from voxpop.measure.emerging import ALPHA, BASELINE_DAYS, MIN_RATIO, MIN_RECENT, RECENT_DAYS
from voxpop.measure.observations import between, ours
from voxpop.measure.rollups import is_pending
from voxpop.measure.topic_cells import TOPIC_ID
from voxpop.store.models import Item, Source
from voxpop.store.models.measure import DailyCell
from voxpop.store.models.topics import ItemTopic, StoreTopic

WEEKS = 26
ITEMS_PER_PAGE = 50


@dataclass
class TopicTrend:
    id: int
    name: str
    key_phrases: list[str]
    size: int
    retired: bool
    weekly: list[int] = field(default_factory=list)  # items per week, oldest first (``TopicsView.weeks``)
    recent: int = 0
    baseline: int = 0
    recent_share: float = 0.0
    baseline_share: float = 0.0
    p_value: float | None = None
    growing: bool = False

    @property
    def ratio(self) -> float | None:
        """How many times its baseline share the recent share is (None for a topic new this window)."""
        return self.recent_share / self.baseline_share if self.baseline_share else None


@dataclass
class TopicsView:
    topics: list[TopicTrend]
    weeks: list[date]  # the Mondays of the weeks in ``TopicTrend.weekly``
    since: date  # the first day of the recent window
    baseline_from: date
    today: date


def _counts(session: Session, first: date, last: date) -> tuple[dict[int, int], int]:
    """Items of ``[first, last]`` per topic, and all items of the period (ours, spam left out)."""
    period = ours(*between(first, last))
    per_topic: dict[int, int] = {
        int(topic_id or 0): int(count)  # never 0: the NULLs are filtered out
        for topic_id, count in session.execute(
            select(ItemTopic.topic_id, func.count())
            .join(Item, Item.id == ItemTopic.item_id)
            .join(Source, Source.id == Item.source_id)
            .where(*period, ItemTopic.topic_id.is_not(None))
            .group_by(ItemTopic.topic_id)
        )
    }
    total = session.scalar(select(func.count()).select_from(Item).join(Source).where(*period)) or 0
    return per_topic, int(total)


@dataclass
class _Counts:
    """What the view needs: per topic its items per day, and the items of the recent and baseline stretches."""

    daily: dict[int, dict[date, int]]
    recent: dict[int, int]
    recent_total: int
    baseline: dict[int, int]
    baseline_total: int


def _from_items(
    session: Session, ids: list[int], first: date, today: date, since: date, baseline_from: date
) -> _Counts:
    daily: dict[int, dict[date, int]] = {}
    for topic_id, created_at in session.execute(
        select(ItemTopic.topic_id, Item.created_at)
        .join(Item, Item.id == ItemTopic.item_id)
        .join(Source, Source.id == Item.source_id)
        .where(
            ItemTopic.topic_id.in_(ids),
            *ours(*between(first, today)),
        )
    ):
        day = created_at.astimezone(UTC).date()
        per = daily.setdefault(int(topic_id or 0), {})  # never 0: the ids asked for
        per[day] = per.get(day, 0) + 1
    recent, recent_total = _counts(session, since, today)
    baseline, baseline_total = _counts(session, baseline_from, since - timedelta(days=1))
    return _Counts(daily, recent, recent_total, baseline, baseline_total)


def _from_cells(
    session: Session, ids: list[int], first: date, today: date, since: date, baseline_from: date
) -> _Counts:
    """:func:`_from_items` from the roll-ups: the topics' day cells (``topic_cells.TOPIC_ID``) and the store's
    day cells over every channel for the totals — a few thousand cells instead of months of items."""
    daily: dict[int, dict[date, int]] = {}
    for value, day, n in session.execute(
        select(DailyCell.value, DailyCell.day, func.sum(DailyCell.volume))
        .where(
            DailyCell.dimension == TOPIC_ID,
            DailyCell.value.in_([str(i) for i in ids]),
            DailyCell.day >= min(first, baseline_from),
            DailyCell.day <= today,
        )
        .group_by(DailyCell.value, DailyCell.day)
    ):
        daily.setdefault(int(value), {})[day] = int(n)
    totals: dict[date, int] = {
        day: int(n)
        for day, n in session.execute(
            select(DailyCell.day, func.sum(DailyCell.volume))
            .where(DailyCell.dimension == SUMMED + "all", DailyCell.day >= baseline_from, DailyCell.day <= today)
            .group_by(DailyCell.day)
        )
    }

    def within(per: dict[date, int], low: date, high: date) -> int:
        return sum(n for day, n in per.items() if low <= day <= high)

    before = since - timedelta(days=1)
    return _Counts(
        daily,
        {topic: within(per, since, today) for topic, per in daily.items()},
        within(totals, since, today),
        {topic: within(per, baseline_from, before) for topic, per in daily.items()},
        within(totals, baseline_from, before),
    )


def is_growing(recent: int, recent_total: int, baseline: int, baseline_total: int) -> tuple[bool, float | None]:
    """``measure.emerging``'s rule on counts: (growing, p-value or None when not tested)."""
    if recent < MIN_RECENT or not recent_total:
        return False, None
    recent_share = recent / recent_total
    baseline_share = baseline / baseline_total if baseline_total else 0.0
    if baseline_share and recent_share < MIN_RATIO * baseline_share:
        return False, None
    table = [[recent, recent_total - recent], [baseline, baseline_total - baseline]]
    p = float(fisher_exact(table, alternative="greater").pvalue)
    return p < ALPHA, p


def topics_view(
    session: Session, today: date, *, weeks: int = WEEKS, retired: bool = False, from_cells: bool | None = None
) -> TopicsView:
    """Every live topic (``retired`` too when asked), largest first, with its last ``weeks`` weeks of
    volume and whether it is growing in the ``RECENT_DAYS`` up to ``today``. Counted from the roll-up cells
    unless a day waits for recomputation (or ``from_cells`` says otherwise), else from the items."""
    query = select(StoreTopic).order_by(StoreTopic.size.desc(), StoreTopic.id)
    if not retired:
        query = query.where(StoreTopic.retired.is_(False))
    monday = today - timedelta(days=today.weekday())
    mondays = [monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    found = {
        t.id: TopicTrend(t.id, t.name, list(t.key_phrases or []), t.size, t.retired, weekly=[0] * weeks)
        for t in session.scalars(query)
    }
    since = today - timedelta(days=RECENT_DAYS - 1)
    baseline_from = since - timedelta(days=BASELINE_DAYS)
    view = TopicsView(list(found.values()), mondays, since, baseline_from, today)
    if not found:
        return view
    read = _from_cells if (from_cells if from_cells is not None else not is_pending(session)) else _from_items
    counts = read(session, list(found), mondays[0], today, since, baseline_from)
    for topic_id, per in counts.daily.items():
        for day, n in per.items():
            index = (day - mondays[0]).days // 7
            if 0 <= index < weeks:
                found[topic_id].weekly[index] += n
    recent, recent_total = counts.recent, counts.recent_total
    baseline, baseline_total = counts.baseline, counts.baseline_total
    for topic in found.values():
        topic.recent, topic.baseline = recent.get(topic.id, 0), baseline.get(topic.id, 0)
        topic.recent_share = topic.recent / recent_total if recent_total else 0.0
        topic.baseline_share = topic.baseline / baseline_total if baseline_total else 0.0
        topic.growing, topic.p_value = is_growing(topic.recent, recent_total, topic.baseline, baseline_total)
    return view


@dataclass
class TopicItems:
    topic: StoreTopic
    items: list[Item]
    total: int
    page: int
    pages: int


def topic_items(session: Session, topic_id: int, *, page: int = 1) -> TopicItems | None:
    """A topic and its items, newest first, ``ITEMS_PER_PAGE`` a page (None: no such topic).

    Ours only, as on ``/topics``: a competitor's item may sit in a store-wide topic (it was clustered with
    the rest) but is neither listed nor counted here."""
    topic = session.get(StoreTopic, topic_id)
    if topic is None:
        return None
    where = ours(ItemTopic.topic_id == topic_id)
    total = int(
        session.scalar(
            select(func.count())
            .select_from(Item)
            .join(ItemTopic, ItemTopic.item_id == Item.id)
            .join(Source, Source.id == Item.source_id)
            .where(*where)
        )
        or 0
    )
    pages = max(1, -(-total // ITEMS_PER_PAGE))
    page = min(max(1, page), pages)
    items = list(
        session.scalars(
            select(Item)
            .join(ItemTopic, ItemTopic.item_id == Item.id)
            .join(Source, Source.id == Item.source_id)
            .where(*where)
            .order_by(Item.created_at.desc(), Item.id.desc())
            .offset((page - 1) * ITEMS_PER_PAGE)
            .limit(ITEMS_PER_PAGE)
        )
    )
    return TopicItems(topic, items, total, page, pages)
